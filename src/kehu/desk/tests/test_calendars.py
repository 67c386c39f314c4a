from datetime import date, time

import pytest
from django.test import Client

from kehu.access.services import api_token_create
from kehu.conftest import client_for
from kehu.desk.models import BusinessCalendar, CalendarDay
from kehu.desk.sla.forms import parse_days, parse_weekday_spans
from kehu.desk.sla.selectors import calendars, engine_calendar
from kehu.desk.sla.services import calendar_create

pytestmark = pytest.mark.django_db

WEEK = {f"weekday_{d}": "09:00-12:00, 13:00-18:00" for d in range(5)}


def test_weekday_text_accepts_chinese_separators_and_overnight():
    assert parse_weekday_spans("09:00-12:00，13:00至18:00; 22:00-06:00") == [
        (time(9), time(12)),
        (time(13), time(18)),
        (time(22), time(6)),
    ]
    with pytest.raises(Exception, match="not like"):
        parse_weekday_spans("nine to five")


def test_day_lines_expand_ranges_and_read_the_weekday_of_make_up_days():
    holidays = parse_days(
        "2026-10-01..2026-10-07 国庆节\n\n2026-01-01 元旦", CalendarDay.Kind.HOLIDAY
    )
    assert (
        len(holidays) == 8
        and holidays[0].name == "国庆节"
        and holidays[-1].date == date(2026, 1, 1)
    )
    working = parse_days("2026-10-10 周五 国庆调休\n2026-09-20 Sun", CalendarDay.Kind.WORKING)
    assert [(d.date, d.works_as, d.name) for d in working] == [
        (date(2026, 10, 10), 4, "国庆调休"),
        (date(2026, 9, 20), 6, ""),
    ]
    with pytest.raises(Exception, match="Line 2"):
        parse_days("2026-10-01 ok\n10/01/2026 wrong", CalendarDay.Kind.HOLIDAY)


def test_admin_creates_a_calendar_on_the_web_and_it_computes_due_times(world):
    client = client_for(world.admin)
    response = client.post(
        "/desk/calendars/new/",
        {
            "name": "上海",
            "name_en": "Shanghai",
            "time_zone": "Asia/Shanghai",
            **WEEK,
            "holidays": "2026-10-01..2026-10-07 国庆节",
            "working_days": "2026-10-10 Fri 调休",
        },
    )
    assert response.status_code == 302, response.content
    calendar = calendars().get(name="上海")
    engine = engine_calendar(calendar)
    assert engine.extra_working_days == {date(2026, 10, 10): 4}
    assert len(engine.holidays) == 7
    page = client.get(
        f"/desk/calendars/{calendar.pk}/", {"start": "2026-09-30T17:00", "minutes": 60 * 18}
    )
    # agent's time zone is Asia/Shanghai: 1h on Sep 30, 8h Oct 8, 8h Oct 9, 1h on make-up Saturday
    assert "2026-10-10 10:00" in page.content.decode()


def test_overlapping_intervals_are_refused_with_the_day_named(world):
    response = client_for(world.admin).post(
        "/desk/calendars/new/",
        {"name": "坏", "time_zone": "UTC", "weekday_0": "09:00-13:00, 12:00-18:00"},
    )
    assert response.status_code == 200
    assert "overlaps" in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="坏").exists()


def test_stale_calendar_edit_gets_409_and_keeps_the_input(world):
    calendar = calendar_create(fields={"name": "甲", "time_zone": "UTC"}, intervals=[], days=[])
    url = f"/desk/calendars/{calendar.pk}/edit/"
    form = {"name": "甲", "time_zone": "UTC", "version": 1, **WEEK}
    assert client_for(world.admin).post(url, form).status_code == 302
    second = client_for(world.admin).post(url, {**form, "description": "mine"})
    assert second.status_code == 409 and "mine" in second.content.decode()


def test_staff_read_calendars_but_only_admins_change_them(world):
    calendar = calendar_create(fields={"name": "乙", "time_zone": "UTC"}, intervals=[], days=[])
    assert client_for(world.agent).get(f"/desk/calendars/{calendar.pk}/").status_code == 200
    assert client_for(world.lead).get(f"/desk/calendars/{calendar.pk}/edit/").status_code == 403
    assert client_for(world.customer_a).get(f"/desk/calendars/{calendar.pk}/").status_code == 404


def test_api_create_replace_with_version_and_ask_for_a_due_time(world):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.admin, name='t').secret}"}
    client = Client()
    body = {
        "name": "API 日历",
        "time_zone": "Asia/Shanghai",
        "intervals": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
        "days": [{"date": "2026-10-01", "kind": "holiday", "name": "国庆"}],
    }
    created = client.post("/api/desk/calendars", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    due = client.post(
        f"/api/desk/calendars/{pk}/due",
        {"start": "2026-09-30T17:00:00+08:00", "minutes": 120},
        content_type="application/json",
        **auth,
    )
    assert due.json()["due_at"] == "2026-10-02T10:00:00+08:00"
    replaced = client.put(
        f"/api/desk/calendars/{pk}",
        {**body, "days": [], "version": 1},
        content_type="application/json",
        **auth,
    )
    assert (
        replaced.status_code == 200
        and replaced.json()["version"] == 2
        and replaced.json()["days"] == []
    )
    stale = client.put(
        f"/api/desk/calendars/{pk}", {**body, "version": 1}, content_type="application/json", **auth
    )
    assert stale.status_code == 409
    naive = client.post(
        f"/api/desk/calendars/{pk}/due",
        {"start": "2026-09-30T17:00:00", "minutes": 1},
        content_type="application/json",
        **auth,
    )
    assert naive.status_code == 422
    history = client.get(f"/api/desk/calendars/{pk}/history", **auth).json()
    assert {h["action"] for h in history} == {"create", "update"}


def test_api_refuses_overlaps_and_unknown_zones_with_422(world):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.admin, name='t').secret}"}
    overlap = {
        "name": "x",
        "time_zone": "UTC",
        "intervals": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "11:00", "end": "13:00"},
        ],
    }
    response = Client().post(
        "/api/desk/calendars", overlap, content_type="application/json", **auth
    )
    assert response.status_code == 422 and "overlaps" in response.json()["errors"][0]["message"]
    zone = Client().post(
        "/api/desk/calendars",
        {"name": "y", "time_zone": "Mars/Olympus"},
        content_type="application/json",
        **auth,
    )
    assert zone.status_code == 422 and zone.json()["errors"][0]["field"] == "time_zone"


def test_demo_calendars_include_make_up_days():
    from kehu.desk.demo import build_calendars

    assert build_calendars() == 3
    assert build_calendars() == 3  # refreshed, not duplicated
    china = calendars().get(name="中国大陆工作日历")
    engine = engine_calendar(china)
    assert date(2026, 10, 10) in engine.extra_working_days and date(2026, 10, 1) in engine.holidays


def test_demo_policies_give_incidents_round_the_clock_targets():
    from kehu.desk.demo import build_calendars, build_policies
    from kehu.desk.sla.selectors import sla_policy_for

    build_calendars()
    assert build_policies() == 2
    assert build_policies() == 2
    incident, _target = sla_policy_for(ticket_type="incident", priority="urgent")
    question, _target = sla_policy_for(ticket_type="question", priority="low")
    assert incident.calendar.name == "7×24 值守" and question.calendar.name == "中国大陆工作日历"
