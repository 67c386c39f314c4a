"""The dossier pages: who may open and change them, what they show, and their query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.conftest import EmployeeFactory, client_for
from kehu.customers.models import AccountTeamMember
from kehu.desk.priority import TicketType
from kehu.desk.tests import factories
from kehu.dossier import services
from kehu.dossier.models import DossierAttachment, DossierEntry, EventStatus, Section, Visit
from kehu.dossier.panels import dossier_panel_context
from kehu.feedback.models import ComplaintRecord


def _entry(world, account, section=Section.BASE_NOTES, **fields):
    data = {"title": "概况", "body": "客户概况"} | fields
    return services.entry_create(account=account, actor=world.after_sales, section=section, **data)


def _fill(world, account, contact, n=3):
    today = timezone.localdate()
    engineer = EmployeeFactory(department=world.aftersales)
    for i in range(n):
        _entry(world, account, Section.BASE_NOTES, title=f"概况{i}")
        _entry(world, account, Section.ARCHITECTURE, title=f"架构{i}")
        _entry(world, account, Section.CURRENT_EVENT, title=f"扩容{i}", category="scale_out")
        _entry(world, account, Section.COMPLAINT, title=f"投诉{i}")
        _entry(world, account, Section.POSITIVE, title=f"主动告警{i}", category="proactive_alert")
        visit = services.visit_create(
            account=account,
            actor=world.after_sales,
            kind=Visit.Kind.ROUTINE_MONTHLY,
            planned_on=today - timedelta(days=30 * (i + 1)),
            purpose=f"月度拜访{i}",
            our_attendees=[engineer],
            customer_attendees=[contact],
        )
        services.visit_mark_done(
            visit,
            actor=world.after_sales,
            expected_version=1,
            visited_on=visit.planned_on,
            summary="纪要",
            follow_ups=[services.NewFollowUp(f"跟进{i}", owner=engineer, due_on=visit.planned_on)],
        )
        services.visit_create(
            account=account,
            actor=world.after_sales,
            kind=Visit.Kind.ROUTINE_MONTHLY,
            planned_on=today + timedelta(days=10 * (i + 1)),
            purpose=f"计划拜访{i}",
            our_attendees=[engineer],
        )
        ticket = factories.ticket(
            world.support,
            contact_=contact,
            ticket_type=TicketType.COMPLAINT,
            subject=f"投诉工单{i}",
        )
        ComplaintRecord.objects.create(ticket=ticket, customer_impact=f"影响{i}")


# --- who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona,view,change",
    [
        ("admin", 200, 200),
        ("after_sales", 200, 200),
        ("auditor", 200, 403),
        ("agent", 404, 404),
        ("employee", 404, 404),
        ("lead", 404, 404),
        ("account_manager", 404, 404),
        ("customer_a", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_dossier_pages_per_persona(world, account, persona, view, change):
    entry = _entry(world, account)
    client = client_for(getattr(world, persona))
    assert client.get(f"/dossier/accounts/{account.pk}/").status_code == view
    assert client.get(f"/dossier/entries/{entry.pk}/").status_code == view
    assert client.get(f"/dossier/entries/{entry.pk}/history/").status_code == view
    assert client.get(f"/dossier/accounts/{account.pk}/entries/new/").status_code == change
    assert client.get(f"/dossier/entries/{entry.pk}/edit/").status_code == change


def test_owner_and_team_member_edit_their_accounts_dossier(world, account, manager_employee):
    client = client_for(world.account_manager)
    assert client.get(f"/dossier/accounts/{account.pk}/").status_code == 404
    account.owner = manager_employee
    account.save()
    response = client.post(
        f"/dossier/accounts/{account.pk}/entries/new/?section=current_event",
        {
            "title": "双十一重保",
            "category": "major_event_assurance",
            "status": "open",
            "happened_on": "2026-11-01",
            "body": "7×24 值守",
        },
    )
    assert response.status_code == 302
    entry = DossierEntry.objects.get()
    assert entry.author == world.account_manager and entry.section == Section.CURRENT_EVENT

    account.owner = None
    account.save()
    AccountTeamMember.objects.create(account=account, employee=manager_employee, role="售前")
    world.account_manager = type(world.account_manager).objects.get(pk=world.account_manager.pk)
    client = client_for(world.account_manager)
    assert client.get(f"/dossier/entries/{entry.pk}/edit/").status_code == 200


def test_edit_with_a_stale_version_answers_409_and_keeps_the_newer_text(world, account):
    entry = _entry(world, account, title="概况", body="旧")
    services.entry_update(entry, actor=world.admin, expected_version=1, changes={"body": "新"})
    response = client_for(world.after_sales).post(
        f"/dossier/entries/{entry.pk}/edit/",
        {"title": "概况", "happened_on": "2026-01-01", "body": "我的修改", "version": 1},
    )
    assert response.status_code == 409
    entry.refresh_from_db()
    assert entry.body == "新"


def test_new_architecture_note_is_prefilled_with_the_questions(world, account):
    response = client_for(world.after_sales).get(
        f"/dossier/accounts/{account.pk}/entries/new/?section=architecture"
    )
    assert "## Competitors they use" in response.content.decode()


def test_dossier_page_shows_sections_visits_and_complaints_in_few_queries(
    world, account, contact, django_assert_max_num_queries
):
    _fill(world, account, contact, n=2)
    client = client_for(world.after_sales)
    client.get(f"/dossier/accounts/{account.pk}/")
    with CaptureQueriesContext(connection) as small:
        client.get(f"/dossier/accounts/{account.pk}/")
    _fill(world, account, contact, n=4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"/dossier/accounts/{account.pk}/")
    assert len(small.captured_queries) <= 12
    page = response.content.decode()
    for heading in (
        "Base facts notes",
        "Business and technical architecture",
        "Current events",
        "Visits",
        "Complaint archive",
        "Positive communications",
    ):
        assert heading in page
    assert page.index("Business and technical architecture") < page.index("Complaint archive")
    assert "投诉工单0" in page and "影响0" in page and "投诉0" in page
    assert "计划拜访0" in page and "月度拜访0" in page
    assert 'data-testid="overdue"' in page


def test_current_events_filter_by_status(world, account):
    _entry(
        world, account, Section.CURRENT_EVENT, title="进行中的扩容", status=EventStatus.IN_PROGRESS
    )
    _entry(world, account, Section.CURRENT_EVENT, title="已结束的重保", status=EventStatus.CLOSED)
    client = client_for(world.auditor)
    open_page = client.get(f"/dossier/accounts/{account.pk}/?status=open").content.decode()
    assert "进行中的扩容" in open_page and "已结束的重保" not in open_page
    closed_page = client.get(f"/dossier/accounts/{account.pk}/?status=closed").content.decode()
    assert "已结束的重保" in closed_page and "进行中的扩容" not in closed_page
    assert client.get(f"/dossier/accounts/{account.pk}/?status=x").status_code == 200


def test_entry_page_renders_markdown_safely(world, account):
    entry = _entry(
        world, account, body="**重要** <script>alert(1)</script> [x](javascript:alert(1))"
    )
    page = client_for(world.auditor).get(f"/dossier/entries/{entry.pk}/").content.decode()
    assert "<strong>重要</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript:' not in page


def test_history_and_diff_between_any_two_revisions(world, account):
    entry = _entry(world, account, Section.ARCHITECTURE, title="架构", body="同时使用阿里云的CDN")
    entry = services.entry_update(
        entry, actor=world.admin, expected_version=1, changes={"body": "同时使用腾讯云的CDN"}
    )
    services.entry_update(
        entry, actor=world.admin, expected_version=2, changes={"title": "架构说明"}
    )
    client = client_for(world.auditor)
    history = client.get(f"/dossier/entries/{entry.pk}/history/").content.decode()
    assert history.count('name="a"') == 3
    diff = client.get(f"/dossier/entries/{entry.pk}/diff/?a=1&b=2").content.decode()
    assert "<del>阿里</del>" in diff and "<ins>腾讯</ins>" in diff
    latest = client.get(f"/dossier/entries/{entry.pk}/diff/").content.decode()
    assert "<ins>说明</ins>" in latest
    assert client.get(f"/dossier/entries/{entry.pk}/diff/?a=1&b=9").status_code == 302
    assert client.get(f"/dossier/entries/{entry.pk}/diff/?a=x&b=y").status_code == 200


def test_attachments_upload_limits_and_permission_checked_download(world, account, settings):
    entry = _entry(world, account)
    editor = client_for(world.after_sales)
    response = editor.post(
        f"/dossier/entries/{entry.pk}/attachments/",
        {"file": SimpleUploadedFile("架构图.pdf", b"%PDF-1.4 demo", "application/pdf")},
    )
    assert response.status_code == 302
    attachment = DossierAttachment.objects.get()
    assert attachment.filename == "架构图.pdf" and attachment.size == 13
    editor.post(
        f"/dossier/entries/{entry.pk}/attachments/",
        {"file": SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")},
    )
    settings.KEHU_ATTACHMENT_MAX_BYTES = 5
    editor.post(
        f"/dossier/entries/{entry.pk}/attachments/",
        {"file": SimpleUploadedFile("big.txt", b"0123456789", "text/plain")},
    )
    assert DossierAttachment.objects.count() == 1

    download = client_for(world.auditor).get(f"/dossier/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 demo"
    assert download["Content-Type"] == "application/octet-stream"
    for persona in ("agent", "account_manager", "customer_a", "employee"):
        assert (
            client_for(getattr(world, persona))
            .get(f"/dossier/attachments/{attachment.pk}/")
            .status_code
            == 404
        )
    assert (
        client_for(world.auditor)
        .post(
            f"/dossier/entries/{entry.pk}/attachments/",
            {"file": SimpleUploadedFile("a.txt", b"a", "text/plain")},
        )
        .status_code
        == 403
    )


def test_visit_pages_plan_edit_done_and_follow_ups(world, account, contact):
    engineer = EmployeeFactory(department=world.aftersales, name="张工")
    client = client_for(world.after_sales)
    response = client.post(
        f"/dossier/accounts/{account.pk}/visits/new/",
        {
            "kind": "routine_monthly",
            "status": "planned",
            "planned_on": "2026-01-10",
            "purpose": "月度例行拜访",
            "our_attendees": [engineer.pk],
            "customer_attendees": [contact.pk],
            "other_attendees": "",
            "summary": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    visit = Visit.objects.get()
    assert client.get(f"/dossier/visits/{visit.pk}/").status_code == 200
    response = client.post(
        f"/dossier/visits/{visit.pk}/done/",
        {
            "version": 1,
            "visited_on": "2026-01-10",
            "summary": "客户满意",
            "follow_up": "发送报价",
            "follow_up_owner": engineer.pk,
            "follow_up_due_on": "2026-01-20",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DONE
    stale = client.post(
        f"/dossier/visits/{visit.pk}/edit/",
        {
            "version": 1,
            "kind": "routine_monthly",
            "status": "done",
            "planned_on": "2026-01-10",
            "visited_on": "2026-01-10",
            "purpose": "改",
            "summary": "x",
        },
    )
    assert stale.status_code == 409
    client.post(f"/dossier/visits/{visit.pk}/follow-ups/", {"description": "安排评审"})
    assert visit.follow_ups.count() == 2
    bad = client.post(f"/dossier/visits/{visit.pk}/follow-ups/", {"description": ""})
    assert bad.status_code == 422
    item = visit.follow_ups.get(description="发送报价")
    client.post(f"/dossier/follow-ups/{item.pk}/done/")
    item.refresh_from_db()
    assert item.done_at is not None
    assert client_for(world.auditor).post(f"/dossier/follow-ups/{item.pk}/done/").status_code == 403
    assert client_for(world.agent).post(f"/dossier/follow-ups/{item.pk}/done/").status_code == 404


def test_planning_lists_upcoming_visits_and_open_follow_ups_of_readable_accounts(
    world, account, other_account, contact, manager_employee, django_assert_max_num_queries
):
    _fill(world, account, contact, n=3)
    other_account.owner = manager_employee
    other_account.save()
    services.visit_create(
        account=other_account,
        actor=world.admin,
        kind=Visit.Kind.ROUTINE_ANNUAL,
        planned_on=timezone.localdate() + timedelta(days=5),
        purpose="客户经理的年度拜访",
    )
    client = client_for(world.after_sales)
    with django_assert_max_num_queries(12):
        page = client.get("/dossier/visits/").content.decode()
    assert "计划拜访2" in page and "客户经理的年度拜访" in page and "跟进1" in page
    assert 'data-testid="overdue"' in page
    managers = client_for(world.account_manager).get("/dossier/visits/").content.decode()
    assert "客户经理的年度拜访" in managers and "计划拜访2" not in managers
    engineer_visits = client.get("/dossier/visits/?mine=1").content.decode()
    assert "计划拜访2" not in engineer_visits  # after_sales has no employee record: none are theirs
    assert client_for(world.agent).get("/dossier/visits/").status_code == 403


def test_panel_shows_a_summary_to_dossier_readers_only(
    world, account, contact, rf, django_assert_max_num_queries
):
    _fill(world, account, contact, n=2)
    _entry(world, account, Section.ARCHITECTURE, title="最新架构", happened_on=timezone.localdate())
    request = rf.get("/")
    request.user = world.after_sales
    with django_assert_max_num_queries(8):
        context = dossier_panel_context(request, account)
    assert context is not None
    assert context["architecture"].title == "最新架构"
    assert [e.title for e in context["open_events"]] == ["扩容1", "扩容0"]
    assert context["next_visit"].purpose == "计划拜访0"
    assert context["last_visit"].purpose == "月度拜访0"
    assert context["complaint_count"] == 4 and context["positive_count"] == 2
    for persona in ("agent", "account_manager", "customer_a"):
        request.user = getattr(world, persona)
        assert dossier_panel_context(request, account) is None
    from django.template.loader import render_to_string

    html = render_to_string("dossier/_account_panel.html", context)
    assert "最新架构" in html and f"/dossier/accounts/{account.pk}/" in html


def test_account_page_shows_the_panel_to_dossier_readers(world, account):
    _entry(world, account, Section.ARCHITECTURE, title="架构概要", body="使用我们的云主机")
    page = client_for(world.auditor).get(f"/customers/accounts/{account.pk}/").content.decode()
    assert 'data-testid="dossier-panel"' in page and "架构概要" in page
    other = client_for(world.agent).get(f"/customers/accounts/{account.pk}/")
    assert other.status_code == 200
    assert 'data-testid="dossier-panel"' not in other.content.decode()


def test_deleting_an_entry_removes_its_files_after_commit(
    world, account, django_capture_on_commit_callbacks
):
    entry = _entry(world, account)
    stored = services.attachment_add(
        entry,
        actor=world.after_sales,
        files=[SimpleUploadedFile("纪要.txt", "会议纪要".encode(), "text/plain")],
    )[0]
    storage, name = stored.file.storage, stored.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.after_sales).post(f"/dossier/entries/{entry.pk}/delete/")
    assert response.status_code == 302
    assert not DossierEntry.objects.exists() and not storage.exists(name)
    assert client_for(world.auditor).post(f"/dossier/entries/{entry.pk}/delete/").status_code == 404
