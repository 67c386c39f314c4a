"""Simplified Chinese ships complete: every message in the catalogue has a translation."""

from pathlib import Path

from babel.messages.pofile import read_po

import kehu

CATALOGUE = Path(kehu.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po, locale="zh_Hans")
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            message.fuzzy
            or not (message.string if isinstance(message.string, str) else all(message.string))
        )
    ]
    assert untranslated == []
