"""Staff pages of the knowledge base: the article list (with XLSX export), an article in its
languages, editing with revisions and diffs, categories, and the reply form's insert tool."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.permissions import CHANGE, DELETE, access_object, is_staff_member
from kehu.core.forms import form_page
from kehu.core.markdown import render_markdown
from kehu.core.services import DeletionBlocked
from kehu.core.tabular import write_xlsx
from kehu.dossier.diff import diff_inline, diff_lines
from kehu.kb import selectors, services
from kehu.kb.forms import ArticleForm, CategoryForm, NewArticleForm, TranslationForm
from kehu.kb.models import LANGUAGES, Article, ArticleTranslation, KbCategory, Status, Visibility
from kehu.kb.rules import is_kb_editor
from kehu.kb.search import excerpt, search_translations


def _staff(request: HttpRequest) -> None:
    if not is_staff_member(request.user):
        raise PermissionDenied


def _number(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> selectors.ArticleFilters:
    visibility = request.GET.get("visibility", "")
    status = request.GET.get("status", "")
    return selectors.ArticleFilters(
        query=request.GET.get("q", "")[:200],
        category_id=_number(request.GET.get("category")),
        visibility=visibility if visibility in Visibility.values else "",
        status=status if status in Status.values else "",
    )


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    filters = _filters(request)
    articles = selectors.article_list(request.user, filters)
    language = get_language() or "en"
    return render(
        request,
        "kb/article_list.html",
        {
            "rows": [(a, a.translation_for(language)) for a in articles],
            "filters": filters,
            "categories": [
                (c.pk, "— " * depth + c.display_name) for c, depth in selectors.category_tree()
            ],
            "visibilities": Visibility.choices,
            "statuses": Status.choices,
            "can_edit": is_kb_editor(request.user),
            "deflection": selectors.deflection_stats(),
            "query": request.GET.urlencode(),
        },
    )


EXPORT_HEADER = [
    "id",
    "language",
    "title",
    "status",
    "visibility",
    "category",
    "department",
    "helpful_yes",
    "helpful_no",
    "updated_at",
]


@login_required
def article_export(request: HttpRequest) -> HttpResponse:
    """The article table as XLSX: one row per translation, with the list's filters."""
    _staff(request)
    articles = selectors.article_list(request.user, _filters(request), limit=10_000)
    rows = [
        [
            a.pk,
            t.language,
            t.title,
            t.get_status_display(),
            a.get_visibility_display(),
            a.category.display_name,
            a.department.display_name if a.department else "",
            a.helpful_yes,  # type: ignore[attr-defined]
            a.helpful_no,  # type: ignore[attr-defined]
            t.updated_at.isoformat(timespec="seconds"),
        ]
        for a in articles
        for t in a.translations.all()
    ]
    response = HttpResponse(
        write_xlsx(EXPORT_HEADER, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="kehu-kb-articles.xlsx"'
    return response


def _article(request: HttpRequest, pk: int) -> Article:
    _staff(request)
    article = selectors.article_detail(request.user, pk)
    if article is None:
        raise Http404
    return article


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    translations = list(article.translations.all())
    wanted = request.GET.get("lang") or (
        "zh-hans" if (get_language() or "").startswith("zh") else "en"
    )
    shown = next((t for t in translations if t.language == wanted), None) or (
        translations[0] if translations else None
    )
    present = {t.language for t in translations}
    opened, deflected = selectors.deflections_by_article([article.pk]).get(article.pk, (0, 0))
    return render(
        request,
        "kb/article_detail.html",
        {
            "article": article,
            "translations": translations,
            "shown": shown,
            "html": render_markdown(shown.body) if shown else "",
            "missing": [(code, label) for code, label in LANGUAGES if code not in present],
            "can_edit": is_kb_editor(request.user),
            "opened": opened,
            "deflected": deflected,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if not is_kb_editor(request.user):
        raise PermissionDenied
    initial = {"language": "zh-hans" if (get_language() or "").startswith("zh") else "en"}
    if request.GET.get("category"):
        initial["category"] = request.GET["category"]
    form = NewArticleForm(request.POST or None, initial=initial)

    def save() -> Article:
        data = form.cleaned_data
        return services.article_create(
            by=request.user,
            category=data["category"],
            department=data["department"],
            visibility=data["visibility"],
            language=data["language"],
            title=data["title"],
            body=data["body"],
            status=data["status"],
        )

    return form_page(
        request,
        form,
        save,
        template="kb/article_form.html",
        context={"article": None},
        done=lambda obj: reverse("kb:article-detail", args=[obj.pk]),
        message=_("The article %(object)s was saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = access_object(request.user, Article, pk, action=CHANGE)
    form = ArticleForm(
        request.POST or None,
        initial={
            "category": article.category_id,
            "department": article.department_id,
            "visibility": article.visibility,
            "version": article.version,
        },
    )

    def save() -> Article:
        data = form.cleaned_data
        return services.article_update(
            article,
            version=data["version"] or 0,
            category=data["category"],
            department=data["department"],
            visibility=data["visibility"],
        )

    return form_page(
        request,
        form,
        save,
        template="kb/article_form.html",
        context={"article": article},
        done=lambda obj: reverse("kb:article-detail", args=[obj.pk]),
        message=_("The article %(object)s was saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def translation_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    article = access_object(request.user, Article, pk, action=CHANGE)
    if language not in dict(LANGUAGES):
        raise Http404
    translation = article.translations.filter(language=language).first()
    initial: dict[str, Any] = {"status": Status.DRAFT}
    if translation is not None:
        initial = {
            "title": translation.title,
            "body": translation.body,
            "status": translation.status,
            "version": translation.version,
        }
    form = TranslationForm(request.POST or None, initial=initial)
    preview = render_markdown(request.POST.get("body", "")) if request.method == "POST" else None

    def save() -> ArticleTranslation:
        data = form.cleaned_data
        return services.translation_save(
            article,
            language=language,
            by=request.user,
            version=data["version"] if translation is not None else None,
            title=data["title"],
            body=data["body"],
            status=data["status"],
        )

    return form_page(
        request,
        form,
        save,
        template="kb/translation_form.html",
        context={
            "article": article,
            "translation": translation,
            "language_label": dict(LANGUAGES)[language],
            "preview": preview,
        },
        done=lambda obj: reverse("kb:article-detail", args=[pk]) + f"?lang={language}",
        message=_("The article %(object)s was saved."),
    )


@login_required
@require_POST
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    article = access_object(request.user, Article, pk, action=DELETE)
    services.article_delete(article)
    messages.success(request, _("The article was deleted."))
    return redirect("kb:list")


def _translation(request: HttpRequest, pk: int) -> ArticleTranslation:
    _staff(request)
    return access_object(
        request.user,
        ArticleTranslation,
        pk,
        queryset=ArticleTranslation.objects.select_related("article"),
    )


@login_required
def translation_history(request: HttpRequest, pk: int) -> HttpResponse:
    translation = _translation(request, pk)
    return render(
        request,
        "kb/history.html",
        {
            "translation": translation,
            "article": translation.article,
            "revisions": list(selectors.revisions(translation)),
        },
    )


@login_required
def translation_diff(request: HttpRequest, pk: int) -> HttpResponse:
    translation = _translation(request, pk)
    found = {r.number: r for r in selectors.revisions(translation)}
    if not found:
        raise Http404
    newest = max(found)
    old_number = _number(request.GET.get("a")) or max(newest - 1, 1)
    new_number = _number(request.GET.get("b")) or newest
    if old_number not in found or new_number not in found:
        messages.error(request, _("Choose two revisions of this article."))
        return redirect("kb:history", pk)
    old, new = found[old_number], found[new_number]
    old_title, new_title = diff_inline(old.title, new.title)
    return render(
        request,
        "kb/diff.html",
        {
            "translation": translation,
            "article": translation.article,
            "old": old,
            "new": new,
            "old_title": old_title,
            "new_title": new_title,
            "lines": diff_lines(old.body, new.body),
        },
    )


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return render(
        request,
        "kb/categories.html",
        {"tree": selectors.category_tree(), "can_edit": is_kb_editor(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_create(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if not is_kb_editor(request.user):
        raise PermissionDenied
    form = CategoryForm(request.POST or None)

    def save() -> KbCategory:
        data = dict(form.cleaned_data)
        data.pop("version")
        return services.category_create(**data)

    return form_page(
        request,
        form,
        save,
        template="kb/category_form.html",
        context={"category": None},
        done=lambda obj: reverse("kb:categories"),
        message=_("The category %(object)s was saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = access_object(request.user, KbCategory, pk, action=CHANGE)
    form = CategoryForm(
        request.POST or None,
        initial={
            "name": category.name,
            "name_en": category.name_en,
            "parent": category.parent_id,
            "position": category.position,
            "version": category.version,
        },
    )

    def save() -> KbCategory:
        data = dict(form.cleaned_data)
        version = data.pop("version") or 0
        return services.category_update(category, version=version, **data)

    if request.method == "POST" and request.POST.get("delete"):
        target = access_object(request.user, KbCategory, pk, action=DELETE)
        try:
            services.category_delete(target)
        except DeletionBlocked as exc:
            messages.error(request, str(exc))
            return redirect("kb:category-edit", pk)
        messages.success(request, _("The category was deleted."))
        return redirect("kb:categories")
    return form_page(
        request,
        form,
        save,
        template="kb/category_form.html",
        context={"category": category},
        done=lambda obj: reverse("kb:categories"),
        message=_("The category %(object)s was saved."),
    )


# --- the ticket reply form's tool (desk.hooks.TICKET_REPLY_TOOLS) ---------------------------------


def reply_tool(request: HttpRequest, context: dict[str, Any]) -> str:
    """A search box below a ticket's reply form; its results insert a link or the text."""
    if not is_staff_member(request.user):
        return ""
    return render_to_string("kb/_reply_tool.html", {}, request=request)


@login_required
def reply_search(request: HttpRequest) -> HttpResponse:
    """htmx: articles for the reply tool, each with its link and plain Markdown to insert."""
    _staff(request)
    query = request.GET.get("q", "")[:200]
    rows = []
    if query.strip():
        for translation in search_translations(request.user, query, any_token=True, limit=8):
            article = translation.article
            public = (
                article.visibility == Visibility.PUBLIC and translation.status == Status.PUBLISHED
            )
            link = request.build_absolute_uri(reverse("help:article", args=[article.pk]))
            rows.append(
                {
                    "translation": translation,
                    "article": article,
                    "public": public,
                    "link": f"[{translation.title}]({link})" if public else "",
                    "text": f"**{translation.title}**\n\n{translation.body}",
                    "excerpt": excerpt(translation.body, query),
                }
            )
    return render(request, "kb/_reply_results.html", {"rows": rows, "query": query})
