"""The workspace's forms for the integrations."""

from __future__ import annotations

from django import forms

from integrations.models import WebhookEvent


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
