"""Entries keep numbered revisions and the timeline in step; visits end with follow-ups."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.conftest import EmployeeFactory
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Contact, TimelineEntry
from kehu.dossier import services
from kehu.dossier.models import DossierEntry, EventStatus, Section, Visit


def test_create_keeps_revision_one_and_a_restricted_timeline_line(world, account):
    entry = services.entry_create(
        account=account,
        actor=world.after_sales,
        section=Section.ARCHITECTURE,
        title="架构说明",
        body="使用我们的云主机和对象存储",
    )
    assert entry.author == world.after_sales
    assert list(entry.revisions.values_list("number", "title")) == [(1, "架构说明")]
    line = TimelineEntry.objects.get(source=f"dossier.entry:{entry.pk}")
    assert line.kind == TimelineEntry.Kind.DOSSIER
    assert line.restricted is True
    assert "架构说明" in line.title and line.account == account
    assert line.url == f"/dossier/entries/{entry.pk}/"


def test_current_event_starts_open_with_a_category(world, account):
    entry = services.entry_create(
        account=account, actor=world.after_sales, section=Section.CURRENT_EVENT, title="扩容"
    )
    assert entry.status == EventStatus.OPEN
    assert entry.category == "other"


@pytest.mark.parametrize(
    "section,fields,field",
    [
        (Section.BASE_NOTES, {"category": "scale_out"}, "category"),
        (Section.CURRENT_EVENT, {"category": "proactive_alert"}, "category"),
        (Section.POSITIVE, {"status": "open"}, "status"),
        (Section.CURRENT_EVENT, {"status": "finished"}, "status"),
        (Section.CURRENT_EVENT, {"title": "  "}, "title"),
    ],
)
def test_section_rules_refuse_bad_fields(world, account, section, fields, field):
    data = {"title": "标题"} | fields
    with pytest.raises(ValidationError) as exc:
        services.entry_create(account=account, actor=world.after_sales, section=section, **data)
    assert field in exc.value.error_dict
    assert not DossierEntry.objects.exists()


def test_edits_make_numbered_revisions_and_status_changes_show_on_the_timeline(world, account):
    entry = services.entry_create(
        account=account, actor=world.after_sales, section=Section.CURRENT_EVENT, title="双十一重保"
    )
    entry = services.entry_update(
        entry,
        actor=world.admin,
        expected_version=1,
        changes={"status": EventStatus.IN_PROGRESS, "body": "压测完成"},
    )
    entry = services.entry_update(
        entry, actor=world.admin, expected_version=2, changes={"status": EventStatus.CLOSED}
    )
    assert entry.version == 3
    revisions = list(entry.revisions.order_by("number"))
    assert [(r.number, r.status) for r in revisions] == [
        (1, "open"),
        (2, "in_progress"),
        (3, "closed"),
    ]
    assert revisions[1].author == world.admin and revisions[1].body == "压测完成"
    line = TimelineEntry.objects.get(source=f"dossier.entry:{entry.pk}")
    assert "Closed" in line.title_en and "已关闭" in line.title


def test_saving_unchanged_text_adds_no_revision(world, account):
    entry = services.entry_create(
        account=account, actor=world.after_sales, section=Section.BASE_NOTES, title="概况"
    )
    same = services.entry_update(
        entry, actor=world.after_sales, expected_version=1, changes={"title": " 概况 "}
    )
    assert same.version == 1
    assert entry.revisions.count() == 1


def test_stale_version_saves_nothing(world, account):
    entry = services.entry_create(
        account=account, actor=world.after_sales, section=Section.BASE_NOTES, title="概况"
    )
    services.entry_update(
        entry, actor=world.after_sales, expected_version=1, changes={"body": "第一次"}
    )
    with pytest.raises(StaleVersionError):
        services.entry_update(
            entry, actor=world.admin, expected_version=1, changes={"body": "第二次"}
        )
    entry.refresh_from_db()
    assert entry.body == "第一次"
    assert entry.revisions.count() == 2


def test_manual_complaints_are_complaints_on_the_timeline_and_deletion_forgets(world, account):
    entry = services.entry_create(
        account=account, actor=world.after_sales, section=Section.COMPLAINT, title="电话投诉"
    )
    source = f"dossier.entry:{entry.pk}"
    assert TimelineEntry.objects.get(source=source).kind == TimelineEntry.Kind.COMPLAINT
    services.entry_delete(entry, actor=world.after_sales)
    assert not TimelineEntry.objects.filter(source=source).exists()
    assert not DossierEntry.objects.exists()


def test_visit_planned_then_done_with_follow_ups(world, account, contact):
    today = timezone.localdate()
    engineer = EmployeeFactory(department=world.aftersales)
    visit = services.visit_create(
        account=account,
        actor=world.after_sales,
        kind=Visit.Kind.ROUTINE_MONTHLY,
        planned_on=today + timedelta(days=3),
        purpose="月度例行拜访",
        our_attendees=[engineer],
        customer_attendees=[contact],
    )
    line = TimelineEntry.objects.get(source=f"dossier.visit:{visit.pk}")
    assert line.kind == TimelineEntry.Kind.VISIT and line.restricted
    assert timezone.localtime(line.occurred_at).date() == today + timedelta(days=3)

    visit = services.visit_mark_done(
        visit,
        actor=world.after_sales,
        expected_version=1,
        visited_on=today - timedelta(days=1),
        summary="客户希望**账单明细**",
        follow_ups=[
            services.NewFollowUp("提供账单明细", owner=engineer, due_on=today - timedelta(days=1)),
            services.NewFollowUp("安排架构评审"),
        ],
    )
    assert visit.status == Visit.Status.DONE and visit.version == 2
    overdue, undated = visit.follow_ups.order_by("id")
    assert overdue.is_overdue() and not undated.is_overdue()
    line.refresh_from_db()
    assert timezone.localtime(line.occurred_at).date() == today - timedelta(days=1)
    assert "Done" in line.title_en

    done = services.follow_up_complete(overdue, actor=world.after_sales)
    assert done.done_at is not None and not done.is_overdue()
    again = services.follow_up_complete(done, actor=world.admin)
    assert again.done_at == done.done_at and again.done_by == world.after_sales


def test_done_visit_needs_a_past_day_and_a_summary(world, account):
    visit = services.visit_create(
        account=account,
        actor=world.after_sales,
        kind=Visit.Kind.EXTRAORDINARY,
        planned_on=timezone.localdate(),
        purpose="故障复盘",
    )
    with pytest.raises(ValidationError) as exc:
        services.visit_mark_done(
            visit,
            actor=world.after_sales,
            expected_version=1,
            visited_on=timezone.localdate() + timedelta(days=2),
            summary="复盘",
        )
    assert "visited_on" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.visit_mark_done(
            visit,
            actor=world.after_sales,
            expected_version=1,
            visited_on=timezone.localdate(),
            summary=" ",
        )
    visit.refresh_from_db()
    assert visit.status == Visit.Status.PLANNED and visit.version == 1


def test_visit_refuses_contacts_of_another_account_and_stale_edits(world, account, other_account):
    stranger = Contact.objects.create(account=other_account, name="外人")
    with pytest.raises(ValidationError) as exc:
        services.visit_create(
            account=account,
            actor=world.after_sales,
            kind=Visit.Kind.ROUTINE_ANNUAL,
            planned_on=timezone.localdate(),
            purpose="年度回访",
            customer_attendees=[stranger],
        )
    assert "customer_attendees" in exc.value.error_dict
    visit = services.visit_create(
        account=account,
        actor=world.after_sales,
        kind=Visit.Kind.ROUTINE_ANNUAL,
        planned_on=timezone.localdate(),
        purpose="年度回访",
    )
    services.visit_update(visit, actor=world.admin, expected_version=1, changes={"purpose": "改"})
    with pytest.raises(StaleVersionError):
        services.visit_update(
            visit, actor=world.after_sales, expected_version=1, changes={"purpose": "再改"}
        )


def test_deleting_a_visit_forgets_its_timeline_line(world, account):
    visit = services.visit_create(
        account=account,
        actor=world.after_sales,
        kind=Visit.Kind.ROUTINE_MONTHLY,
        planned_on=timezone.localdate(),
        purpose="拜访",
    )
    services.visit_delete(visit, actor=world.after_sales)
    assert not TimelineEntry.objects.filter(source=f"dossier.visit:{visit.pk}").exists()
