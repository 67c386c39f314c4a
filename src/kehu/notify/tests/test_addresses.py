"""Webhooks never reach internal addresses (SSRF), in any notation, at save and at delivery."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from kehu.conftest import client_for, free_port
from kehu.notify import webhooks
from kehu.notify.addresses import AddressRefused, check_url
from kehu.notify.models import Webhook

INTERNAL = [
    "http://127.0.0.1:6379/",
    "http://localhost:6379/",
    "http://LOCALHOST./",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://2130706433/",  # 127.0.0.1 as one integer
    "http://0x7f000001/",  # ... in hex
    "http://0177.0.0.1/",  # ... in octal
    "http://127.1/",  # ... shortened
    "http://100.64.0.1/",  # carrier-grade NAT
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_when_saved(url):
    with pytest.raises(AddressRefused):
        check_url(url)
    hook = Webhook(name="x", url=url, secret="s", events=["ping"])
    with pytest.raises(ValidationError):
        hook.full_clean()


def test_public_addresses_and_names_are_accepted():
    for url in ("https://crm.example.com/hook", "http://93.184.216.34/", "https://[2606:4700::1]/"):
        check_url(url)


@pytest.mark.django_db
def test_api_refuses_an_internal_address(world):
    response = client_for(world.admin).post(
        "/api/notify/webhooks",
        {"name": "x", "url": "http://169.254.169.254/", "secret": "s" * 20, "events": ["ping"]},
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content


@pytest.mark.django_db
def test_delivery_to_a_name_resolving_to_loopback_is_refused_without_details(
    http_receiver, settings
):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    port = http_receiver.url.split(":")[2].split("/")[0]
    for url in (f"http://127.0.0.1:{port}/hook", f"http://localhost:{port}/hook"):
        outcome = webhooks.post(url=url, secret="s", event="ping", delivery_id=1, body=b"{}")
        assert (outcome.ok, outcome.code, outcome.error) == (False, None, "refused")
    assert http_receiver.requests == []
    # A closed port says the same: no port mapping from the delivery log.
    closed = webhooks.post(
        url=f"http://127.0.0.1:{free_port()}/", secret="s", event="ping", delivery_id=1, body=b"{}"
    )
    assert closed.error == "refused"


@pytest.mark.django_db
def test_the_peer_is_checked_after_name_resolution(http_receiver, monkeypatch, settings):
    """A public-looking name that resolves to loopback at delivery time (DNS rebinding)."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    import socket

    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1" if host == "hooks.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    port = http_receiver.url.split(":")[2].split("/")[0]
    outcome = webhooks.post(
        url=f"http://hooks.example.com:{port}/hook",
        secret="s",
        event="ping",
        delivery_id=1,
        body=b"{}",
    )
    assert outcome.error == "refused"
    assert http_receiver.requests == []


@pytest.mark.django_db
def test_allowed_networks_let_on_premises_receivers_in(http_receiver):
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=["127.0.0.0/8"]):  # e.g. 10.20.0.0/16
        check_url(http_receiver.url)
        http_receiver.status = 503
        outcome = webhooks.post(
            url=http_receiver.url, secret="s", event="ping", delivery_id=1, body=b"{}"
        )
    assert (outcome.ok, outcome.code, outcome.error) == (False, 503, "HTTP 503")
    assert len(http_receiver.requests) == 1
