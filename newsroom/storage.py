"""Static files: one storage in every mode, so the order of commands never matters."""

from __future__ import annotations

import functools
import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


@functools.cache
def _warn_no_manifest(location: str) -> None:
    # Once per process: templates ask for the same few files on every page.
    logger.warning("no static files manifest in %s: run collectstatic", location)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed files, whatever DJANGO_DEBUG is.

    The same storage in every mode means `collectstatic` always writes the manifest, wherever it
    ran. A name the manifest lacks (collectstatic not run yet, or run before the file existed)
    gets its plain URL: Django's strict manifest raises instead, and that ValueError turned every
    page into a 500. (WhiteNoise also asks for names that do not exist, to tell hashed files.)
    """

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            if not self.hashed_files:
                _warn_no_manifest(str(self.location))
            return name
