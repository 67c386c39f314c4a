"""The default stages of SPEC §5 (migration 0002 creates them on a new installation; the
demo and the tests make sure they are there after a database flush)."""

from __future__ import annotations

from kehu.pipeline.models import Stage

DEFAULT_STAGES = [
    # code, Chinese name, English name, probability, outcome
    ("qualify", "验证", "Qualify", 10, "open"),
    ("requirements", "需求/RFI", "Requirements / RFI", 20, "open"),
    ("solution", "方案", "Solution", 40, "open"),
    ("bid", "投标/报价", "Bid / quotation", 60, "open"),
    ("negotiation", "谈判", "Negotiation", 80, "open"),
    ("won", "赢单", "Won", 100, "won"),
    ("lost", "丢单", "Lost", 0, "lost"),
]


def ensure_default_stages() -> int:
    """Create the default stages that are missing (by code); returns how many there are."""
    for position, (code, name, name_en, probability, outcome) in enumerate(DEFAULT_STAGES):
        if not Stage.objects.filter(code=code).exists():
            Stage.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                position=position * 10,
                probability=probability,
                outcome=outcome,
            )
    return len(DEFAULT_STAGES)
