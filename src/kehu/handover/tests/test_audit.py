"""Handovers and their checklist items are in the audit history (also items inserted in bulk)."""

import pytest

from kehu.audit.models import AuditEntry
from kehu.handover.models import Handover, HandoverItem
from kehu.handover.tests.factories import matrix_objects

pytestmark = pytest.mark.django_db


def test_a_handover_and_its_items_are_audited(world):
    ids = matrix_objects(world)
    handover = Handover.objects.get(pk=ids["handover"])
    item = HandoverItem.objects.get(pk=ids["handover_item"])
    assert AuditEntry.objects.get_for_object(handover).count() >= 1
    assert AuditEntry.objects.get_for_object(item).count() == 1
    item.background_notes = "客户偏好电话沟通"
    item.save()
    assert AuditEntry.objects.get_for_object(item).count() == 2
