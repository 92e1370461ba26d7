from __future__ import annotations

from django.urls import path

from integrations import embed, views, workspace, workspace_webhooks

app_name = "integrations"

# Perspective's paths exactly (a client sets only the base URL, as Coral's endpoint setting
# does, and appends "/comments:analyze"); Coral's phase URL is whatever the operator enters.
urlpatterns = [
    path("v1alpha1/comments:analyze", views.analyze, name="perspective-analyze"),
    path("v1alpha1/comments:suggestscore", views.suggest_score, name="perspective-suggestscore"),
    # Where Google's client libraries read the methods from (see perspective.discovery_document).
    path("$discovery/rest", views.discovery, name="perspective-discovery"),
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
    # The embed: the script a host page loads, the stream it frames, the frame's single sign-on.
    path("embed.js", embed.embed_script, name="embed-script"),
    path("embed/stream", embed.stream, name="embed-stream"),
    path("embed/sso", embed.sso_sign_in, name="embed-sso"),
    # The workspace's pages for them, under /moderation/ like the rest of the workspace (its
    # banners and access rules apply there).
    path("moderation/integrations/keys/", workspace.api_keys, name="api-keys"),
    path(
        "moderation/integrations/keys/<int:pk>/revoke/",
        workspace.revoke_api_key,
        name="api-key-revoke",
    ),
    path("moderation/integrations/coral/", workspace.coral_requests, name="coral-requests"),
    path("moderation/integrations/embed/", workspace.embed_origins, name="embed-origins"),
    path(
        "moderation/integrations/embed/<int:pk>/remove/",
        workspace.remove_embed_origin,
        name="embed-origin-remove",
    ),
]
