import re
import time

import pytest
from django.core import mail
from django.test import Client

from kehu.access.models import User
from kehu.conftest import client_for

pytestmark = pytest.mark.django_db


def test_sign_in_and_out(world):
    client = Client()
    response = client.post("/accounts/login/", {"username": "agent", "password": "pw-agent"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_repeated_failed_sign_ins_lock_the_account_for_that_address(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "agent", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "agent", "password": "pw-agent"})
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_arrives_over_smtp_and_its_link_sets_a_new_password(world, smtp_server):
    client = Client()
    response = client.post("/accounts/password-reset/", {"email": "agent@example.com"})
    assert response.status_code == 302
    for _ in range(50):  # the SMTP server hands the message over on its own thread
        if smtp_server.messages:
            break
        time.sleep(0.05)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "agent@example.com"
    # Automatic mail with our loop header: should it bounce back to a mailbox, no ticket opens.
    assert message["X-Loop"] and message["Auto-Submitted"] == "auto-generated"
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://[^/]+(/accounts/password-reset/[^/]+/[^/]+/)", body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    confirm_url = form_page.redirect_chain[-1][0]
    done = client.post(
        confirm_url, {"new_password1": "Brand-new-Pa55", "new_password2": "Brand-new-Pa55"}
    )
    assert done.status_code == 302
    assert User.objects.get(username="agent").check_password("Brand-new-Pa55")


def test_password_reset_for_unknown_address_says_the_same_and_sends_nothing(world):
    response = Client().post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_language_choice_is_remembered_on_the_user(world):
    client = client_for(world.agent)
    client.post("/i18n/language/", {"language": "zh-hans", "next": "/org/departments/"})
    world.agent.refresh_from_db()
    assert world.agent.language == "zh-hans"
    page = client_for(world.agent).get("/org/departments/")
    assert "部门".encode() in page.content
    assert page["Content-Language"] == "zh-hans"


def test_language_switch_ignores_foreign_redirects_and_unknown_languages(world):
    client = client_for(world.agent)
    response = client.post("/i18n/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    world.agent.refresh_from_db()
    assert world.agent.language == "en"


def test_time_zone_preference_changes_how_times_are_shown(world):
    client = client_for(world.admin)
    response = client.post("/accounts/me/", {"language": "en", "time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    world.admin.refresh_from_db()
    assert world.admin.time_zone == "Europe/Berlin"
    bad = client.post("/accounts/me/", {"language": "en", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 200 and b"Mars/Olympus" in bad.content


def test_api_token_is_shown_once_and_stored_only_as_a_digest(world):
    client = client_for(world.agent)
    response = client.post("/accounts/me/tokens/", {"name": "laptop"})
    secret = re.search(rb"kehu_[0-9a-f]{12}_[A-Za-z0-9_-]+", response.content).group(0).decode()
    token = world.agent.api_tokens.get()
    assert secret not in (token.digest, token.prefix)
    assert (
        Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["username"] == "agent"
    )
    profile = client.get("/accounts/me/")
    assert secret.encode() not in profile.content
    client.post(f"/accounts/me/tokens/{token.pk}/revoke/")
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def _sign_in(client, username, **headers):
    return client.post(
        "/accounts/login/", {"username": username, "password": f"pw-{username}"}, **headers
    )


def test_the_language_chosen_on_the_sign_in_page_sticks_after_sign_in(world):
    world.agent.last_login = world.agent.date_joined  # not a first sign-in: a stored preference
    world.agent.save()
    client = Client()
    client.get("/accounts/login/")
    client.post("/i18n/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "登录".encode() in client.get("/accounts/login/").content
    _sign_in(client, "agent")
    world.agent.refresh_from_db()
    assert world.agent.language == "zh-hans"
    page = client.get("/org/departments/")
    assert page["Content-Language"] == "zh-hans"
    # Signing out and in again without choosing keeps it, whatever the browser says.
    client.post("/accounts/logout/")
    _sign_in(client, "agent", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    world.agent.refresh_from_db()
    assert world.agent.language == "zh-hans"


def test_a_new_user_starts_in_the_browsers_language(world):
    client = Client()
    _sign_in(client, "employee", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    world.employee.refresh_from_db()
    assert world.employee.language == "zh-hans"
    assert client.get("/accounts/me/")["Content-Language"] == "zh-hans"


def test_a_returning_user_keeps_the_stored_language_over_the_browsers(world):
    world.agent.last_login = world.agent.date_joined
    world.agent.save()
    _sign_in(Client(), "agent", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    world.agent.refresh_from_db()
    assert world.agent.language == "en"


def test_the_portal_follows_the_same_rule(world):
    client = Client()
    _sign_in(client, "customer_a", HTTP_ACCEPT_LANGUAGE="zh-Hans-CN,zh-Hans;q=0.9")
    page = client.get("/portal/")
    assert page.status_code == 200 and page["Content-Language"] == "zh-hans"
    assert "我的工单".encode() in page.content
    client.post("/accounts/logout/")
    client.post("/i18n/language/", {"language": "en", "next": "/accounts/login/"})
    _sign_in(client, "customer_a", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    world.customer_a.refresh_from_db()
    assert world.customer_a.language == "en"
    assert client.get("/portal/")["Content-Language"] == "en"
