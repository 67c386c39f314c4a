"""Who may do what with mail (registered into kehu.access.permissions).

Mailboxes carry server passwords: like every model without a rule, they are for administrators
only. Received mail is the desk's to read and to release or discard when held.
"""

from __future__ import annotations

from typing import Any

from kehu.access.permissions import CHANGE, VIEW, rule
from kehu.desk.rules import is_desk_staff
from kehu.mail.models import InboundMail


@rule(InboundMail)
def _received(user: Any, action: str, target: Any) -> bool:
    return action in (VIEW, CHANGE) and is_desk_staff(user)
