"""Pages that belong to no domain: the dashboard and the language switch (the health check
and the metrics are kehu.ops's)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kehu.access.permissions import is_staff_member, roles_of
from kehu.access.services import LANGUAGE_CHOSEN_SESSION_KEY, user_update_preferences
from kehu.core.registry import dashboard_counts


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(request.user):
        # Customers and requesters start at their tickets; users with no role at their profile.
        return redirect("portal:ticket-list" if roles_of(request.user) else "access:profile")
    return render(request, "core/dashboard.html", {"counts": dashboard_counts()})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user when signed in, else in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response: HttpResponse = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        user_update_preferences(user=request.user, language=language)
    else:
        # Chosen before signing in (on the sign-in page): becomes the preference at sign-in.
        request.session[LANGUAGE_CHOSEN_SESSION_KEY] = language
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
    )
    return response


def api_aware_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": "Not found.", "errors": []}, status=404
        )
    return render(request, "404.html", status=404)


def api_aware_500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "message": "Server error.", "errors": []}, status=500
        )
    return render(request, "500.html", status=500)
