"""Building blocks shared by every domain model."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.text import pinyin_key


class VersionedModel(models.Model):
    """A business object with timestamps and an edit version for optimistic concurrency.

    Writers pass the version they read; ``kehu.core.concurrency.save_if_current`` refuses the
    write when someone else saved in between, so concurrent edits never silently overwrite
    each other.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class BilingualNameMixin(models.Model):
    """A name in the organisation's working language plus an optional English name."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    # Pinyin of ``name`` (full syllables and initials): Chinese names sort by pronunciation and
    # can be found by typing "shfw" or "shouhou". Derived from ``name`` on every save.
    name_pinyin = models.CharField(max_length=600, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_pinyin = pinyin_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        if self.name_en and not (get_language() or "en").startswith("zh"):
            return self.name_en
        return self.name
