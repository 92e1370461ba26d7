"""The workspace's inputs for the integrations: API keys, the embed's allowed origins, webhooks."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from integrations.models import ApiKey, EmbedOrigin, WebhookEvent


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an http(s) URL, as a browser writes an origin; "" if none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="Who uses it, e.g. “coral” or “coral-staging”."
    )
    rate_limit_per_minute = forms.IntegerField(
        label="Requests per minute",
        min_value=1,
        max_value=100_000,
        required=False,
        help_text="Empty: the site's default.",
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if ApiKey.objects.filter(name=name).exists():
            raise forms.ValidationError(f"A key named “{name}” exists already.")
        return name


class EmbedOriginForm(forms.Form):
    origin = forms.CharField(
        label="Site address",
        max_length=300,
        help_text="The site that embeds the comments, e.g. https://www.example-news.com",
    )

    def clean_origin(self) -> str:
        raw: str = self.cleaned_data["origin"]
        origin = origin_of(raw)
        if not origin or urlsplit(raw.strip()).path not in {"", "/"}:
            raise forms.ValidationError(
                "Enter a site's address only: https:// and its host name, with a port if it has "
                "one, and no path."
            )
        if EmbedOrigin.objects.filter(origin=origin).exists():
            raise forms.ValidationError(f"{origin} is allowed already.")
        return origin


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        help_text="We POST each event here as JSON, signed with the endpoint's secret.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
