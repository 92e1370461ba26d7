from __future__ import annotations

from django.urls import path

from integrations import views, workspace_webhooks

app_name = "integrations"

# Perspective's paths exactly (a client sets only the base URL, as Coral's endpoint setting
# does, and appends "/comments:analyze"); Coral's phase URL is whatever the operator enters.
urlpatterns = [
    path("v1alpha1/comments:analyze", views.analyze, name="perspective-analyze"),
    path("v1alpha1/comments:suggestscore", views.suggest_score, name="perspective-suggestscore"),
    path("integrations/coral/moderate", views.coral_moderate, name="coral-moderate"),
    # The workspace's webhook pages, under /moderation/ like the rest of the workspace.
    path("moderation/integrations/webhooks/", workspace_webhooks.endpoints, name="webhooks"),
    path(
        "moderation/integrations/webhooks/<int:pk>/disable/",
        workspace_webhooks.disable_endpoint,
        name="webhook-disable",
    ),
    path(
        "moderation/integrations/webhooks/deliveries/",
        workspace_webhooks.deliveries,
        name="webhook-deliveries",
    ),
    path(
        "moderation/integrations/webhooks/deliveries/<int:pk>/redeliver/",
        workspace_webhooks.redeliver,
        name="webhook-redeliver",
    ),
]
