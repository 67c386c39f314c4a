"""Mail pages: mailboxes (administrators), received mail and the held-mail review (the desk)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize
from kehu.core.pages import FormPage, to_detail
from kehu.mail import imap, parsing, services
from kehu.mail.forms import MailboxForm
from kehu.mail.models import InboundMail, Mailbox

PAGE = 50


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, Mailbox)
    mailboxes = Mailbox.objects.select_related("department").order_by("address")
    return render(request, "mail/mailbox_list.html", {"mailboxes": mailboxes})


@login_required
def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = access_object(request.user, Mailbox, pk)
    received = InboundMail.objects.filter(mailbox=mailbox).select_related("ticket")
    page = Paginator(received.defer("raw").order_by("-id"), PAGE).get_page(request.GET.get("page"))
    return render(request, "mail/mailbox_detail.html", {"mailbox": mailbox, "page": page})


MAILBOX_PAGE = FormPage("mail/mailbox_form.html", done=to_detail("mail:mailbox-detail"))
mailbox_create, mailbox_edit = MAILBOX_PAGE.views(Mailbox, MailboxForm, services, "mailbox")


@login_required
@require_POST
def mailbox_poll(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = access_object(request.user, Mailbox, pk, action=CHANGE)
    if not mailbox.imap_host:
        messages.error(request, _("This mailbox has no IMAP server."))
    else:
        result = imap.poll(mailbox)
        if result.error:
            messages.error(request, result.error)
        else:
            messages.success(request, _("%(count)s messages read.") % {"count": result.fetched})
    return redirect("mail:mailbox-detail", mailbox.pk)


@login_required
def received_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, InboundMail)
    outcome = request.GET.get("outcome") or InboundMail.Outcome.HELD
    if outcome not in InboundMail.Outcome.values:
        outcome = InboundMail.Outcome.HELD
    found = (
        InboundMail.objects.filter(outcome=outcome)
        .select_related("mailbox", "ticket")
        .defer("raw")
        .order_by("-id")
    )
    page = Paginator(found, PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "outcome": outcome, "outcomes": InboundMail.Outcome.choices}
    return render(request, "mail/received_list.html", context)


@login_required
def received_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_object(
        request.user, InboundMail, pk, queryset=InboundMail.objects.select_related("mailbox")
    )
    mail = parsing.parse(record.raw_bytes())
    return render(request, "mail/received_detail.html", {"record": record, "mail": mail})


@login_required
@require_POST
def received_release(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_object(request.user, InboundMail, pk, action=CHANGE)
    try:
        record = services.release_held(record, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mail:received-detail", pk)
    messages.success(request, _("The message opened %(ticket)s.") % {"ticket": record.ticket})
    return redirect("mail:received-detail", pk)


@login_required
@require_POST
def received_discard(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_object(request.user, InboundMail, pk, action=CHANGE)
    try:
        services.discard_held(record, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mail:received-detail", pk)
    messages.success(request, _("The message was discarded."))
    return redirect("mail:received-list")
