"""Text helpers for Chinese and mixed-language data."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_key(text: str) -> str:
    """Lower-case pinyin of ``text`` followed by its initials, e.g. '售后' -> 'shouhou sh'.

    Non-Chinese characters pass through unchanged, so 'ACME 华东' -> 'acme huadong acme hd'.
    Used both as a sort key (Chinese names in pronunciation order) and as a search field.
    """
    if not text:
        return ""
    syllables = [s.strip().lower() for s in lazy_pinyin(text, errors="default") if s.strip()]
    initials = [
        s.strip().lower()
        for s in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
        if s.strip()
    ]
    return f"{''.join(syllables)} {''.join(initials)}"[:600]


# Bidirectional formatting characters: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069) and the implicit marks (U+200E, U+200F, U+061C). In a one-line name, subject or
# file name they do no good and can do harm: "invoice\u202efdp.exe" shows as "invoiceexe.pdf".
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def clean_line(text: str) -> str:
    """``text`` without bidirectional control characters: the one cleaning every input edge
    (forms, API bodies, mail ingest, imports, uploads) applies to subjects, names and file names.

    Long free text (message bodies) keeps its marks; right-to-left writers may need them there.
    """
    if not text:
        return text
    return text.translate(_BIDI_TABLE)
