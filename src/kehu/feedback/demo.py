"""The satisfaction part of the demo: most requesters of the desk demo's past tickets answer
the survey; a few are unhappy, so their callbacks open."""

from __future__ import annotations

import random

from kehu.desk.models import Status, Ticket
from kehu.feedback import services
from kehu.feedback.models import SurveyInvitation

HISTORY_PREFIX = "[历史] "  # the past tickets of kehu.desk.demo.build_history


def build_feedback_demo(seed: int = 7) -> int:
    """Rate the resolved past tickets once (four in five requesters answer); returns how many
    ratings were given."""
    history = Ticket.objects.filter(subject__startswith=HISTORY_PREFIX)
    if SurveyInvitation.objects.filter(ticket__in=history).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not security)
    rated = 0
    for n, ticket in enumerate(history.filter(status=Status.RESOLVED).order_by("pk")):
        issued = services.survey_invite(ticket)
        if issued is None or n % 5 == 4:  # every fifth requester does not answer
            continue
        score = rng.choice([5, 5, 5, 4, 4, 4, 3, 2, 1])
        services.survey_submit(
            token=issued.token, score=score, comment="" if score > 2 else "太慢了"
        )
        rated += 1
    return rated
