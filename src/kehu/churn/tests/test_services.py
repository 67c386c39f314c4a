"""The churn rules: attribution classes, transitions, one review in progress, snapshots,
timeline lines and notifications."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kehu.churn import services
from kehu.churn.models import ChurnStatusChange, ReviewStatus
from kehu.churn.notifications import EVENT_OPENED
from kehu.churn.tests import factories as f
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import TimelineEntry
from kehu.customers.services import account_change_owner
from kehu.notify.models import Notification

pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def _mark_reviewed(review, actor=None):
    return services.review_transition(
        review, actor=actor, expected_version=review.version, status="reviewed"
    )


def _update(review, actor=None, **changes):
    return services.review_update(
        review, actor=actor, expected_version=review.version, changes=changes
    )


# --- attribution -------------------------------------------------------------------------------


def test_reviewed_needs_an_attribution_and_the_day_it_was_held(world):
    review = f.review(f.account())
    with pytest.raises(ValidationError) as exc:
        _mark_reviewed(review)
    assert set(_errors(exc)) == {"attribution", "review_held_on"}
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_business_ended_is_reviewed_with_nothing_more(world):
    review = f.review(
        f.account(), attribution="business_ended", review_held_on=timezone.localdate()
    )
    review = _mark_reviewed(review, world.after_sales)
    assert review.status == ReviewStatus.REVIEWED
    assert review.reviewed_at is not None


def test_commercial_churn_names_the_competitor(world):
    review = f.review(f.account(), attribution="commercial", review_held_on=timezone.localdate())
    with pytest.raises(ValidationError) as exc:
        _mark_reviewed(review)
    assert "competitor" in _errors(exc)
    review = _update(review, competitor="云帆科技")
    assert _mark_reviewed(review).status == ReviewStatus.REVIEWED


def test_a_competitor_is_named_only_for_commercial_churn(world):
    review = f.review(f.account())
    with pytest.raises(ValidationError) as exc:
        _update(review, attribution="business_ended", competitor="云帆科技")
    assert "competitor" in _errors(exc)


def test_service_capability_needs_a_cause_and_a_linked_ticket_or_incident(world):
    account = f.account()
    review = f.review(
        account, attribution="service_capability", review_held_on=timezone.localdate()
    )
    with pytest.raises(ValidationError) as exc:
        _mark_reviewed(review)
    assert set(_errors(exc)) == {"cause_areas", "tickets"}

    review = _update(review, cause_operations=True, incidents=[f.incident_of(account)])
    review = _mark_reviewed(review)
    assert review.status == ReviewStatus.REVIEWED
    assert review.cause_areas == ["operations"]


def test_a_linked_ticket_is_enough_for_service_capability(world):
    account = f.account()
    ticket = f.ticket_of(account, world.support)
    review = f.review(
        account,
        attribution="service_capability",
        review_held_on=timezone.localdate(),
        cause_product=True,
        cause_development=True,
        tickets=[ticket],
    )
    assert _mark_reviewed(review).status == ReviewStatus.REVIEWED


def test_links_must_belong_to_the_account(world):
    account, other = f.account(), f.account("西南能源集团")
    review = f.review(account)
    with pytest.raises(ValidationError) as exc:
        _update(
            review,
            tickets=[f.ticket_of(other, world.support)],
            incidents=[f.incident_of(other)],
        )
    assert set(_errors(exc)) == {"tickets", "incidents"}


def test_a_reviewed_review_keeps_its_attribution_rules(world):
    account = f.account()
    ticket = f.ticket_of(account, world.support)
    review = f.reviewed(
        account, attribution="service_capability", cause_service=True, tickets=[ticket]
    )
    with pytest.raises(ValidationError) as exc:
        _update(review, tickets=[])
    assert "tickets" in _errors(exc)
    with pytest.raises(ValidationError):
        _update(review, attribution="")


def test_cause_areas_only_for_service_capability(world):
    review = f.review(f.account())
    with pytest.raises(ValidationError) as exc:
        _update(review, attribution="commercial", competitor="云帆", cause_product=True)
    assert "cause_areas" in _errors(exc)


# --- revenue and dates -------------------------------------------------------------------------


def test_revenue_rules(world):
    account = f.account()
    with pytest.raises(ValidationError) as exc:
        f.review(account, kind="shrinking", revenue_before=Decimal(100), revenue_after=Decimal(120))
    assert "revenue_after" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        f.review(account, kind="lost", revenue_before=Decimal(100), revenue_after=Decimal(5))
    assert "revenue_after" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        f.review(account, kind="lost", revenue_after=Decimal(0))
    assert "revenue_before" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        f.review(account, kind="lost", noticed_on=timezone.localdate() + timedelta(days=2))
    assert "noticed_on" in _errors(exc)
    review = f.review(
        account, kind="shrinking", revenue_before=Decimal(500000), revenue_after=Decimal(200000)
    )
    assert review.revenue_lost == Decimal(300000)


# --- one review in progress, transitions --------------------------------------------------------


def test_one_review_in_progress_per_account(world):
    account = f.account()
    first = f.review(account)
    with pytest.raises(ValidationError) as exc:
        f.review(account, kind="shrinking")
    assert first.reference in " ".join(_errors(exc)["account"])
    reviewed = _mark_reviewed(
        _update(first, attribution="business_ended", review_held_on=first.noticed_on)
    )
    with pytest.raises(ValidationError):
        f.review(account)  # reviewed is still in progress
    services.review_transition(
        reviewed, actor=None, expected_version=reviewed.version, status="closed"
    )
    assert f.review(account, kind="shrinking").status == ReviewStatus.OPEN
    assert f.review(f.account("另一家公司")).status == ReviewStatus.OPEN


def test_transitions_follow_the_state_machine_and_are_logged(world):
    review = f.reviewed(f.account(), actor=world.after_sales)
    with pytest.raises(ValidationError):
        services.review_transition(
            review, actor=None, expected_version=review.version, status="reviewed"
        )
    back = services.review_transition(
        review, actor=world.admin, expected_version=review.version, status="open", note="新证据"
    )
    assert back.status == ReviewStatus.OPEN and back.reviewed_at is None
    with pytest.raises(ValidationError):
        services.review_transition(back, actor=None, expected_version=back.version, status="closed")
    again = _mark_reviewed(back)
    closed = services.review_transition(
        again, actor=world.admin, expected_version=again.version, status="closed"
    )
    assert closed.closed_at is not None
    with pytest.raises(ValidationError):
        services.review_transition(
            closed, actor=None, expected_version=closed.version, status="open"
        )
    with pytest.raises(ValidationError):
        _update(closed, decision="改变")
    log = list(
        ChurnStatusChange.objects.filter(review=review).values_list("old_status", "new_status")
    )
    assert log == [
        ("", "open"),
        ("open", "reviewed"),
        ("reviewed", "open"),
        ("open", "reviewed"),
        ("reviewed", "closed"),
    ]
    assert (
        ChurnStatusChange.objects.get(review=review, new_status="open", old_status="reviewed").note
        == "新证据"
    )


def test_closing_needs_the_follow_ups_done(world):
    review = f.reviewed(f.account())
    boss = f.owner(world.support)
    follow_up = services.follow_up_add(
        review, actor=None, action="回访客户技术负责人", owner=boss, due_on=timezone.localdate()
    )
    review.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.review_transition(
            review, actor=None, expected_version=review.version, status="closed"
        )
    assert "1" in " ".join(_errors(exc)["status"])
    done = services.follow_up_complete(
        follow_up, actor=None, expected_version=follow_up.version, note="已回访"
    )
    assert done.is_done and done.done_note == "已回访"
    with pytest.raises(ValidationError):
        services.follow_up_complete(done, actor=None, expected_version=done.version)
    closed = services.review_transition(
        review, actor=None, expected_version=review.version, status="closed"
    )
    assert closed.status == ReviewStatus.CLOSED
    with pytest.raises(ValidationError):
        services.follow_up_add(closed, actor=None, action="再做一件事", owner=boss)


def test_follow_up_needs_an_action_and_an_owner(world):
    review = f.review(f.account())
    with pytest.raises(ValidationError) as exc:
        services.follow_up_add(review, actor=None, action="  ", owner=None)
    assert set(_errors(exc)) == {"action", "owner"}


def test_overdue_follow_up(world):
    review = f.review(f.account())
    follow_up = services.follow_up_add(
        review,
        actor=None,
        action="提交改进方案",
        owner=f.owner(world.support),
        due_on=timezone.localdate() - timedelta(days=3),
    )
    assert follow_up.overdue


def test_edits_carry_the_version(world):
    review = f.review(f.account())
    _update(review, decision="保留核心业务")
    with pytest.raises(StaleVersionError):
        services.review_update(
            review, actor=None, expected_version=review.version, changes={"decision": "旧版本"}
        )
    with pytest.raises(StaleVersionError):
        services.review_transition(
            review, actor=None, expected_version=review.version, status="reviewed"
        )


# --- snapshots, timeline, notifications ---------------------------------------------------------


def test_owner_and_department_snapshot_survive_a_handover(world):
    first_owner = f.owner(world.support)
    account = f.account(owner=first_owner)
    review = f.review(account)
    assert review.owner_at_review == first_owner
    assert review.department == world.support

    account_change_owner(account=account, owner=f.owner(world.finance), reason="交接")
    review.refresh_from_db()
    assert review.owner_at_review == first_owner
    assert review.department == world.support


def test_opening_writes_a_restricted_timeline_line_updated_on_change(world):
    account = f.account()
    review = f.review(account, actor=world.after_sales)
    line = TimelineEntry.objects.get(source=f"churn.review:{review.pk}")
    assert line.kind == TimelineEntry.Kind.CHURN
    assert line.restricted
    assert line.account == account
    assert line.url == f"/churn/{review.pk}/"
    review = _update(review, attribution="commercial", competitor="云帆科技")
    _mark_reviewed(_update(review, review_held_on=review.noticed_on))
    line = TimelineEntry.objects.get(source=f"churn.review:{review.pk}")
    assert "云帆科技" in line.summary
    with translation.override("en"):
        assert line.display_title == f"Churn review {review.reference} (Lost): Reviewed"
        assert line.display_summary.startswith("Attributed: Commercial")
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CHURN).count() == 1


def test_owner_and_after_sales_are_told_after_commit(world, django_capture_on_commit_callbacks):
    owner = f.owner(world.support, user=world.account_manager)
    account = f.account(owner=owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review = f.review(account, actor=world.admin)
    assert len(callbacks) == 1
    told = Notification.objects.filter(event=EVENT_OPENED)
    assert {n.recipient for n in told} == {world.account_manager, world.after_sales}
    assert all(n.url == f"/churn/{review.pk}/" for n in told)
    assert all(account.name in n.title for n in told)


def test_the_person_who_opened_it_is_not_told(world, django_capture_on_commit_callbacks):
    account = f.account()
    with django_capture_on_commit_callbacks(execute=True):
        f.review(account, actor=world.after_sales)
    assert not Notification.objects.filter(recipient=world.after_sales).exists()


def test_nothing_is_told_when_the_open_fails(world, django_capture_on_commit_callbacks):
    account = f.account()
    f.review(account)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        f.review(account)
    assert callbacks == []
