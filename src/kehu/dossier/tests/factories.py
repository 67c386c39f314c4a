"""Dossier records for the permission matrix (src/kehu/core/tests/test_permission_matrix.py)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from kehu.customers.models import Account
from kehu.dossier import services
from kehu.dossier.models import DossierAttachment, Section, Visit


def dossier_objects(world: Any) -> dict[str, Any]:
    """One record of each kind, on an account without owner or team: with the matrix's
    personas only admin and after-sales (edit) and the auditor (read) see its dossier."""
    account = Account.objects.create(name="丁公司")
    entry = services.entry_create(
        account=account, actor=world.admin, section=Section.BASE_NOTES, title="概况"
    )
    attachment = DossierAttachment(
        entry=entry, filename="a.txt", content_type="text/plain", size=1, sha256="0" * 64
    )
    attachment.file.save("a.txt", ContentFile(b"a"))
    visit = services.visit_create(
        account=account,
        actor=world.admin,
        kind=Visit.Kind.ROUTINE_MONTHLY,
        planned_on=timezone.localdate(),
        purpose="拜访",
    )
    follow_up = services.follow_up_add(visit, actor=world.admin, description="跟进")
    return {
        "dossier_account": account.pk,
        "dossier_entry": entry.pk,
        "dossier_attachment": attachment.pk,
        "dossier_visit": visit.pk,
        "dossier_follow_up": follow_up.pk,
        "dossier_format": "csv",
    }
