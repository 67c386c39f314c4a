"""The ticket search page, for staff and portal users alike (each sees only their tickets)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kehu.access.permissions import VIEW, authorize, is_staff_member
from kehu.customers.models import Account
from kehu.desk.models import Status, Ticket
from kehu.desk.priority import Priority, TicketType
from kehu.desk.search import index as search
from kehu.org.models import Department, Employee

PAGE_SIZE = 20

_ANY = [("", _("Any"))]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=2000, required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Status.choices, required=False, widget=forms.SelectMultiple
    )
    ticket_type = forms.ChoiceField(
        label=_("Type"), choices=_ANY + list(TicketType.choices), required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=_ANY + list(Priority.choices), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("code"), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=Employee.objects.filter(is_active=True).order_by("name_pinyin"),
        required=False,
    )
    account = forms.ModelChoiceField(
        label=_("Account"), queryset=Account.objects.order_by("name_pinyin"), required=False
    )
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            # A portal user searches their own account's tickets: no lists of departments,
            # employees or other customers to pick from.
            for name in ("department", "assignee", "account"):
                del self.fields[name]

    def filters(self) -> search.SearchFilters:
        data = self.cleaned_data

        def pk(name: str) -> int | None:
            chosen = data.get(name)
            return chosen.pk if chosen is not None else None

        return search.SearchFilters(
            statuses=data.get("status") or [],
            ticket_type=data.get("ticket_type") or "",
            priority=data.get("priority") or "",
            department_id=pk("department"),
            assignee_id=pk("assignee"),
            account_id=pk("account"),
            tag=data.get("tag") or "",
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )


def _ticket_url_pattern() -> str | None:
    """The ticket page's URL with ``0`` for the id, while the ticket pages may not exist."""
    try:
        return reverse("desk:ticket-detail", args=[0])
    except NoReverseMatch:
        return None


def _page_number(raw: str | None) -> int:
    try:
        return int(raw or 1)
    except ValueError:
        return 1


@login_required
def ticket_search(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, Ticket)
    form = SearchForm(request.GET or None, staff=is_staff_member(request.user))
    query = ""
    if form.is_bound and not form.is_valid():
        page = search.SearchPage(
            tickets=[], number=1, page_size=PAGE_SIZE, count=0, count_capped=False
        )
    else:
        filters = None
        if form.is_bound:
            query = form.cleaned_data["q"]
            filters = form.filters()
        page = search.search_page(
            request.user,
            query,
            filters,
            page=_page_number(request.GET.get("page")),
            page_size=PAGE_SIZE,
            related=["department"],
        )
    rows = page.tickets
    snippets = search.snippets(request.user, rows, query)
    tokens = search.query_tokens(query) if query else []
    url_pattern = _ticket_url_pattern()
    results = [
        {
            "ticket": ticket,
            "subject": search.highlight(ticket.subject, tokens),
            "snippet": snippets.get(ticket.pk, ""),
            "url": url_pattern.replace("/0/", f"/{ticket.pk}/") if url_pattern else None,
        }
        for ticket in rows
    ]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "results": results,
        "query_string": params.urlencode(),
        "searched": bool(query.strip()),
    }
    template = "desk/_search_results.html" if request.htmx else "desk/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)
