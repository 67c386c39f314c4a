"""Telling the account's owner and after-sales that a churn review was opened.

The notifications go to the inbox (kehu.notify's Notification rows, without a ticket); each is
written in its recipient's language. Called after the review's transaction commits.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from kehu.access.models import Role, User
from kehu.churn.models import ChurnReview, ReviewKind
from kehu.notify.models import EmailState, Notification

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
    created = []
    for user in recipients_of(review):
        if user.pk == actor_id:
            continue
        with override(user.language):
            title = _("Churn review %(ref)s opened: %(account)s (%(kind)s)") % {
                "ref": review.reference,
                "account": review.account.name,
                "kind": ReviewKind(review.kind).label,
            }
            body = _("Noticed on %(date)s.") % {"date": review.noticed_on.isoformat()}
        created.append(
            Notification(
                recipient=user,
                event=EVENT_OPENED,
                title=title[:300],
                body=body,
                url=url,
                email_state=EmailState.SKIPPED,
            )
        )
    return Notification.objects.bulk_create(created)
