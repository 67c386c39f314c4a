"""Simplified Chinese ships complete: every message in every catalogue has a translation."""

from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import kehu

PACKAGE = Path(kehu.__file__).parent
# The project catalogue (kehu/locale) and the catalogues apps keep beside their code.
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_the_project_catalogue_is_found():
    assert PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_message_has_a_chinese_translation(catalogue: Path):
    with catalogue.open("rb") as po:
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


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_message_is_defined_twice(catalogue: Path):
    """Catalogues are merged line by line (.gitattributes: union), so a message two branches both
    added would appear twice; the second would silently win."""
    keys: list[str] = []  # msgctxt + msgid (+ msgid_plural) of each entry, header left out
    for block in catalogue.read_text(encoding="utf-8").split("\n\n"):
        key = "\n".join(ln for ln in block.splitlines() if not ln.startswith("#"))
        key = key.split("msgstr")[0].strip()
        if key.startswith(("msgid", "msgctxt")) and key != 'msgid ""':
            keys.append(key)
    duplicates = {key for key, n in Counter(keys).items() if n > 1}
    assert keys and duplicates == set()
