"""The knowledge base (SPEC §2 指导手册 / 常见问题, issue 16 point 6).

As in Zendesk Guide and Zammad: one ``Article`` (category, department, internal or public) with
one ``ArticleTranslation`` per language (zh-Hans, en), each with its own title, Markdown body and
draft/published state. Every save of a translation keeps an ``ArticleRevision``. Readers vote
whether an article helped (``ArticleVote``, one per user); ``SuggestionVisit`` and
``SuggestionOpen`` record the portal's suggestions opened while a customer writes a request, from
which deflections are counted (selectors.deflection_stats, docs/kb.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel

LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
MAX_BODY = 100_000


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (staff only)")
    PUBLIC = "public", _("Public (customers too)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class KbCategory(BilingualNameMixin, VersionedModel):
    """A node of the category tree (for example 账单 › 发票)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")
        ordering = ["position", "name_pinyin", "id"]

    def clean(self) -> None:
        node = self.parent
        seen: set[int] = set()
        while node is not None:
            if (self.pk and node.pk == self.pk) or node.pk in seen:
                raise ValidationError(
                    {"parent": _("A category cannot be placed below itself or its own children.")}
                )
            seen.add(node.pk)
            node = node.parent


class Article(VersionedModel):
    """An article, whatever its languages: where it is filed and who may read it."""

    category = models.ForeignKey(
        KbCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="articles",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kb_articles",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        translation = self.translation_for(get_language() or "en")
        return translation.title if translation else f"#{self.pk}"

    def translation_for(
        self, language: str, *, published_only: bool = False
    ) -> ArticleTranslation | None:
        """The translation in ``language`` (zh-* means zh-hans), else the other one.

        Reads ``self.translations.all()`` so a prefetch serves it without a query."""
        wanted = "zh-hans" if language.startswith("zh") else "en"
        found = [
            t for t in self.translations.all() if not published_only or t.status == Status.PUBLISHED
        ]
        found.sort(key=lambda t: t.language != wanted)
        return found[0] if found else None


class ArticleTranslation(VersionedModel):
    """One language's version of an article: title, Markdown body and its own publishing state."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True, max_length=MAX_BODY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        ordering = ["article", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="kb_one_translation_per_language"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ArticleRevision(models.Model):
    """What a translation said after each save, numbered from 1 (never changed afterwards)."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        ordering = ["translation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="kb_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.translation_id} r{self.number}"


class ArticleVote(models.Model):
    """Whether an article helped one reader; one vote per user, which they may change."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    voted_at = models.DateTimeField(_("voted"), default=timezone.now)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="kb_one_vote_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.helpful}"


class SuggestionVisit(models.Model):
    """One showing of the portal's new-request form whose suggestions the customer opened.

    ``token`` is made when the form is shown and travels with the suggestion links; the row is
    only written when a suggestion is opened. Deflection is decided when reading (selectors)."""

    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_opened_at = models.DateTimeField(default=timezone.now)
    last_opened_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("suggestion visit")
        verbose_name_plural = _("suggestion visits")

    def __str__(self) -> str:
        return str(self.token)


class SuggestionOpen(models.Model):
    """A suggested article opened during a visit (once per article and visit)."""

    visit = models.ForeignKey(SuggestionVisit, on_delete=models.CASCADE, related_name="opens")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestion_opens")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suggestion opened")
        verbose_name_plural = _("suggestions opened")
        constraints = [
            models.UniqueConstraint(fields=["visit", "article"], name="kb_open_once_per_visit")
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.article_id}"


class ArticleSearchDocument(models.Model):
    """A translation's searchable text as space-separated tokens (``kehu.desk.search.tokenize``).

    The same index as the desk's tickets: on SQLite the FTS5 table ``kb_search_fts`` (kept in
    step by triggers, migration 0001); on PostgreSQL a stored, GIN-indexed ``search_vector``
    (title weight A, body B)."""

    translation = models.OneToOneField(
        ArticleTranslation,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)

    class Meta:
        verbose_name = _("article search document")
        verbose_name_plural = _("article search documents")

    def __str__(self) -> str:
        return str(self.translation_id)
