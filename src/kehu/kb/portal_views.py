"""The customer's side of the knowledge base: the help centre, suggestions while writing a
request (desk.hooks.PORTAL_REQUEST_FORM) and "did this help?" votes.

Everything here reads through ``public_only``: public articles in published translations. Staff
who open these pages see exactly what customers see.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from kehu.access.permissions import ADD, can
from kehu.core.markdown import render_markdown
from kehu.kb import selectors, services
from kehu.kb.models import ArticleVote, KbCategory
from kehu.kb.rules import is_kb_reader
from kehu.kb.search import excerpt


def _reader(request: HttpRequest) -> None:
    if not is_kb_reader(request.user):
        raise PermissionDenied


def _language() -> str:
    return get_language() or "en"


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _reader(request)
    query = request.GET.get("q", "")[:200]
    category_id = request.GET.get("category")
    category = None
    if category_id and category_id.isdigit():
        category = KbCategory.objects.filter(pk=int(category_id)).first()
    articles = selectors.article_list(
        request.user,
        selectors.ArticleFilters(query=query, category_id=category.pk if category else None),
        public_only=True,
        limit=100,
    )
    rows = []
    for article in articles:
        translation = article.translation_for(_language(), published_only=True)
        if translation is not None:
            rows.append((article, translation, excerpt(translation.body, query) if query else ""))
    tree = selectors.public_category_tree(request.user)
    return render(
        request,
        "kb/help_index.html",
        {"rows": rows, "query": query, "category": category, "tree": tree},
    )


@login_required
def article(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    found = selectors.article_detail(request.user, pk, public_only=True)
    if found is None:
        raise Http404
    translation = found.translation_for(_language(), published_only=True)
    if translation is None:
        raise Http404
    token = services.parse_visit_token(request.GET.get("visit"))
    if token is not None:
        services.suggestion_opened(token=token, user=request.user, article=found)
    mine = ArticleVote.objects.filter(article=found, user_id=int(request.user.pk or 0)).first()
    return render(
        request,
        "kb/help_article.html",
        {
            "article": found,
            "translation": translation,
            "html": render_markdown(translation.body),
            "my_vote": mine,
            "others": [t for t in found.translations.all() if t.pk != translation.pk],
        },
    )


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    found = selectors.article_detail(request.user, pk, public_only=True)
    if found is None:
        raise Http404
    if not can(request.user, ADD, ArticleVote):  # read-only users (auditors) do not vote
        raise PermissionDenied
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return HttpResponse(status=422)
    services.vote(found, user=request.user, helpful=helpful == "yes")
    if request.headers.get("HX-Request"):
        refreshed = selectors.article_detail(request.user, pk, public_only=True)
        return render(
            request,
            "kb/_vote.html",
            {
                "article": refreshed,
                "my_vote": ArticleVote.objects.get(
                    article=found, user_id=int(request.user.pk or 0)
                ),
            },
        )
    return redirect("help:article", pk)


# --- suggestions on the portal's request form (desk.hooks.PORTAL_REQUEST_FORM) -------------------


def portal_request_helper(request: HttpRequest, context: dict[str, Any]) -> str:
    """The suggestion box under the subject: htmx asks ``help:suggest`` as the customer types."""
    if not is_kb_reader(request.user):
        return ""
    return render_to_string("kb/_request_helper.html", {"visit": uuid.uuid4()}, request=request)


@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx: public articles matching the subject typed so far (at most five)."""
    _reader(request)
    query = request.GET.get("subject", "")[:200]
    token = services.parse_visit_token(request.GET.get("visit"))
    found = selectors.suggestions(request.user, query, language=_language())
    return render(
        request,
        "kb/_suggestions.html",
        {"suggestions": found, "visit": token, "query": query},
    )
