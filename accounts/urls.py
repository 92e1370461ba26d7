from __future__ import annotations

from allauth.account import views as allauth_views
from django.urls import include, path

from accounts import views

# Under /accounts/, before allauth's own URLs: the names the site has always used ("login",
# "logout", "signup") and allauth's names both lead to the same views.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/", views.signup, name="account_signup"),
    path("login/", allauth_views.login, name="login"),
    path("logout/", allauth_views.logout, name="logout"),
    path(
        "",
        include(
            (
                [
                    path("profile/", views.profile, name="profile"),
                    path("profile/export/", views.export, name="export"),
                    path("profile/delete/", views.delete, name="delete"),
                    path("notifications/", views.notifications, name="notifications"),
                    path(
                        "notifications/read/", views.notifications_read, name="notifications-read"
                    ),
                    path("appeals/<int:pk>/", views.appeal, name="appeal"),
                    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
                ],
                "accounts",
            )
        ),
    ),
    path("", include("allauth.urls")),
]
