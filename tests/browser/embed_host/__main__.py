from __future__ import annotations

from tests.browser.embed_host import main

main()
