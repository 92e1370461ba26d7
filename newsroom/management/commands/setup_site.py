"""Set up a site in one Python start-up: migrate, load the demo content, train a first model."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from comments.models import ClassifierModel


class Command(BaseCommand):
    help = (
        "Migrate the database, load the launch article (and, in development, the demo accounts), "
        "and train the classifier if no version is active: what `make run` needs, in one process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-accounts", action="store_true", help="load the article without demo accounts"
        )

    def handle(self, *args: Any, no_accounts: bool, **options: Any) -> None:
        # One process instead of three: each `manage.py` start-up costs a second or more.
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        call_command("load_demo", no_accounts=no_accounts, stdout=self.stdout)
        active = ClassifierModel.objects.active().values_list("version", flat=True).first()
        if active is not None:
            # Checked here rather than by `train_classifier --if-none-active`: loading that
            # command imports the training stack (scikit-learn, SciPy, skops), seconds of start-up
            # that a site with a model does not need.
            self.stdout.write(f"Classifier v{active} is active.")
            return
        self.stdout.write("No classifier is active yet: training the first one.")
        call_command("train_classifier", stdout=self.stdout)
