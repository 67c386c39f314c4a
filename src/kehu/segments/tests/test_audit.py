"""Segment rules are in the audit history."""

import pytest

from kehu.audit.models import AuditEntry
from kehu.segments.models import SegmentRule

pytestmark = pytest.mark.django_db


def test_segment_rule_changes_are_audited():
    rule = SegmentRule.objects.create(name="忠诚客户", segment="loyal")
    rule.name = "忠诚客户（三年以上）"
    rule.save()
    assert AuditEntry.objects.get_for_object(rule).count() == 2
