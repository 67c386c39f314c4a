"""Forms of the knowledge base pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.kb.models import LANGUAGES, MAX_BODY, KbCategory, Status, Visibility
from kehu.kb.selectors import category_tree
from kehu.org.models import Department


def _category_choices() -> list[tuple[str, str]]:
    return [(str(c.pk), "— " * depth + c.display_name) for c, depth in category_tree()]


class ArticleForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.INTERNAL
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *_category_choices()]  # type: ignore[attr-defined]

    def clean_category(self) -> KbCategory:
        found = KbCategory.objects.filter(pk=self.cleaned_data["category"]).first()
        if found is None:
            raise forms.ValidationError(_("Choose a category."))
        return found


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=MAX_BODY,
        required=False,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.DRAFT)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NewArticleForm(ArticleForm, TranslationForm):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)

    field_order = ["language", "title", "body", "status", "category", "department", "visibility"]


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    parent = forms.TypedChoiceField(label=_("Parent category"), coerce=int, required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "—"), *_category_choices()]  # type: ignore[attr-defined]

    def clean_parent(self) -> KbCategory | None:
        value = self.cleaned_data.get("parent")
        if value in (None, ""):
            return None
        found = KbCategory.objects.filter(pk=value).first()
        if found is None:
            raise forms.ValidationError(_("Choose a category."))
        return found
