"""Readers' account pages: sign-up (allauth's, throttled), profile, notifications, appeals."""

from __future__ import annotations

from typing import Any

from allauth.account.views import SignupView as AllauthSignupView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exports import export_account
from accounts.forms import AppealForm, DeleteAccountForm, NotificationSettingsForm, ProfileForm
from accounts.models import (
    EmailFrequency,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from accounts.services import (
    delete_account,
    mark_read,
    read_unsubscribe_token,
    save_display_name,
    set_email_frequency,
)
from comments import throttle
from comments.models import Comment
from comments.services import CannotAppeal, file_appeal
from newsroom.http import client_ip

NOTIFICATIONS_PER_PAGE = 30
COMMENTS_PER_PAGE = 30
NOT_APPEALABLE = "Only a held or rejected comment can be appealed, and only once."

THROTTLED = (
    "Too many accounts have been created from your network recently. Please try again later."
)


class SignupView(AllauthSignupView):
    """allauth's sign-up with the site's per-address throttle; bad input answers 400."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        # Counted only for sign-ups that would succeed, so a reader who mistypes a password is
        # not throttled; atomic in Redis, so a burst from one address cannot slip past.
        if throttle.allows(
            f"signup:{client_ip(self.request)}",
            limit=settings.SIGNUP_RATE_LIMIT,
            window_seconds=settings.SIGNUP_RATE_WINDOW_SECONDS,
        ):
            return super().form_valid(form)
        form.add_error(None, THROTTLED)
        response = super().form_invalid(form)
        response.status_code = 429
        return response


signup = SignupView.as_view()


def _own_comment(request: HttpRequest, pk: int) -> Comment:
    """The signed-in reader's own comment, or 404 (never telling whether another's exists)."""
    return get_object_or_404(Comment.objects.select_related("article"), pk=pk, author=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """Appeal, once, against one's own comment being held or rejected."""
    comment = _own_comment(request, pk)
    form = AppealForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                file_appeal(comment=comment, author=request.user, note=form.cleaned_data["note"])
            except CannotAppeal as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Thank you: a moderator will look at your appeal.")
                return redirect(f"{comment.article.get_absolute_url()}#comment-{comment.pk}")
        status = 400
    elif not comment.can_be_appealed:
        form.add_error(None, NOT_APPEALABLE)
    return render(
        request, "accounts/appeal.html", {"comment": comment, "form": form}, status=status
    )


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The reader's own notifications, newest first; opening the list marks them read."""
    page = Paginator(
        Notification.objects.for_user(request.user).select_related("comment__article"),
        NOTIFICATIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    response = render(request, "accounts/notifications.html", {"page": page})
    mark_read(user=request.user, notification_ids=[n.pk for n in page])
    return response


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    mark_read(user=request.user)
    return redirect("accounts:notifications")


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs with no session; the token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Turn one kind of notification email off, from the signed link in the email."""
    found = read_unsubscribe_token(token)
    if found is None or found[1] not in NotificationKind.values:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    user_id, kind = found
    user = get_object_or_404(get_user_model(), pk=user_id)
    if request.method == "POST":
        set_email_frequency(user=user, kind=kind, frequency=EmailFrequency.NEVER)
        return render(
            request,
            "accounts/unsubscribe.html",
            {"done": True, "kind": NotificationKind(kind).label},
        )
    return render(
        request, "accounts/unsubscribe.html", {"kind": NotificationKind(kind).label, "token": token}
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Display name, the reader's comments with their state and reasons, notification settings."""
    user: Any = request.user  # signed in (login_required)
    preferences = NotificationPreference.objects.filter(user=user)
    current = dict(preferences.values_list("kind", "frequency"))
    name_form = ProfileForm(
        request.POST if "save_profile" in request.POST else None,
        initial={"display_name": user.first_name},
    )
    settings_form = NotificationSettingsForm(
        request.POST if "save_notifications" in request.POST else None, current=current
    )
    if request.method == "POST":
        if name_form.is_bound and name_form.is_valid():
            save_display_name(
                user=request.user, display_name=name_form.cleaned_data["display_name"]
            )
            messages.success(request, "Your display name is saved.")
            return redirect("accounts:profile")
        if settings_form.is_bound and settings_form.is_valid():
            for kind, frequency in settings_form.cleaned_data.items():
                set_email_frequency(user=request.user, kind=kind, frequency=frequency)
            messages.success(request, "Your notification settings are saved.")
            return redirect("accounts:profile")
    comments = Paginator(
        Comment.objects.by_author(request.user)
        .select_related("article", "appeal")
        .order_by("-created_at", "-id"),
        COMMENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/profile.html",
        {"name_form": name_form, "settings_form": settings_form, "comments": comments},
        status=status,
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """Download my data: one JSON file of the signed-in reader's own data."""
    response = JsonResponse(export_account(request.user), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="newsroom-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """Delete my account, after the password, with what happens to the comments said first."""
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        delete_account(user=user)
        messages.success(request, "Your account is deleted.")
        return redirect("articles:index")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "anonymise": settings.ACCOUNTS_DELETED_COMMENTS != "remove"},
        status=400 if form.is_bound else 200,
    )
