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
