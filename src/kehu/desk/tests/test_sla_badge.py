"""The SLA badge tells each target's state plainly; durations read as business hours and days."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from kehu.conftest import ServiceFactory, client_for
from kehu.core.durations import business_duration, time_left
from kehu.desk.models import SlaClock, Target, Ticket
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("minutes", "day", "told"),
    [
        (2400, 480, "5 working days"),
        (2400, None, "40 h"),
        (9600, 480, "20 working days"),
        (600, 480, "1 working day 2 h"),
        (90, 480, "1 h 30 min"),
        (45, None, "45 min"),
        (0, None, "0 min"),
    ],
)
def test_business_durations_read_as_hours_and_working_days(minutes, day, told):
    assert business_duration(minutes, day) == told


def test_durations_in_chinese():
    with translation.override("zh-hans"):
        assert business_duration(2400, 480) == "5 个工作日"
        assert business_duration(90) == "1 小时 30 分钟"
        assert time_left(timedelta(days=2, hours=4, minutes=3)) == "2 天 4 小时"


@pytest.fixture
def late_first_response(world):
    """First response breached ten minutes ago, resolution due in 56 minutes."""
    f.policy(f.always_calendar(), first=60, nxt=None, resolution=240)
    ticket = f.ticket(world.support, subject="首次响应超时")
    now = timezone.now()
    # 56 minutes and a half: the page renders a moment later and still reads "56 min".
    resolution_due = now + timedelta(minutes=56, seconds=30)
    SlaClock.objects.filter(ticket=ticket, target=Target.FIRST_RESPONSE).update(
        due_at=now - timedelta(minutes=10), breached=True
    )
    SlaClock.objects.filter(ticket=ticket, target=Target.RESOLUTION).update(
        due_at=resolution_due, warn_at=resolution_due + timedelta(minutes=1)
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        next_due_at=now - timedelta(minutes=10), sla_breached=True
    )
    return ticket


def _badge_text(html: str) -> str:
    start = html.index('data-testid="sla-badge"')
    return html[start : html.index("</span></span>", start)]


@pytest.mark.parametrize("url", ["/desk/tickets/", "/desk/tickets/{pk}/"])
def test_each_target_shows_its_own_state(world, late_first_response, url):
    page = client_for(world.agent).get(url.format(pk=late_first_response.pk)).content.decode()
    badge = _badge_text(page)
    assert "First response overdue" in badge
    assert "Resolution due in 56 min" in badge
    assert "overdue, due" not in page and "from now" not in badge


def test_the_badge_in_chinese(world, late_first_response):
    world.agent.language = "zh-hans"
    world.agent.save()
    page = client_for(world.agent).get("/desk/tickets/").content.decode()
    badge = _badge_text(page)
    assert "首次响应已逾期" in badge and "解决还剩 56 分钟" in badge


def test_the_ticket_page_tells_targets_in_business_time(world):
    f.policy(f.office_calendar(), first=240, nxt=None, resolution=2400)
    ticket = f.ticket(world.support)
    page = client_for(world.agent).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "/ 5 working days" in page and "/ 4 h" in page
    assert "2400 min" not in page and " min</td>" not in page


def test_policy_pages_tell_targets_in_business_hours_and_days(world):
    policy = f.policy(f.office_calendar(), first=60, nxt=None, resolution=9600)
    admin = client_for(world.admin)
    detail = admin.get(f"/desk/sla-policies/{policy.pk}/").content.decode()
    assert "20 working days" in detail and "1 h" in detail and "A working day is 8 h." in detail
    assert ">9600<" not in detail
    listing = admin.get("/desk/sla-policies/").content.decode()
    assert "1 h / — / 20 working days" in listing
    with translation.override("zh-hans"):
        world.admin.language = "zh-hans"
        world.admin.save()
        chinese = client_for(world.admin).get(f"/desk/sla-policies/{policy.pk}/").content.decode()
    assert "20 个工作日" in chinese and "一个工作日为 8 小时。" in chinese


def test_the_service_catalogue_tells_response_times_in_hours(world):
    ServiceFactory(department=world.support, response_minutes=240, resolution_minutes=2400)
    page = client_for(world.admin).get(f"/org/departments/{world.support.pk}/").content.decode()
    assert "4 h / 40 h" in page and "2400 min" not in page
