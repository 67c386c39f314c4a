"""Telling the account's owner and after-sales that a churn review was opened.

Through kehu.notify.notices: inbox (and email if the person asked for it), each in its
recipient's language. Called after the review's transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.access.models import Role, User
from kehu.churn.models import ChurnReview, ReviewKind
from kehu.notify import notices
from kehu.notify.models import Notification

EVENT_OPENED = "churn.review_opened"


def recipients_of(review: ChurnReview) -> list[User]:
    """The owner's user (as snapshotted at the review) and every after-sales engineer."""
    owner_user_id = review.owner_at_review.user_id if review.owner_at_review else None
    who = Q(role_assignments__role=Role.AFTER_SALES)
    if owner_user_id is not None:
        who |= Q(pk=owner_user_id)
    return list(User.objects.filter(who, is_active=True).distinct().order_by("pk"))


def notify_review_opened(review_id: int, *, actor_id: int | None = None) -> list[Notification]:
    """One inbox notification per recipient (the person who opened it is not told)."""
    review = (
        ChurnReview.objects.select_related("account", "owner_at_review")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        return []
    url = reverse("churn:detail", args=[review.pk])

    def text(user: Any) -> tuple[str, str]:
        title = _("Churn review %(ref)s opened: %(account)s (%(kind)s)") % {
            "ref": review.reference,
            "account": review.account.name,
            "kind": ReviewKind(review.kind).label,
        }
        return title, _("Noticed on %(date)s.") % {"date": review.noticed_on.isoformat()}

    people = [user for user in recipients_of(review) if user.pk != actor_id]
    return notices.notify_users(event=EVENT_OPENED, users=people, text=text, url=url)
