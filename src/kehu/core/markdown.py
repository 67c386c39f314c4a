"""Safe Markdown for text people write (dossier entries, churn evidence, visit summaries): raw HTML is not parsed, and the output is sanitised again.

markdown-it-py runs with ``html`` off (``<script>`` stays text) and refuses ``javascript:``
links; nh3 then keeps only an allow-list of tags and attributes, so a gap in one layer is
closed by the other. Every link gets ``rel="noopener nofollow"``.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"style"},
    "th": {"style"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """The text as sanitised HTML, safe to put on a page."""
    html = _parser.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        filter_style_properties={"text-align"},
    )
    return mark_safe(cleaned)  # noqa: S308 (sanitised by nh3 just above)


def plain_summary(text: str, limit: int = 200) -> str:
    """The first words of a Markdown text without its markup (for timeline lines)."""
    stripped = nh3.clean(_parser.render(text or ""), tags=set())
    words = " ".join(stripped.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"
