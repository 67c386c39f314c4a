"""Sign-in, the user's own profile and tokens, and role administration."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access import forms, services
from kehu.access.models import ApiToken, Role, User
from kehu.access.permissions import ADD, DELETE, access_object, authorize, can, require_admin


class LoginView(auth_views.LoginView):
    template_name = "access/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        services.user_language_at_sign_in(
            user=user,
            chosen=self.request.session.pop(services.LANGUAGE_CHOSEN_SESSION_KEY, None),
            browser=translation.get_language_from_request(self.request),
        )
        response = super().form_valid(form)
        # The sign-in page shows the user's language again after signing out.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=365 * 24 * 3600,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite="Lax",
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "access/password_reset.html"
    email_template_name = "access/password_reset_email.txt"
    subject_template_name = "access/password_reset_subject.txt"
    form_class = forms.QueuedPasswordResetForm
    success_url = reverse_lazy("access:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "access/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "access/password_reset_confirm.html"
    success_url = reverse_lazy("access:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "access/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "access/password_change.html"
    success_url = reverse_lazy("access:profile")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.PreferencesForm(
        request.POST or None, initial={"language": user.language, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(user=user, **form.cleaned_data)
        messages.success(request, _("Your preferences were saved."))
        return redirect("access:profile")
    tokens = ApiToken.objects.filter(user=user) if _may_hold_tokens(request) else None
    return render(
        request,
        "access/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "token_form": forms.TokenCreateForm(),
            "roles": user.role_assignments.select_related("department"),
        },
    )


def _may_hold_tokens(request: HttpRequest) -> bool:
    return can(request.user, ADD, ApiToken)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, ApiToken)
    form = forms.TokenCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name (up to 100 characters)."))
        return redirect("access:profile")
    days = form.cleaned_data["expires_in_days"]
    issued = services.api_token_create(
        user=request.user,  # type: ignore[arg-type]
        name=form.cleaned_data["name"],
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    # Rendered directly (never stored in the session or a message): the secret is shown once.
    return render(request, "access/token_created.html", {"issued": issued})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = access_object(request.user, ApiToken, pk, action=DELETE)
    services.api_token_revoke(token=token)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("access:profile")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    q = request.GET.get("q", "").strip()[:100]
    users = User.objects.prefetch_related("role_assignments").order_by("username")
    if q:
        users = (
            users.filter(username__icontains=q)
            | users.filter(full_name__icontains=q)
            | users.filter(email__icontains=q)
        )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(
        request, "access/user_list.html", {"page": page, "q": q, "role_labels": dict(Role.choices)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_roles(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    target = access_object(request.user, User, pk, queryset=User.objects.all())
    assignments = list(target.role_assignments.all())
    initial = {
        "roles": sorted({a.role for a in assignments}),
        "lead_of": [
            a.department_id
            for a in assignments
            if a.role == Role.DEPARTMENT_LEAD and a.department_id
        ],
    }
    form = forms.RolesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        roles: list[tuple[str, int | None]] = [
            (role, None) for role in form.cleaned_data["roles"] if role != Role.DEPARTMENT_LEAD
        ]
        if Role.DEPARTMENT_LEAD in form.cleaned_data["roles"]:
            departments = form.cleaned_data["lead_of"]
            roles += [(Role.DEPARTMENT_LEAD, d.pk) for d in departments] or [
                (Role.DEPARTMENT_LEAD, None)
            ]
        services.user_set_roles(user=target, roles=roles)
        messages.success(request, _("Roles of %(user)s were saved.") % {"user": target})
        return redirect("access:users")
    return render(request, "access/user_roles.html", {"form": form, "target": target})
