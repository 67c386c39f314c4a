"""HTTP's own optimistic concurrency: reads send an ETag, updates honour If-Match with 412."""

import pytest

from kehu.api import api
from kehu.conftest import client_for
from kehu.core.openapi import versioned_update
from kehu.customers.models import Account
from kehu.desk.models import Ticket
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db

TICKETS = "/api/desk/tickets"


@pytest.fixture
def ticket(world):
    f.policy(f.always_calendar(), first=60, nxt=30, resolution=240)
    return f.ticket(world.support, subject="打印机无法连接")


def _patch(user, url, body, **headers):
    return client_for(user).patch(url, body, content_type="application/json", headers=headers)


def test_a_ticket_read_sends_its_etag_and_an_update_with_if_match_needs_no_body_version(
    world, ticket
):
    url = f"{TICKETS}/{ticket.pk}"
    read = client_for(world.agent).get(url)
    assert read.headers["ETag"] == f'W/"{ticket.version}"'

    updated = _patch(world.agent, url, {"subject": "新标题"}, if_match=read.headers["ETag"])
    assert updated.status_code == 200, updated.content
    assert updated.json()["version"] == ticket.version + 1
    assert updated.headers["ETag"] == f'W/"{ticket.version + 1}"'
    assert Ticket.objects.get(pk=ticket.pk).subject == "新标题"


def test_a_stale_if_match_gets_412_and_changes_nothing(world, ticket):
    url = f"{TICKETS}/{ticket.pk}"
    stale = client_for(world.agent).get(url).headers["ETag"]
    assert _patch(world.agent, url, {"subject": "先到"}, if_match=stale).status_code == 200

    late = _patch(world.agent, url, {"subject": "后到"}, if_match=stale)
    assert late.status_code == 412
    assert late.json()["code"] == "precondition_failed"
    assert late.headers["ETag"] == f'W/"{ticket.version + 1}"'  # what the client should re-read
    assert Ticket.objects.get(pk=ticket.pk).subject == "先到"

    # The strong form of the same tag and "*" are understood too.
    fresh = f'"{ticket.version + 1}"'
    assert _patch(world.agent, url, {"subject": "强"}, if_match=fresh).status_code == 200
    assert (
        _patch(world.agent, url, {"subject": "任意", "version": ticket.version + 2}, if_match="*")
    ).status_code == 200


def test_if_match_that_matches_no_etag_or_disagrees_with_the_body_is_refused(world, ticket):
    url = f"{TICKETS}/{ticket.pk}"
    garbage = _patch(world.agent, url, {"subject": "x"}, if_match="yesterday")
    assert garbage.status_code == 412
    assert garbage.json()["code"] == "precondition_failed"
    etag = f'W/"{ticket.version}"'
    disagree = _patch(world.agent, url, {"subject": "x", "version": 99}, if_match=etag)
    assert disagree.status_code == 422
    assert disagree.json()["errors"][0]["field"] == "version"
    assert Ticket.objects.get(pk=ticket.pk).subject == "打印机无法连接"


def test_without_if_match_a_stale_body_version_is_still_409(world, ticket):
    url = f"{TICKETS}/{ticket.pk}"
    response = _patch(world.agent, url, {"subject": "x", "version": ticket.version + 5})
    assert response.status_code == 409


def test_other_versioned_resources_honour_if_match_too(world):
    account = Account.objects.create(name="甲公司")
    url = f"/api/customers/accounts/{account.pk}"
    etag = client_for(world.admin).get(url).headers["ETag"]
    assert etag == f'W/"{account.version}"'
    assert _patch(world.admin, url, {"name": "甲公司（新）"}, if_match=etag).status_code == 200
    assert _patch(world.admin, url, {"name": "甲公司（旧）"}, if_match=etag).status_code == 412
    assert Account.objects.get(pk=account.pk).name == "甲公司（新）"


def test_every_versioned_update_documents_if_match_and_412():
    schema = api.get_openapi_schema()
    versioned = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if versioned_update(schema, method, operation)
    ]
    assert len(versioned) >= 15  # tickets, accounts, contacts, dossier entries, policies …
    for path, method, operation in versioned:
        assert "412" in operation["responses"], (method, path)
        assert any(p["name"] == "If-Match" for p in operation["parameters"]), (method, path)
    ticket_read = schema["paths"]["/api/desk/tickets/{pk}"]["get"]["responses"]["200"]
    assert "ETag" in ticket_read["headers"]
