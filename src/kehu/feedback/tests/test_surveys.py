"""Satisfaction surveys: invited on resolve by mail, answered once through a public link."""

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kehu.conftest import EmployeeFactory
from kehu.desk import tickets
from kehu.desk.models import Status
from kehu.desk.tests import factories as f
from kehu.feedback import services
from kehu.feedback.models import SatisfactionRating, SurveyInvitation
from kehu.feedback.tests.factories import external_contact, resolve

pytestmark = pytest.mark.django_db


def _wait_for(inbox, count=1):
    for _ in range(100):  # the SMTP server hands messages over on its own thread
        if len(inbox.messages) >= count:
            return
        time.sleep(0.05)


def _link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"http://[^/\s]+(/s/[A-Za-z0-9_-]+/)", body).group(1)


def test_resolving_mails_a_survey_link_that_takes_one_rating(
    world, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.KEHU_BASE_URL = "http://kehu.example"
    agent = EmployeeFactory(department=world.support, user=world.agent)
    ticket = f.ticket(world.support, subject="VPN 连不上", assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket, world.agent)
    _wait_for(smtp_server)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "buyer@example.com"
    assert ticket.reference in message["Subject"]
    assert "http://kehu.example/s/" in message.get_payload(decode=True).decode()
    link = _link(message)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert link.split("/")[2] not in (invitation.digest,)  # only the digest is stored

    client = Client()
    page = client.get(link)
    assert page.status_code == 200
    assert ticket.reference in page.content.decode()
    assert "VPN 连不上" in page.content.decode()
    assert "请帮忙看看" not in page.content.decode()  # the conversation is not shown

    done = client.post(link, {"score": "4", "comment": "很快"})
    assert done.status_code == 200 and b"survey-thanks" in done.content
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment, rating.agent, rating.department) == (
        4,
        "很快",
        agent,
        world.support,
    )
    assert rating.account == ticket.account and not hasattr(rating, "callback")

    again = client.get(link)
    assert again.status_code == 410
    assert b'data-reason="used"' in again.content
    assert client.post(link, {"score": "1"}).status_code == 410
    assert SatisfactionRating.objects.count() == 1


def test_the_invitation_is_in_the_requesters_language(world, django_capture_on_commit_callbacks):
    contact = external_contact("乙公司")
    contact.language = "zh-hans"
    contact.save()
    ticket = f.ticket(world.support, contact_=contact)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket)
    assert SurveyInvitation.objects.get(ticket=ticket).language == "zh-hans"

    world.employee.language = "zh-hans"
    world.employee.save()
    requester = EmployeeFactory(department=world.finance, user=world.employee, email="")
    internal = f.ticket(world.support, employee=requester)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(internal)
    invitation = SurveyInvitation.objects.get(ticket=internal)
    assert (invitation.email, invitation.language) == ("employee@example.com", "zh-hans")


def test_expired_and_unknown_links_get_clear_pages_not_errors(world):
    ticket = resolve(f.ticket(world.support))
    issued = services.survey_invite(ticket)
    client = Client()
    assert client.get(f"/s/{issued.token}/").status_code == 200
    SurveyInvitation.objects.filter(pk=issued.invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = client.post(f"/s/{issued.token}/", {"score": "5"})
    assert expired.status_code == 410 and b'data-reason="expired"' in expired.content
    assert b"This survey link has expired" in expired.content
    unknown = client.get("/s/not-a-real-token/")
    assert unknown.status_code == 404 and b'data-reason="unknown"' in unknown.content
    assert client.get("/s/" + "x" * 500 + "/").status_code == 404
    assert not SatisfactionRating.objects.exists()


def test_expiry_follows_the_configured_number_of_days(world, settings):
    settings.KEHU_SURVEY_DAYS = 3
    ticket = resolve(f.ticket(world.support))
    issued = services.survey_invite(ticket)
    later = issued.invitation.created_at + timedelta(days=3, seconds=1)
    with pytest.raises(services.SurveyUnavailable) as caught:
        services.survey_submit(token=issued.token, score=5, now=later)
    assert caught.value.reason == "expired"
    rating = services.survey_submit(token=issued.token, score=5, now=later - timedelta(seconds=2))
    assert rating.score == 5


def test_reopened_then_resolved_ticket_gets_a_new_link_and_the_old_one_is_void(
    world, django_capture_on_commit_callbacks
):
    ticket = f.ticket(world.support)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket)
    first = SurveyInvitation.objects.get(ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.change_status(ticket, Status.OPEN, actor=world.agent)
    first.refresh_from_db()
    assert first.voided_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket)
    invitations = SurveyInvitation.objects.filter(ticket=ticket).order_by("id")
    assert [i.voided_at is None for i in invitations] == [False, True]
    # Resolving again while a link is live replaces it, never two live links.
    issued = services.survey_invite(ticket)
    assert SurveyInvitation.objects.filter(ticket=ticket, voided_at__isnull=True).get() == (
        issued.invitation
    )


def test_old_link_after_reopen_says_it_was_replaced(world):
    ticket = resolve(f.ticket(world.support))
    old = services.survey_invite(ticket)
    tickets.change_status(ticket, Status.OPEN, actor=world.agent)
    resolve(ticket)
    services.survey_invite(ticket)
    response = Client().get(f"/s/{old.token}/")
    assert response.status_code == 410 and b'data-reason="voided"' in response.content


def test_no_address_no_invitation(world):
    contact = external_contact("丙公司")
    contact.email = ""
    contact.save()
    ticket = resolve(f.ticket(world.support, contact_=contact))
    assert services.survey_invite(ticket) is None
    assert not SurveyInvitation.objects.exists()


def test_bad_score_is_a_form_error_and_keeps_the_link(world):
    ticket = resolve(f.ticket(world.support))
    issued = services.survey_invite(ticket)
    client = Client()
    response = client.post(f"/s/{issued.token}/", {"score": "9", "comment": "x"})
    assert response.status_code == 200 and b'class="errors"' in response.content
    assert client.post(f"/s/{issued.token}/", {"score": "3"}).status_code == 200
    assert SatisfactionRating.objects.get().score == 3


def test_survey_form_keeps_csrf_protection(world):
    ticket = resolve(f.ticket(world.support))
    issued = services.survey_invite(ticket)
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/s/{issued.token}/", {"score": "5"}).status_code == 403
    page = client.get(f"/s/{issued.token}/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    accepted = client.post(
        f"/s/{issued.token}/", {"score": "5", "csrfmiddlewaretoken": token.decode()}
    )
    assert accepted.status_code == 200 and SatisfactionRating.objects.count() == 1


def test_survey_page_is_rate_limited_per_address(world, settings):
    settings.KEHU_SURVEY_RATE_PER_MINUTE = 3
    client = Client()
    statuses = [client.get("/s/guessing-tokens/").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/s/guessing-tokens/").status_code == 404
