"""Tickets: their lifecycle (writes), the staff ticket pages and the ticket API.

This package's namespace is the ticket write API other apps call (mail intake, incidents,
feedback): ``from kehu.desk import tickets; tickets.create_ticket(...)``. The writes live in
``intake`` (new tickets), ``changes`` (conversation, fields, status, links, merge) and
``assignment`` (queue settings, assignment, transfers, disputes); code inside the desk imports
those modules directly.
"""

from kehu.desk.staffing import effective_assignee
from kehu.desk.tickets.assignment import (
    DisputeRefused,
    choose_assignee,
    choose_assignees,
    decide_dispute,
    desk_settings,
    file_dispute,
    has_worked,
    queue_members,
    transfer,
)
from kehu.desk.tickets.changes import (
    EDITABLE,
    add_message,
    auto_close,
    change_status,
    link,
    merge,
    update_ticket,
)
from kehu.desk.tickets.intake import (
    NewTicket,
    create_ticket,
    create_tickets,
    default_intake_department,
)

__all__ = [
    "EDITABLE",
    "DisputeRefused",
    "NewTicket",
    "add_message",
    "auto_close",
    "change_status",
    "choose_assignee",
    "choose_assignees",
    "create_ticket",
    "create_tickets",
    "decide_dispute",
    "default_intake_department",
    "desk_settings",
    "effective_assignee",
    "file_dispute",
    "has_worked",
    "link",
    "merge",
    "queue_members",
    "transfer",
    "update_ticket",
]
