"""Ticket priority from impact scope × severity (影响范围及程度), by a configurable matrix."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Impact(models.TextChoices):
    INDIVIDUAL = "individual", _("One person")
    GROUP = "group", _("A team or some users")
    ORGANISATION = "organisation", _("A whole customer or department")
    WIDESPREAD = "widespread", _("Several customers or departments")


class Severity(models.TextChoices):
    LOW = "low", _("Minor: a workaround exists")
    MEDIUM = "medium", _("Degraded: work is slowed")
    HIGH = "high", _("Blocked: work cannot go on")
    CRITICAL = "critical", _("Critical: outage or data at risk")


class TicketType(models.TextChoices):
    """SPEC §2: a new requirement goes to negotiation and scheduling; a defect is owed a fix."""

    QUESTION = "question", _("Question")
    SERVICE_REQUEST = "service_request", _("Service request")
    INCIDENT = "incident", _("Incident")
    COMPLAINT = "complaint", _("Complaint")
    NEW_REQUIREMENT = "new_requirement", _("New requirement")
    DEFECT = "defect", _("Defect or broken promise")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


def cell_key(impact: str, severity: str) -> str:
    return f"{impact}:{severity}"


# Priority rises with both impact and severity; the operator can change every cell.
DEFAULT_MATRIX: dict[str, str] = {
    cell_key(impact, severity): priority
    for impact, row in zip(
        Impact.values,
        [
            ["low", "normal", "normal", "high"],
            ["low", "normal", "high", "high"],
            ["normal", "high", "high", "urgent"],
            ["normal", "high", "urgent", "urgent"],
        ],
        strict=True,
    )
    for severity, priority in zip(Severity.values, row, strict=True)
}
