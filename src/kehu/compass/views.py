"""Pages of the product requirement compass."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kehu.compass import selectors
from kehu.compass.rules import require_compass_reader
from kehu.desk.models import Tag, Ticket
from kehu.desk.priority import TicketType
from kehu.desk.rules import visible_tickets


@login_required
def compass_index(request: HttpRequest) -> HttpResponse:
    require_compass_reader(request.user)
    ticket_type = request.GET.get("type", "")
    open_only = request.GET.get("all") != "1"
    q = request.GET.get("q", "").strip()[:100]
    found = selectors.requirement_tickets(
        request.user, ticket_type=ticket_type, open_only=open_only, q=q
    )
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "compass/index.html",
        {
            "page": page,
            "tags": selectors.requirement_tags(request.user),
            "types": [(t, TicketType(t).label) for t in selectors.REQUIREMENT_TYPES],
            "ticket_type": ticket_type,
            "open_only": open_only,
            "q": q,
        },
    )


@login_required
def compass_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    require_compass_reader(request.user)
    root = visible_tickets(request.user, Ticket.objects.filter(pk=pk)).first()
    if root is None:
        raise Http404
    ids, cut = selectors.ticket_group(root)
    result = selectors.compass(request.user, ids, cut=cut)
    return render(request, "compass/group.html", {"compass": result, "root": root})


@login_required
def compass_tag(request: HttpRequest, name: str) -> HttpResponse:
    require_compass_reader(request.user)
    tag = Tag.objects.filter(name=name).first()
    if tag is None:
        raise Http404
    ids, cut = selectors.tag_group(tag.name)
    result = selectors.compass(request.user, ids, cut=cut)
    return render(request, "compass/group.html", {"compass": result, "tag": tag})
