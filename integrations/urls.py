from __future__ import annotations

from django.urls import path

from integrations import views

app_name = "integrations"

# Perspective's paths exactly (a client sets only the base URL, as Coral's endpoint setting
# does, and appends "/comments:analyze"); Coral's phase URL is whatever the operator enters.
urlpatterns = [
    path("v1alpha1/comments:analyze", views.analyze, name="perspective-analyze"),
    path("v1alpha1/comments:suggestscore", views.suggest_score, name="perspective-suggestscore"),
    path("integrations/coral/moderate", views.coral_moderate, name="coral-moderate"),
]
