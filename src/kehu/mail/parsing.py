"""Turning one raw RFC 822 message into what the desk needs, whatever the sending client did.

Real mail declares charsets it does not use (gb2312 carrying GBK characters, big5 carrying
HKSCS), encodes headers with RFC 2047 in any charset, names files with RFC 2231 or RFC 2047, and
is sometimes broken outright. Nothing here raises on bad input: every part that cannot be read is
skipped with a note in ``problems``, and the raw message is always kept by the caller.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import html2text
import nh3
from django.utils.translation import gettext_lazy as _
from mailparser_reply import EmailReplyParser

from kehu.core.text import clean_line

# Declared charsets widened to the superset real clients actually use.
_WIDER_CHARSET = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",  # Outlook's "Latin-1" is Windows-1252
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_FALLBACK_CHARSETS = ("utf-8", "gb18030", "big5hkscs", "cp1252")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
REPLY_LANGUAGES = ["en", "zh", "de", "fr", "es", "ja", "ko"]


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Text of ``data``: the declared charset (widened), else the usual suspects, else latin-1
    (which cannot fail), so no mail is ever unreadable."""
    names = []
    if declared:
        name = declared.strip().strip('"').lower()
        names.append(_WIDER_CHARSET.get(name, name))
    names.extend(_FALLBACK_CHARSETS)
    for name in names:
        try:
            return data.decode(name).replace("\x00", "")
        except (LookupError, UnicodeDecodeError):
            continue
    # NUL never belongs in text, and PostgreSQL refuses to store it.
    return data.decode("latin-1").replace("\x00", "")


def decode_header_value(value: str | Header | None) -> str:
    """A header's text with RFC 2047 encoded words decoded in their (widened) charsets.

    Raw 8-bit headers (RFC 6532 UTF-8, or a gateway's GBK) reach us as a ``Header`` whose
    ``str()`` has already replaced every byte with U+FFFD: their bytes are decoded here
    instead, and any encoded words among them after that."""
    if value is None:
        return ""
    if isinstance(value, Header):
        try:
            chunks8 = decode_header(value)
        except Exception:  # pragma: no cover - decode_header of a Header does not parse
            chunks8 = []
        value = "".join(
            decode_bytes(chunk, None if charset == "unknown-8bit" else charset)
            if isinstance(chunk, bytes)
            else chunk
            for chunk, charset in chunks8
        )
    if not value:
        return ""
    pieces = []
    try:
        chunks = decode_header(str(value))
    except Exception:  # a malformed encoded word: keep the header as it came
        return " ".join(str(value).replace("\x00", "").split())
    for chunk, charset in chunks:
        pieces.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(pieces).replace("\x00", "").split())


def message_ids(value: str | Header | None) -> list[str]:
    """The ``<id@host>`` tokens of In-Reply-To or References, in order."""
    return _MESSAGE_ID.findall(str(value or ""))


# --- HTML -----------------------------------------------------------------------------------------


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images are trackers; only the message's own inline images (cid:) stay.
    if tag == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


def sanitise_html(html: str) -> str:
    """HTML safe to show inside Kehu: no scripts, styles, event handlers or remote images."""
    return nh3.clean(
        html,
        url_schemes={"http", "https", "mailto", "cid"},
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # keep lines as written
    converter.ignore_images = True
    converter.ignore_emphasis = True
    return converter.handle(html).strip()


_SIGNATURE_RULE = re.compile(r"^\s*-{2,}\s*$")
SIGNATURE_MAX_LINES = 8


def _without_quoted_tail(lines: list[str]) -> list[str]:
    """Drop the ``>`` quoted lines (and blank ones) at the end: the message being answered."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    return lines[:end]


def _without_signature(lines: list[str]) -> list[str]:
    """Cut at the last separator line ("-- ", Foxmail's "-------") followed by a few lines."""
    for at in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_RULE.match(lines[at]):
            if at > 0 and len(lines) - at - 1 <= SIGNATURE_MAX_LINES:
                return lines[:at]
            break
    return lines


def new_text(text: str) -> str:
    """The part of a reply its writer just typed: quoted earlier messages, client headers of
    quotes ("On … wrote:", Outlook's "From: … Sent:") and signatures cut off."""
    if not text.strip():
        return ""
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).read(text)
        latest = reply.replies[0].body.strip() if reply.replies else ""
    except Exception:  # the trimmer is a convenience; the full text is never lost
        latest = ""
    lines = _without_signature(_without_quoted_tail((latest or text).strip().splitlines()))
    return "\n".join(lines).strip() or text.strip()


# --- the message ------------------------------------------------------------------------------------


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False
    content_id: str = ""
    damaged: bool = False  # cut off or badly encoded: what was decoded is not the file sent


@dataclass
class Bounce:
    """A delivery status notification: who could not be reached, and for which message."""

    recipients: list[str]
    status: str
    diagnostic: str
    original_message_id: str


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    sender_name: str
    sender: str  # lower-cased address ("" when missing)
    return_path: str | None  # None when absent; "" for the null sender <>
    to: list[str]
    cc: list[str]
    subject: str
    sent_at: datetime | None
    text: str  # the whole plain text (from the text part, else from the HTML)
    html: str  # sanitised
    attachments: list[Attachment]
    headers: dict[str, str]  # lower-cased names → decoded values, first occurrence
    bounce: Bounce | None = None
    problems: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)  # every X-Loop header, decoded

    @property
    def reply_text(self) -> str:
        return new_text(self.text)


def body_hash(raw: bytes) -> str:
    """SHA-256 of everything after the header block: the same message reached by two routes
    (an MTA pipe and IMAP) differs in its trace headers, not here."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(separator)
        if at != -1:
            return hashlib.sha256(raw[at + len(separator) :]).hexdigest()
    return hashlib.sha256(raw).hexdigest()


def message_addresses(value: str) -> list[str]:
    """The lower-cased addresses in a header value such as ``To``."""
    return [address.lower() for _name, address in getaddresses([value]) if "@" in address]


def _addresses(message: Message, name: str) -> list[str]:
    values = [decode_header_value(v) for v in message.get_all(name, [])]
    return [address.lower() for _name, address in getaddresses(values) if "@" in address]


def _payload(part: Message, problems: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as error:  # pragma: no cover - compat32 decoding is lenient
        problems.append(f"unreadable part {part.get_content_type()}: {error}")
        return b""
    if isinstance(data, bytes):
        return data
    problems.append(f"empty part {part.get_content_type()}")
    return b""


_RAW_NAME = re.compile(r"""(?:file)?name\s*=\s*(?:"([^"]*)"|([^\s;]+))""", re.IGNORECASE)


def _header(part: Message, name: str) -> str:
    """A header of a part as text, raw 8-bit bytes decoded (see ``decode_header_value``)."""
    value = part.get(name)
    return decode_header_value(value) if isinstance(value, Header) else str(value or "")


def _filename(part: Message) -> str:
    """The part's file name, without bidirectional controls (a name must not spoof its type)."""
    return clean_line(_raw_filename(part))


def _raw_filename(part: Message) -> str:
    if any(isinstance(part.get(h), Header) for h in ("Content-Disposition", "Content-Type")):
        # A raw 8-bit file name (RFC 6532): the stdlib cannot parse the parameters.
        for header in ("Content-Disposition", "Content-Type"):
            found = _RAW_NAME.search(_header(part, header))
            if found:
                return decode_header_value(found.group(1) or found.group(2))
        return ""
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        name = part.get_param("name")  # type: ignore[assignment]
        if isinstance(name, tuple):  # RFC 2231 left undecoded
            name = email.utils.collapse_rfc2231_value(name)
    return decode_header_value(str(name)) if name else ""


def _bounce(message: Message, problems: list[str]) -> Bounce | None:
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "delivery-status":  # type: ignore[union-attr]
        return None
    recipients: list[str] = []
    status = diagnostic = original = ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = part.get_payload()
            fields: list[Message] = (
                [b for b in blocks if isinstance(b, Message)] if isinstance(blocks, list) else []
            )
            if not fields:  # some MTAs send it unparsed
                text = decode_bytes(_payload(part, problems), None)
                fields = [email.message_from_string(b) for b in text.split("\n\n") if b.strip()]
            for block in fields:
                final = block.get("Final-Recipient") or block.get("Original-Recipient")
                if final and (block.get("Action") or "").strip().lower() in ("failed", ""):
                    recipients.append(final.split(";")[-1].strip().lower())
                    status = status or (block.get("Status") or "").strip()
                    diagnostic = diagnostic or " ".join(
                        (block.get("Diagnostic-Code") or "").split()
                    )
        elif kind in _RETURNED_HEADERS and not original:
            payload = part.get_payload()
            if kind == "message/rfc822" and isinstance(payload, list) and payload:
                first = payload[0]
                inner = first if isinstance(first, Message) else email.message_from_string(first)
            elif isinstance(payload, list):  # message/rfc822-headers parsed as a message
                inner = next((p for p in payload if isinstance(p, Message)), Message())
            else:
                data = _payload(part, problems) if isinstance(payload, str) else b""
                inner = email.message_from_bytes(data or str(payload or "").encode())
            found = message_ids(inner.get("Message-ID"))
            original = found[0] if found else ""
    return Bounce(recipients, status, diagnostic, original)


# Defects the stdlib reports (and ours), as the received-mail page explains them.
PROBLEMS = {
    "CloseBoundaryNotFoundDefect": _("The message ends before its closing boundary (cut off)."),
    "StartBoundaryNotFoundDefect": _("A multipart part's boundary never appears."),
    "InvalidBase64PaddingDefect": _("Broken base64 (bad padding)."),
    "InvalidBase64CharactersDefect": _("Broken base64 (characters outside the alphabet)."),
    "InvalidBase64LengthDefect": _("Broken base64 (truncated data)."),
    "InvalidDateDefect": _("The Date header cannot be read."),
    "MissingHeaderBodySeparatorDefect": _("A header line without a colon ends the headers."),
    "NoBoundaryInMultipartDefect": _("A multipart message without a boundary."),
    "MultipartInvariantViolationDefect": _("A multipart message without parts."),
}

_RETURNED_HEADERS = ("text/rfc822-headers", "message/rfc822-headers", "message/rfc822")
_DAMAGE = (
    "InvalidBase64PaddingDefect",
    "InvalidBase64CharactersDefect",
    "InvalidBase64LengthDefect",
)


def parse(raw: bytes) -> ParsedMail:
    """Everything Kehu reads from a message; never raises."""
    problems: list[str] = []
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    unclosed = False
    for part in message.walk():
        for defect in part.defects:
            name = type(defect).__name__
            unclosed = unclosed or name == "CloseBoundaryNotFoundDefect"
            if name not in problems:
                problems.append(name)
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = _header(part, "Content-Disposition").split(";")[0].strip().lower()
        filename = _filename(part)
        if kind in ("text/plain", "text/html") and not filename and disposition != "attachment":
            text = decode_bytes(_payload(part, problems), part.get_content_charset())
            (plain if kind == "text/plain" else html).append(text)
            continue
        if kind in ("message/delivery-status", *_RETURNED_HEADERS[:2]):
            continue
        content = _payload(part, problems)
        # Decoding records its defects on the part: read them after it.
        damaged = any(type(d).__name__ in _DAMAGE for d in part.defects)
        if not content and not filename:
            continue
        content_id = _header(part, "Content-ID").strip().strip("<>")
        attachments.append(
            Attachment(
                filename=filename or _default_name(kind, len(attachments) + 1),
                content_type=kind,
                content=content,
                inline=disposition == "inline"
                or (bool(content_id) and disposition != "attachment"),
                content_id=content_id,
                damaged=damaged,
            )
        )
    if unclosed and attachments and not plain_after(attachments[-1], message):
        # The message stops before its closing boundary: the last file was cut off.
        attachments[-1].damaged = True
    for part in message.walk():  # again: decoding the parts found more
        for defect in part.defects:
            if type(defect).__name__ not in problems:
                problems.append(type(defect).__name__)
    html_text = sanitise_html("\n".join(html)) if html else ""
    text = "\n\n".join(t.strip() for t in plain if t.strip())
    if not text and html_text:
        text = html_to_text(html_text)
    sender_name, sender = parseaddr(decode_header_value(message.get("From")))
    return_path = message.get("Return-Path")
    if return_path is not None:
        return_path = decode_header_value(return_path)
    sent_at = None
    try:
        sent_at = parsedate_to_datetime(message.get("Date") or "")
    except (TypeError, ValueError, IndexError):
        problems.append("InvalidDateDefect")
    ids = message_ids(message.get("Message-ID"))
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers.setdefault(name.lower(), decode_header_value(value))
    return ParsedMail(
        message_id=ids[0] if ids else "",
        in_reply_to=message_ids(message.get("In-Reply-To")),
        references=message_ids(message.get("References")),
        sender_name=clean_line(sender_name),
        sender=sender.lower() if "@" in sender else "",
        return_path=None if return_path is None else parseaddr(return_path)[1].lower(),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        subject=clean_line(decode_header_value(message.get("Subject"))),
        sent_at=sent_at,
        text=text,
        html=html_text,
        attachments=attachments,
        headers=headers,
        bounce=_bounce(message, problems),
        problems=problems,
        loops=[decode_header_value(v) for v in message.get_all("X-Loop", [])],
    )


def plain_after(attachment: Attachment, message: Message) -> bool:
    """Whether a text part follows ``attachment``'s part, so it was not the last one cut off."""
    leaves = [p for p in message.walk() if not p.is_multipart()]
    names = [_filename(p) for p in leaves]
    if attachment.filename not in names:
        return False
    at = len(names) - 1 - names[::-1].index(attachment.filename)
    return any(not _filename(p) for p in leaves[at + 1 :])


def _default_name(content_type: str, number: int) -> str:
    extension = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}.get(
        content_type, ".bin"
    )
    return f"part-{number}{extension}"
