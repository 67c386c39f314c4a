"""REST endpoints of the knowledge base (/api/kb): the same rules as the pages.

Customers (portal users) get only public articles in their published translations: internal
articles and drafts answer 404 as if they did not exist. Staff read everything; agents, leads,
after-sales engineers and administrators write (others 403). Edits carry the ``version`` they
read: a stale one gets 409 and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kehu.access.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    access_object,
    can,
    is_staff_member,
)
from kehu.core.api import ERRORS
from kehu.core.markdown import render_markdown
from kehu.dossier.diff import diff_inline, diff_lines
from kehu.kb import selectors, services
from kehu.kb.models import MAX_BODY, Article, ArticleTranslation, ArticleVote, KbCategory
from kehu.kb.rules import is_kb_editor, is_kb_reader
from kehu.org.models import Department

router = Router(tags=["knowledge base"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
Language = Literal["zh-hans", "en"]
VisibilityIn = Literal["internal", "public"]
StatusIn = Literal["draft", "published"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(max_length=MAX_BODY)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class KbCategoryOut(Schema):
    id: int
    name: str
    name_en: str
    parent_id: int | None
    position: int
    version: int


class KbCategoryIn(Schema):
    name: Name
    name_en: Annotated[str, Field(max_length=200)] = ""
    parent_id: Id | None = None
    position: Annotated[int, Field(ge=0, le=100_000)] = 0


class KbCategoryPatch(Schema):
    version: Version
    name: Name | None = None
    name_en: Annotated[str, Field(max_length=200)] | None = None
    parent_id: Id | None = None
    position: Annotated[int, Field(ge=0, le=100_000)] | None = None


class KbTranslationOut(Schema):
    id: int
    language: str
    title: str
    body: str
    html: str
    status: str
    published_at: datetime | None
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_html(obj: ArticleTranslation) -> str:
        return str(render_markdown(obj.body))


class KbArticleOut(Schema):
    id: int
    category_id: int
    department_id: int | None
    visibility: str
    helpful_yes: int
    helpful_no: int
    translations: list[KbTranslationOut]
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_translations(obj: Article) -> list[ArticleTranslation]:
        return list(obj.translations.all())


class KbArticleIn(Schema):
    category_id: Id
    department_id: Id | None = None
    visibility: VisibilityIn = "internal"
    language: Language
    title: Title
    body: Body = ""
    status: StatusIn = "draft"


class KbArticlePatch(Schema):
    version: Version
    category_id: Id | None = None
    department_id: Id | None = None
    visibility: VisibilityIn | None = None


class KbTranslationIn(Schema):
    version: Version | None = Field(
        None, description="The version you read; leave out only to add a new language"
    )
    title: Title
    body: Body = ""
    status: StatusIn = "draft"


class KbRevisionOut(Schema):
    number: int
    title: str
    body: str
    status: str
    author_id: int | None
    created_at: datetime


class KbDiffLineOut(Schema):
    kind: str
    old_number: int | None
    new_number: int | None
    html: str


class KbDiffOut(Schema):
    old: int
    new: int
    old_title_html: str
    new_title_html: str
    lines: list[KbDiffLineOut]


class KbVoteIn(Schema):
    helpful: bool


class KbVoteOut(Schema):
    article_id: int
    helpful: bool
    helpful_yes: int
    helpful_no: int


class KbSuggestionOut(Schema):
    article_id: int
    language: str
    title: str


class KbDeflectionOut(Schema):
    visits: int
    pending: int
    deflected: int
    submitted: int
    rate: float | None


class KbArticleFilters(Schema):
    q: Annotated[str, Field(max_length=200)] = ""
    category_id: Id | None = None
    visibility: VisibilityIn | None = None
    status: StatusIn | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100


def _reader(request: HttpRequest) -> None:
    if not is_kb_reader(request.user):
        raise PermissionDenied


def _editor(request: HttpRequest) -> None:
    if not is_kb_editor(request.user):
        raise PermissionDenied


def _article(request: HttpRequest, pk: int) -> Article:
    _reader(request)
    found = selectors.article_detail(request.user, pk)
    if found is None:
        raise Http404
    return found


def _category(pk: int | None) -> KbCategory | None:
    if pk is None:
        return None
    found = KbCategory.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"category_id": _("Choose a category.")})
    return found


def _department(pk: int | None) -> Department | None:
    if pk is None:
        return None
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"department_id": _("No such department.")})
    return found


@router.get(
    "/categories",
    response={200: list[KbCategoryOut], **ERRORS},
    summary="The category tree, parents before children",
)
def category_list(request: HttpRequest) -> Any:
    _reader(request)
    return [c for c, _depth in selectors.category_tree()]


@router.post(
    "/categories",
    response={201: KbCategoryOut, **ERRORS},
    summary="Add a category (editors; 422: unknown parent)",
)
def category_create(request: HttpRequest, payload: KbCategoryIn) -> Any:
    _editor(request)
    data = payload.dict()
    parent = _category(data.pop("parent_id"))
    return Status(201, services.category_create(parent=parent, **data))


@router.patch(
    "/categories/{int:pk}",
    response={200: KbCategoryOut, **ERRORS},
    summary="Rename or move a category (409 on a stale version; 422 on a loop)",
)
def category_update(request: HttpRequest, pk: int, payload: KbCategoryPatch) -> Any:
    category = access_object(request.user, KbCategory, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "parent_id" in data:
        data["parent"] = _category(data.pop("parent_id"))
    for name in ("name", "name_en", "position"):
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field may not be empty.")})
    return services.category_update(category, version=version, **data)


@router.delete(
    "/categories/{int:pk}",
    response={204: None, **ERRORS},
    summary="Delete an empty category (409 while articles or sub-categories use it)",
)
def category_delete(request: HttpRequest, pk: int) -> Any:
    services.category_delete(access_object(request.user, KbCategory, pk, action=DELETE))
    return Status(204, None)


@router.get(
    "/articles",
    response={200: list[KbArticleOut], **ERRORS},
    summary="Articles you may read, best match first for a query (customers: public only)",
)
def article_list(request: HttpRequest, filters: Query[KbArticleFilters]) -> Any:
    _reader(request)
    return selectors.article_list(
        request.user,
        selectors.ArticleFilters(
            query=filters.q,
            category_id=filters.category_id,
            visibility=filters.visibility or "",
            status=filters.status or "",
        ),
        limit=filters.limit,
    )


@router.post(
    "/articles",
    response={201: KbArticleOut, **ERRORS},
    summary="Write a new article in one language (editors; revision 1)",
)
def article_create(request: HttpRequest, payload: KbArticleIn) -> Any:
    _editor(request)
    data = payload.dict()
    category = _category(data.pop("category_id"))
    if category is None:
        raise ValidationError({"category_id": _("Choose a category.")})
    department = _department(data.pop("department_id"))
    article = services.article_create(
        by=request.user, category=category, department=department, **data
    )
    return Status(201, _article(request, article.pk))


@router.get("/articles/{int:pk}", response={200: KbArticleOut, **ERRORS}, summary="Read an article")
def article_get(request: HttpRequest, pk: int) -> Any:
    return _article(request, pk)


@router.patch(
    "/articles/{int:pk}",
    response={200: KbArticleOut, **ERRORS},
    summary="Change an article's category, department or visibility (409 on a stale version)",
)
def article_update(request: HttpRequest, pk: int, payload: KbArticlePatch) -> Any:
    article = access_object(request.user, Article, _article(request, pk).pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    changes: dict[str, Any] = {}
    if "category_id" in data:
        if data["category_id"] is None:
            raise ValidationError({"category_id": _("Choose a category.")})
        changes["category"] = _category(data["category_id"])
    if "department_id" in data:
        changes["department"] = _department(data["department_id"])
    if "visibility" in data:
        if data["visibility"] is None:
            raise ValidationError({"visibility": _("This field may not be empty.")})
        changes["visibility"] = data["visibility"]
    services.article_update(article, version=version, **changes)
    return _article(request, pk)


@router.delete(
    "/articles/{int:pk}",
    response={204: None, **ERRORS},
    summary="Delete an article with all its languages and revisions",
)
def article_delete(request: HttpRequest, pk: int) -> Any:
    article = access_object(request.user, Article, _article(request, pk).pk, action=DELETE)
    services.article_delete(article)
    return Status(204, None)


@router.put(
    "/articles/{int:pk}/translations/{language}",
    response={200: KbTranslationOut, 201: KbTranslationOut, **ERRORS},
    summary="Write one language of an article: 201 adds it, 200 saves a new revision "
    "(409 on a stale or missing version)",
)
def translation_put(
    request: HttpRequest, pk: int, language: Language, payload: KbTranslationIn
) -> Any:
    article = access_object(request.user, Article, _article(request, pk).pk, action=CHANGE)
    existed = article.translations.filter(language=language).exists()
    saved = services.translation_save(
        article,
        language=language,
        by=request.user,
        version=payload.version,
        title=payload.title,
        body=payload.body,
        status=payload.status,
    )
    return Status(200 if existed else 201, saved)


@router.delete(
    "/articles/{int:pk}/translations/{language}",
    response={204: None, **ERRORS},
    summary="Remove one language of an article (422 for its last one: delete the article)",
)
def translation_delete(request: HttpRequest, pk: int, language: Language) -> Any:
    article = access_object(request.user, Article, _article(request, pk).pk, action=CHANGE)
    translation = article.translations.filter(language=language).first()
    if translation is None:
        raise Http404
    services.translation_delete(translation)
    return Status(204, None)


def _translation(request: HttpRequest, pk: int, language: str) -> ArticleTranslation:
    article = _article(request, pk)
    found = next((t for t in article.translations.all() if t.language == language), None)
    if found is None or not is_staff_member(request.user):
        raise Http404
    return access_object(request.user, ArticleTranslation, found.pk, action=VIEW)


@router.get(
    "/articles/{int:pk}/translations/{language}/revisions",
    response={200: list[KbRevisionOut], **ERRORS},
    summary="Every saved revision of one language, newest first (staff)",
)
def revision_list(request: HttpRequest, pk: int, language: Language) -> Any:
    return list(selectors.revisions(_translation(request, pk, language)))


@router.get(
    "/articles/{int:pk}/translations/{language}/diff",
    response={200: KbDiffOut, **ERRORS},
    summary="What changed between revisions a and b (staff; 422: no such revision)",
)
def revision_diff(
    request: HttpRequest,
    pk: int,
    language: Language,
    a: Annotated[int, Field(ge=1, le=2**31 - 1)],
    b: Annotated[int, Field(ge=1, le=2**31 - 1)],
) -> Any:
    translation = _translation(request, pk, language)
    found = {r.number: r for r in selectors.revisions(translation)}
    missing = [name for name, number in (("a", a), ("b", b)) if number not in found]
    if missing:
        raise ValidationError({name: _("No such revision.") for name in missing})
    old, new = found[a], found[b]
    old_title, new_title = diff_inline(old.title, new.title)
    return {
        "old": a,
        "new": b,
        "old_title_html": old_title,
        "new_title_html": new_title,
        "lines": [
            {
                "kind": line.kind,
                "old_number": line.old_number,
                "new_number": line.new_number,
                "html": str(line.html),
            }
            for line in diff_lines(old.body, new.body)
        ],
    }


@router.post(
    "/articles/{int:pk}/vote",
    response={200: KbVoteOut, **ERRORS},
    summary="Say whether an article helped you (one vote per person; a new one replaces it)",
)
def article_vote(request: HttpRequest, pk: int, payload: KbVoteIn) -> Any:
    article = _article(request, pk)
    if not can(request.user, ADD, ArticleVote):  # read-only users (auditors) do not vote
        raise PermissionDenied
    vote = services.vote(article, user=request.user, helpful=payload.helpful)
    counted = _article(request, pk)
    return {
        "article_id": pk,
        "helpful": vote.helpful,
        "helpful_yes": counted.helpful_yes,  # type: ignore[attr-defined]
        "helpful_no": counted.helpful_no,  # type: ignore[attr-defined]
    }


@router.get(
    "/suggestions",
    response={200: list[KbSuggestionOut], **ERRORS},
    summary="Public articles for what a customer is typing (at most five, reader's language first)",
)
def suggestion_list(request: HttpRequest, q: Annotated[str, Field(max_length=200)] = "") -> Any:
    _reader(request)
    return [
        {"article_id": t.article_id, "language": t.language, "title": t.title}
        for t in selectors.suggestions(request.user, q, language=get_language() or "en")
    ]


@router.get(
    "/deflection",
    response={200: KbDeflectionOut, **ERRORS},
    summary="Portal request visits deflected by suggestions (staff; definition in docs/kb.md)",
)
def deflection(request: HttpRequest) -> Any:
    if not is_staff_member(request.user):
        raise PermissionDenied
    stats = selectors.deflection_stats()
    return {
        "visits": stats.visits,
        "pending": stats.pending,
        "deflected": stats.deflected,
        "submitted": stats.submitted,
        "rate": stats.rate,
    }
