"""Sign-in and password-reset pages: Django's views with the abuse limits of
``tenancy.sign_in`` in front (axes' own lockout runs inside authentication)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenancy import sign_in
from tenancy.forms import SignInForm

_MESSAGES = {
    ("sign_in", "account"): (
        "Too many failed sign-in attempts for this account, from one or more places."
    ),
    ("sign_in", "address"): "Too many failed sign-in attempts from your network.",
    ("reset", "account"): "Several password-reset emails were just sent to this address.",
    ("reset", "address"): "Too many password-reset requests from your network.",
}


def _limited(request: HttpRequest, action: str, limited: sign_in.Limited) -> HttpResponse:
    response = render(
        request,
        "registration/limited.html",
        {"message": _MESSAGES[(action, limited.scope)], "wait": limited.wait, "action": action},
        status=429,
    )
    response["Retry-After"] = str(int(limited.wait.total_seconds()))
    return response


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))
        limited = sign_in.sign_in_limited(request, username)
        if limited is not None:
            return _limited(request, "sign_in", limited)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        sign_in.record_sign_in_success(form.get_user().get_username())
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))
        if username and self.request.POST.get("password"):
            sign_in.record_sign_in_failure(self.request, username)
        return super().form_invalid(form)


class LimitedPasswordResetView(auth_views.PasswordResetView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("email", ""))
        limited = sign_in.password_reset_limited(request, email)
        if limited is not None:
            return _limited(request, "reset", limited)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        sign_in.record_password_reset(self.request, form.cleaned_data["email"])
        return super().form_valid(form)
