"""Keys that make the same customer recognisable however it was typed (duplicate detection)."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Legal-form words that say nothing about who the company is (Chinese and English).
_SUFFIXES = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团公司|集团|公司"
    r"|\bco\b|\bcompany\b|\bltd\b|\blimited\b|\binc\b|\bincorporated\b|\bllc\b"
    r"|\bcorp\b|\bcorporation\b|\bgmbh\b|\bplc\b|\bgroup\b)"
)
_NOT_WORD = re.compile(r"[\W_]+")


def company_name_key(name: str) -> str:
    """'北京蓝鲸科技有限公司' and '北京蓝鲸科技' share a key; so do 'ACME Co., Ltd.' and 'Acme'."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = _SUFFIXES.sub(" ", _NOT_WORD.sub(" ", text))
    return _NOT_WORD.sub("", text)[:200]


def phone_key(phone: str, region: str = "CN") -> str:
    """E.164 form of a phone number ('138 0000 0000' → '+8613800000000'); '' if unreadable."""
    if not (phone or "").strip():
        return ""
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
