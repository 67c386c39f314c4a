"""Notification pages: the own inbox and preferences; webhook administration."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import CHANGE, DELETE, VIEW, access_object, authorize
from kehu.audit.selectors import history_rows
from kehu.core.pages import FormPage, delete_page, to_detail
from kehu.notify import delivery, selectors, services
from kehu.notify.forms import PreferencesForm, WebhookForm
from kehu.notify.models import DeliveryStatus, Notification, Webhook, WebhookDelivery

PAGE = 50


def _own(request: HttpRequest, pk: int) -> Notification:
    # Scoped to the recipient: nobody, administrators included, opens another person's inbox.
    return access_object(
        request.user,
        Notification,
        pk,
        action=CHANGE,
        queryset=Notification.objects.filter(recipient_id=request.user.pk),
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    # Only the signed-in person's own rows are listed: the query is the permission.
    page = Paginator(selectors.inbox(request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own(request, pk)
    services.notification_mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("notify:inbox")


@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.notification_mark_read(notification=notification)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notify/_row.html", {"n": notification})
    return redirect("notify:inbox")


@login_required
@require_http_methods(["POST"])
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("notify:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    # The signed-in person's own choices, like the profile page.
    form = PreferencesForm(request.POST or None, choices=services.preferences_for(request.user))
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=request.user, choices=form.choices())
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("notify:preferences")
    return render(request, "notify/preferences.html", {"form": form})


# --- webhooks ----------------------------------------------------------------------------------


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, Webhook)
    return render(request, "notify/webhook_list.html", {"webhooks": selectors.webhooks_list()})


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = access_object(request.user, Webhook, pk)
    page = Paginator(selectors.deliveries(webhook), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/webhook_detail.html",
        {"webhook": webhook, "page": page, "history": history_rows(webhook)},
    )


WEBHOOK_PAGE = FormPage("notify/webhook_form.html", done=to_detail("notify:webhook-detail"))
webhook_create, webhook_edit = WEBHOOK_PAGE.views(
    Webhook, WebhookForm, services, "webhook", actor=True
)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = access_object(request.user, Webhook, pk, action=DELETE)
    back = reverse("notify:webhook-detail", args=[pk])
    return delete_page(request, webhook, done=reverse("notify:webhook-list"), cancel_url=back)


@login_required
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = access_object(request.user, Webhook, pk, action=CHANGE)
    if request.method != "POST":  # checked after the permission, so outsiders see 403/404
        return HttpResponseNotAllowed(["POST"])
    now = timezone.now()
    ping = services.webhook_ping(webhook=webhook, actor=request.user, now=now, queue=False)
    # The administrator waits for the answer: one attempt now, retries follow as usual.
    attempted = delivery.deliver_one(ping.pk, now=now)
    if attempted is not None and attempted.status == DeliveryStatus.SUCCEEDED:
        messages.success(
            request,
            _("The test delivery was answered with HTTP %(code)s.")
            % {"code": attempted.response_code},
        )
    elif attempted is not None:
        messages.error(
            request,
            _("The test delivery failed: %(error)s") % {"error": attempted.last_error},
        )
    return redirect("notify:webhook-detail", pk)


@login_required
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_object(request.user, WebhookDelivery, pk, action=CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if services.delivery_redeliver(delivery=item):
        messages.success(request, _("The delivery will be sent again."))
    else:
        messages.error(request, _("This delivery is still being attempted."))
    return redirect("notify:webhook-detail", item.webhook_id)
