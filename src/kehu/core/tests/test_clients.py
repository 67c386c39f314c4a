"""One setting, KEHU_TRUSTED_PROXIES, decides the client address every throttle, the sign-in
lockout and the audit history use; a client's own X-Forwarded-For entries never count."""

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from kehu.core.clients import client_address

SPOOFED = "6.6.6.6, 10.0.0.7, 203.0.113.9"  # client's claim, its real address, our proxy


def _request(forwarded: str | None = SPOOFED):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **extra)


def test_without_trusted_proxies_the_header_is_ignored():
    assert settings.KEHU_TRUSTED_PROXIES == 0
    assert client_address(_request()) == "192.0.2.1"


@pytest.mark.parametrize("proxies,expected", [(1, "203.0.113.9"), (2, "10.0.0.7"), (9, "6.6.6.6")])
def test_each_trusted_proxy_vouches_for_one_entry_from_the_right(proxies, expected):
    with override_settings(KEHU_TRUSTED_PROXIES=proxies):
        assert client_address(_request()) == expected
        assert client_address(_request(None)) == "192.0.2.1"


def test_the_api_throttles_and_the_lockout_use_the_same_setting():
    from axes.helpers import get_client_ip_address
    from ninja.conf import settings as ninja_settings

    assert ninja_settings.NUM_PROXIES == settings.KEHU_TRUSTED_PROXIES
    with override_settings(KEHU_TRUSTED_PROXIES=2):
        assert get_client_ip_address(_request()) == "10.0.0.7"


@pytest.mark.django_db
def test_a_new_forwarded_header_each_time_does_not_escape_the_api_throttle():
    client = Client()
    statuses = [
        client.post(
            "/api/feedback/surveys/not-a-token",
            {"score": 5},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(settings.KEHU_SURVEY_RATE_PER_MINUTE + 1)
    ]
    assert statuses[-1] == 429, statuses


@pytest.mark.django_db
def test_the_audit_history_records_the_vouched_address():
    from kehu.audit.middleware import AuditContextMiddleware
    from kehu.audit.models import AuditEntry
    from kehu.customers.models import Account

    def change(request):
        Account.objects.create(name="丙公司")
        return HttpResponse()

    request = _request()
    request.user = AnonymousUser()
    with override_settings(KEHU_TRUSTED_PROXIES=1):
        AuditContextMiddleware(change)(request)
    assert AuditEntry.objects.get().remote_addr == "203.0.113.9"
