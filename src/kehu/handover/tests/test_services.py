"""Starting a handover and working through its checklist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account, Ownership, TimelineEntry
from kehu.handover import services
from kehu.handover.models import Handover, HandoverItem
from kehu.handover.rules import PREVIOUS_OWNER_FIELDS
from kehu.notify.models import Notification


def test_bulk_reassignment_moves_exactly_the_chosen_accounts(world, setup):
    first, second, third = setup.accounts
    handover = services.handover_start(
        from_employee=setup.leaving,
        assignments={first: setup.taker, second: setup.other},
        reason=Handover.Reason.LEAVING,
        note="离职",
        by=world.lead,
    )
    owners = dict(Account.objects.values_list("name", "owner_id"))
    assert owners == {
        "甲公司": setup.taker.pk,
        "乙公司": setup.other.pk,
        "丙公司": setup.leaving.pk,  # not chosen: stays
        "丁公司": setup.other.pk,
    }
    items = list(handover.items.order_by("account_id"))
    assert [(i.account_id, i.previous_owner_id, i.new_owner_id, i.status) for i in items] == [
        (first.pk, setup.leaving.pk, setup.taker.pk, "pending"),
        (second.pk, setup.leaving.pk, setup.other.pk, "pending"),
    ]
    # Who held it when: the leaving owner's period is closed, the new one open.
    periods = list(Ownership.objects.filter(account=first).order_by("started_at"))
    assert [(p.owner_id, p.ended_at is not None) for p in periods] == [
        (setup.leaving.pk, True),
        (setup.taker.pk, False),
    ]
    assert handover.reference in periods[1].reason
    lines = TimelineEntry.objects.filter(account=first, kind=TimelineEntry.Kind.OWNER)
    assert lines.count() == 2 and any(handover.reference in line.summary for line in lines)
    assert not TimelineEntry.objects.filter(account=third, summary__contains="HO-").exists()


def test_one_owner_for_all_takes_every_account(world, setup):
    handover = services.handover_start(
        from_employee=setup.leaving, new_owner=setup.taker, reason="role_change", by=world.admin
    )
    assert handover.items.count() == 3
    assert set(Account.objects.filter(owner=setup.taker).values_list("name", flat=True)) == {
        "甲公司",
        "乙公司",
        "丙公司",
    }


def test_new_owners_and_previous_owner_are_notified_after_commit(
    world, setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handover = services.handover_start(
            from_employee=setup.leaving,
            assignments={setup.accounts[0]: setup.taker, setup.accounts[1]: setup.taker},
            reason="leaving",
            by=world.admin,
        )
    notes = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    assert set(notes) == {"account_manager", "leaving"}  # the third owner has no user
    assert handover.reference in notes["account_manager"].title
    assert "甲公司" in notes["account_manager"].body and "乙公司" in notes["account_manager"].body
    assert "background" in notes["leaving"].title
    assert notes["leaving"].url == f"/handover/{handover.pk}/"


@pytest.mark.parametrize(
    "case,message",
    [
        ("not_owned", "not owned by"),
        ("same_owner", "current owner"),
        ("empty", "at least one"),
        ("bad_reason", "why"),
    ],
)
def test_refused_starts_change_nothing(world, setup, case, message):
    assignments = {setup.accounts[0]: setup.taker}
    reason = "leaving"
    if case == "not_owned":
        assignments = {setup.accounts[0]: setup.taker, setup.kept: setup.taker}
    elif case == "same_owner":
        assignments = {setup.accounts[0]: setup.leaving}
    elif case == "empty":
        assignments = {}
    elif case == "bad_reason":
        reason = "bored"
    with pytest.raises(ValidationError, match=message):
        services.handover_start(
            from_employee=setup.leaving, assignments=assignments, reason=reason, by=world.admin
        )
    assert not Handover.objects.exists()
    assert Account.objects.filter(owner=setup.leaving).count() == 3


def test_one_open_item_per_account(world, setup):
    services.handover_start(
        from_employee=setup.leaving,
        assignments={setup.accounts[0]: setup.taker},
        reason="leaving",
        by=world.admin,
    )
    with pytest.raises(ValidationError, match="open handover"):
        services.handover_start(
            from_employee=setup.taker,
            assignments={Account.objects.get(pk=setup.accounts[0].pk): setup.other},
            reason="other",
            by=world.admin,
        )
    assert Account.objects.get(pk=setup.accounts[0].pk).owner == setup.taker


@pytest.fixture
def handover(world, setup):
    return services.handover_start(
        from_employee=setup.leaving,
        assignments={setup.accounts[0]: setup.taker, setup.accounts[1]: setup.taker},
        reason="leaving",
        by=world.admin,
    )


def _update(item, **changes):
    item = HandoverItem.objects.get(pk=item.pk)
    return services.handover_item_update(
        item=item, by=None, expected_version=item.version, changes=changes
    )


def test_done_needs_background_notes_and_the_first_visit(handover):
    item = handover.items.first()
    with pytest.raises(ValidationError) as caught:
        _update(item, status="done")
    errors = caught.value.message_dict
    assert "background notes" in errors["background_notes"][0]
    assert "first in-person visit" in errors["first_visit_done_on"][0]
    with pytest.raises(ValidationError, match="future"):
        _update(item, first_visit_done_on=timezone.localdate() + timedelta(days=1))
    saved = _update(item, background_notes="关键人：王工")
    assert saved.status == "in_progress"  # work started
    done = _update(item, first_visit_done_on=timezone.localdate(), status="done")
    assert done.status == "done" and done.completed_at is not None


def test_handover_completes_when_every_item_is_done(handover):
    first, second = handover.items.order_by("id")
    today = timezone.localdate()
    _update(first, background_notes="n", first_visit_done_on=today, status="done")
    assert Handover.objects.get(pk=handover.pk).status == "open"
    _update(second, background_notes="n", first_visit_done_on=today, status="done")
    finished = Handover.objects.get(pk=handover.pk)
    assert finished.status == "completed" and finished.completed_at is not None
    _update(second, status="in_progress")
    assert Handover.objects.get(pk=handover.pk).status == "open"


def test_stale_item_version_is_refused(handover):
    item = handover.items.first()
    _update(item, open_items="续约")
    with pytest.raises(StaleVersionError):
        services.handover_item_update(
            item=item, by=None, expected_version=1, changes={"open_items": "覆盖"}
        )
    assert HandoverItem.objects.get(pk=item.pk).open_items == "续约"


def test_previous_owner_changes_only_notes_and_open_items(handover):
    item = handover.items.first()
    with pytest.raises(ValidationError, match="cannot change"):
        services.handover_item_update(
            item=item,
            by=None,
            expected_version=1,
            changes={"status": "done"},
            allowed=PREVIOUS_OWNER_FIELDS,
        )
