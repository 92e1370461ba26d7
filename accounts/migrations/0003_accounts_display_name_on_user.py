"""The display name moves to the user's own name field, where SSO sign-ins already keep it.

Comments show their author's name from the row they already join (`author`), so readers'
chosen names and their newsroom's names appear alike, with no extra query per comment.
"""

from django.conf import settings
from django.db import migrations


def copy_display_names(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for user_id, name in Profile.objects.exclude(display_name="").values_list(
        "user_id", "display_name"
    ):
        User.objects.filter(pk=user_id).update(first_name=name)


def copy_back(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for user_id, name in User.objects.exclude(first_name="").values_list("pk", "first_name"):
        Profile.objects.update_or_create(user_id=user_id, defaults={"display_name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_accounts_notifications"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(copy_display_names, copy_back),
        migrations.DeleteModel(name="Profile"),
    ]
