"""REST endpoints of the product requirement compass (/api/compass)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from kehu.compass import selectors
from kehu.compass.rules import require_compass_reader
from kehu.core.api import ERRORS
from kehu.desk.models import Tag, Ticket
from kehu.desk.rules import visible_tickets

router = Router(tags=["requirement compass"])


class UsageOut(Schema):
    product: str
    quantity: Decimal
    unit: str


class CustomerOut(Schema):
    account_id: int
    account: str
    level: str
    segment: str
    customer_since: date | None
    owner: str | None
    ticket_ids: list[int]
    # Dossier facts: null (not empty) when the reader may not see this account's dossier.
    usage_30_days: list[UsageOut] | None
    spend_365_days: Decimal | None
    share_of_wallet_percent: Decimal | None
    architecture_note: str | None
    last_visit_on: date | None
    incident_ids: list[int]


class CompassOut(Schema):
    ticket_ids: list[int]
    from_colleagues: int
    cut: bool
    customers: list[CustomerOut]


def _out(result: selectors.Compass) -> CompassOut:
    customers = []
    for c in result.customers:
        visible = c.dossier_visible
        customers.append(
            CustomerOut(
                account_id=c.account.pk,
                account=c.account.name,
                level=c.account.level,
                segment=c.account.segment,
                customer_since=c.account.customer_since,
                owner=str(c.account.owner) if c.account.owner else None,
                ticket_ids=[t.pk for t in c.tickets],
                usage_30_days=[
                    UsageOut(
                        product=u["product__code"], quantity=u["quantity"], unit=u["product__unit"]
                    )
                    for u in c.usage
                ]
                if visible
                else None,
                spend_365_days=c.spend_365 if visible else None,
                share_of_wallet_percent=c.share_of_wallet if visible else None,
                architecture_note=(c.architecture.title if c.architecture else None),
                last_visit_on=c.last_visit.visited_on if c.last_visit else None,
                incident_ids=[i.pk for i in c.incidents],
            )
        )
    return CompassOut(
        ticket_ids=[t.pk for t in result.tickets],
        from_colleagues=result.without_account,
        cut=result.cut,
        customers=customers,
    )


@router.get("/tickets/{ticket_id}", response={200: CompassOut, **ERRORS})
def ticket_compass(request: HttpRequest, ticket_id: int) -> CompassOut:
    """The customers behind a ticket and the tickets linked to or merged into it."""
    require_compass_reader(request.user)
    root = visible_tickets(request.user, Ticket.objects.filter(pk=ticket_id)).first()
    if root is None:
        raise Http404
    ids, cut = selectors.ticket_group(root)
    return _out(selectors.compass(request.user, ids, cut=cut))


@router.get("/tags/{name}", response={200: CompassOut, **ERRORS})
def tag_compass(request: HttpRequest, name: str) -> CompassOut:
    """The customers behind the requirement and defect tickets with one tag."""
    require_compass_reader(request.user)
    if not Tag.objects.filter(name=name).exists():
        raise Http404
    ids, cut = selectors.tag_group(name)
    return _out(selectors.compass(request.user, ids, cut=cut))
