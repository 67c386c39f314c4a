"""Every response carries a strict Content-Security-Policy (the browser test proves pages obey it)."""

import pytest

from kehu.conftest import client_for

pytestmark = pytest.mark.django_db


def test_pages_and_api_answers_carry_a_policy_without_inline_script(world):
    client = client_for(world.admin)
    for url in ("/", "/accounts/login/", "/api/desk/tickets"):
        policy = client.get(url).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert "unsafe" not in policy, url
        assert directives["frame-ancestors"] == "'none'"


def test_the_page_html_has_no_inline_script(world):
    html = client_for(world.admin).get("/").content.decode()
    assert "<script>" not in html
    assert all('src="' in tag for tag in html.split("<script")[1:])
