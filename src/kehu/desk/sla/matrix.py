"""Reading the priority matrix: impact × severity → priority.

Its own module so that the ticket lifecycle (``desk.tickets``) reads the matrix without importing
the SLA setup services (``sla.services``), which schedule re-evaluation through ``sla.sweep``.
``sla.services`` re-exports these names.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.desk.models import PriorityMatrix
from kehu.desk.priority import Impact, Priority, Severity, cell_key


def priority_matrix() -> PriorityMatrix:
    """The matrix, created with the defaults on first use."""
    matrix, _created = PriorityMatrix.objects.get_or_create(pk=1)
    return matrix


def priority_for(impact: str, severity: str) -> str:
    """The priority the matrix gives to this impact and severity."""
    return priority_from(priority_matrix().cells, impact, severity)


def priority_from(cells: dict[str, str], impact: str, severity: str) -> str:
    """``priority_for`` with the matrix's cells already read."""
    if impact not in Impact.values or severity not in Severity.values:
        raise ValidationError(_("Unknown impact or severity."))
    return str(cells.get(cell_key(impact, severity), Priority.NORMAL))
