"""``GET /api/desk/search``: ranked full-text ticket search with filters, page by page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from kehu.access.permissions import VIEW, authorize
from kehu.core.api import ERRORS
from kehu.desk.models import Status, Ticket
from kehu.desk.priority import Priority, TicketType
from kehu.desk.search import index as search

router = Router(tags=["ticket search"])

MAX_ID = 2_147_483_647


class SearchParams(Schema):
    q: str = Field(
        "",
        max_length=2000,
        description="Words in any language; Chinese needs no spaces. Every word must match.",
    )
    status: list[Status] = Field(default_factory=list, description="Any of these statuses")
    ticket_type: TicketType | None = None
    priority: Priority | None = None
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="An employee id")
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str = Field("", max_length=50)
    created_from: date | None = Field(None, description="Created on or after this day")
    created_to: date | None = Field(None, description="Created on or before this day")
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=100)

    def filters(self) -> search.SearchFilters:
        return search.SearchFilters(
            statuses=[s.value for s in self.status],
            ticket_type=self.ticket_type.value if self.ticket_type else "",
            priority=self.priority.value if self.priority else "",
            department_id=self.department_id,
            assignee_id=self.assignee_id,
            account_id=self.account_id,
            tag=self.tag,
            created_from=self.created_from,
            created_to=self.created_to,
        )


class SearchHitOut(Schema):
    id: int
    reference: str
    subject: str
    status: str
    rank: float = Field(..., description="Higher is a better match; 0 without a query")
    snippet: str = Field(
        ...,
        description="HTML: escaped text around the first match, matches wrapped in <mark>",
    )


class SearchPageOut(Schema):
    count: int = Field(..., description="Matching tickets, exact up to 1,000")
    count_capped: bool = Field(
        ..., description="More than 1,000 tickets match; only the first 1,000 can be paged to"
    )
    page: int
    page_size: int
    results: list[SearchHitOut]


@router.get(
    "/search",
    response={200: SearchPageOut, **ERRORS},
    summary="Search tickets you may see: subject, conversation and tags, best match first",
)
def ticket_search(request: HttpRequest, params: Query[SearchParams]) -> Any:
    authorize(request.user, VIEW, Ticket)
    found = search.search_page(
        request.user, params.q, params.filters(), page=params.page, page_size=params.page_size
    )
    page = found.tickets
    snippets = search.snippets(request.user, page, params.q)
    return {
        "count": found.count,
        "count_capped": found.count_capped,
        "page": found.number,
        "page_size": params.page_size,
        "results": [
            {
                "id": t.pk,
                "reference": t.reference,
                "subject": t.subject,
                "status": t.status,
                "rank": t.rank,  # type: ignore[attr-defined]
                "snippet": str(snippets.get(t.pk, "")),
            }
            for t in page
        ],
    }
