"""Account handover (SPEC §3): when an owner leaves or changes role, their accounts move to new
owners with a checklist per account. Who held an account when is customers.Ownership."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.models import VersionedModel


class Handover(VersionedModel):
    class Reason(models.TextChoices):
        LEAVING = "leaving", _("Leaving the organisation")
        ROLE_CHANGE = "role_change", _("Changing role")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")

    from_employee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("previous owner"),
        on_delete=models.PROTECT,
        related_name="handovers_given",
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"HO-{self.pk}"


class HandoverItem(VersionedModel):
    """The checklist of one account in a handover."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", pgettext_lazy("status", "Done")

    handover = models.ForeignKey(
        Handover, verbose_name=_("handover"), on_delete=models.CASCADE, related_name="items"
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="handover_items",
    )
    previous_owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("previous owner"),
        on_delete=models.PROTECT,
        related_name="handover_items_given",
    )
    new_owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("new owner"),
        on_delete=models.PROTECT,
        related_name="handover_items_taken",
    )
    background_notes = models.TextField(
        _("background from the previous owner"),
        blank=True,
        help_text=_("History, key people at the customer, sensitivities."),
    )
    open_items = models.TextField(_("open items"), blank=True)
    first_visit_planned_on = models.DateField(
        _("first in-person visit planned on"), null=True, blank=True
    )
    first_visit_done_on = models.DateField(
        _("first in-person visit done on"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover item")
        verbose_name_plural = _("handover items")
        ordering = ["handover_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=~Q(status="done"),
                name="one_open_handover_item_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.handover} · {self.account}"

    @property
    def checklist(self) -> list[tuple[str, bool]]:
        """The steps of the checklist and whether each is done (for progress displays)."""
        return [
            (
                str(_("Background notes from the previous owner")),
                bool(self.background_notes.strip()),
            ),
            (str(_("Open items listed")), bool(self.open_items.strip())),
            (str(_("First in-person visit planned")), self.first_visit_planned_on is not None),
            (str(_("First in-person visit done")), self.first_visit_done_on is not None),
        ]

    @property
    def progress(self) -> tuple[int, int]:
        steps = self.checklist
        return sum(1 for _label, done in steps if done), len(steps)
