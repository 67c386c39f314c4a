"""The two operator endpoints: ``/healthz`` (public, reveals no data) and ``/metrics``."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kehu.ops import health as health_checks
from kehu.ops import metrics as prometheus


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 while this web worker can serve (database and cache answer), else 503; the body
    says what else is behind (worker, scheduler, queue, mail polling)."""
    status, body = health_checks.report()
    return JsonResponse(body, status=status)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.KEHU_METRICS:
        raise Http404
    if not prometheus.scrape_allowed(request):
        return HttpResponse(
            _("Metrics need the scrape token or an allowed network."),
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(prometheus.exposition(), content_type=prometheus.CONTENT_TYPE)
