"""Access to the moderators' workspace."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required

# 403 for a signed-in reader, rather than a redirect to a sign-in page they cannot get past.
# Stack it under login_required, which sends visitors to sign in first.
moderator_required = permission_required("comments.moderate_comment", raise_exception=True)
