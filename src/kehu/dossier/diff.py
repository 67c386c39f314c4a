"""Differences between two revisions of a dossier entry, ready to show.

Lines are compared first; a changed line is then compared token by token, where a token is a
run of Latin letters or digits, a run of spaces, or any other single character — so Chinese
text, written without spaces, shows the characters that changed rather than the whole line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "equal", "delete", "insert"
    old_number: int | None
    new_number: int | None
    html: SafeString


def _tokens(line: str) -> list[str]:
    return _TOKEN.findall(line)


def _inline(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both lines with the changed tokens wrapped in <del> and <ins>."""
    a, b = _tokens(old), _tokens(new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part = escape("".join(a[i1:i2]))
        new_part = escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 (escaped above)


def diff_lines(old: str, new: str, *, context: int | None = None) -> list[DiffLine]:
    """The lines of ``new`` against ``old``; ``context`` limits unchanged lines around changes."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    groups = (
        matcher.get_grouped_opcodes(context) if context is not None else [matcher.get_opcodes()]
    )
    lines: list[DiffLine] = []
    for group in groups:
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                for offset in range(i2 - i1):
                    lines.append(
                        DiffLine("equal", i1 + offset + 1, j1 + offset + 1, escape(a[i1 + offset]))
                    )
                continue
            old_block, new_block = a[i1:i2], b[j1:j2]
            if op == "replace":
                pairs = min(len(old_block), len(new_block))
                for k in range(pairs):
                    left, right = _inline(old_block[k], new_block[k])
                    lines.append(DiffLine("delete", i1 + k + 1, None, left))
                    lines.append(DiffLine("insert", None, j1 + k + 1, right))
                old_block, new_block = old_block[pairs:], new_block[pairs:]
                i1, j1 = i1 + pairs, j1 + pairs
            for k, text in enumerate(old_block):
                lines.append(DiffLine("delete", i1 + k + 1, None, escape(text)))
            for k, text in enumerate(new_block):
                lines.append(DiffLine("insert", None, j1 + k + 1, escape(text)))
    return lines


def diff_inline(old: str, new: str) -> tuple[SafeString, SafeString]:
    """A one-line field (a title) before and after, with the changes marked."""
    return _inline(old or "", new or "")
