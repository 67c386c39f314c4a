"""A report delivery as an email: HTML with the charts as inline PNG (multipart/related, by
Content-ID), a plain-text part, and the PDF and XLSX attached. Sent through Django's email
backend, the same SMTP path the mail app's outbound replies take."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from kehu.insight import export, presentation
from kehu.insight.models import ReportDelivery
from kehu.insight.rules import edition_for


class Mime(MimeMessage):
    """A stdlib message that also takes Django's ``as_bytes(linesep=...)``."""

    def as_bytes(
        self, unixfrom: bool = False, policy: Any = None, linesep: str | None = None
    ) -> bytes:
        policy = policy or self.policy
        if linesep is not None:
            policy = policy.clone(linesep=linesep)
        return super().as_bytes(unixfrom=unixfrom, policy=policy)


class PreparedEmail(mail.EmailMessage):
    """A Django email whose MIME structure was built beforehand (Django cannot nest
    related-inside-mixed itself); backends only call ``message()`` and ``recipients()``."""

    def __init__(self, mime: MimeMessage, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mime = mime

    def message(self, *, policy: Any = None) -> Any:
        return self.mime


def rendering(delivery: ReportDelivery, cache: dict[Any, Any] | None = None) -> dict[str, Any]:
    """The document, chart pictures, PDF and XLSX of the delivery's report in its language."""
    edition = edition_for(delivery.user, delivery.report.scope_key) or "customer"
    key = (delivery.report_id, delivery.language, edition)
    if cache is not None and key in cache:
        return dict(cache[key])
    with translation.override(delivery.language):
        doc = presentation.document(delivery.report, edition)
        pictures = export.chart_pictures(doc)
        found = {
            "doc": doc,
            "pictures": pictures,
            "pdf": export.pdf(doc, pictures),
            "xlsx": export.xlsx(doc),
        }
    if cache is not None:
        cache[key] = found
    return found


def build(delivery: ReportDelivery, cache: dict[Any, Any] | None = None) -> mail.EmailMessage:
    made = rendering(delivery, cache)
    doc = made["doc"]
    report = delivery.report
    url = settings.KEHU_BASE_URL + reverse("insight:report-detail", args=[report.pk])
    cids = {key: make_msgid(idstring=f"chart-{key}")[1:-1] for key in made["pictures"]}
    with translation.override(delivery.language):
        context = {"doc": doc, "url": url, "cids": cids, "name": delivery.user.get_full_name()}
        html = render_to_string("insight/email.html", context)
        text = render_to_string("insight/email.txt", context)
    mime = Mime(policy=SMTP)
    mime["Subject"] = f"{doc.title} · {doc.subtitle}"
    mime["From"] = settings.DEFAULT_FROM_EMAIL
    mime["To"] = delivery.address
    mime["Date"] = formatdate(localtime=True)
    mime["Message-ID"] = make_msgid(idstring=f"kh-report-{report.pk}-{delivery.pk}")
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(text)
    mime.add_alternative(html, subtype="html")
    html_part: Any = mime.get_payload()[1]  # type: ignore[index]
    for key, picture in made["pictures"].items():
        html_part.add_related(
            picture, maintype="image", subtype="png", cid=f"<{cids[key]}>", filename=f"{key}.png"
        )
    stem = f"kehu-report-{report.period}-{report.period_start:%Y%m%d}-{report.scope_key.replace(':', '-')}"
    mime.add_attachment(made["pdf"], maintype="application", subtype="pdf", filename=f"{stem}.pdf")
    mime.add_attachment(
        made["xlsx"],
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"{stem}.xlsx",
    )
    return PreparedEmail(
        mime,
        subject=str(mime["Subject"]),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
    )
