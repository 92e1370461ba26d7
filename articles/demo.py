"""The launch article, kept in this repository as the site's demo content, and its parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LAUNCH_ARTICLE = Path(__file__).resolve().parent / "demo" / "launch-article.txt"
# The seed ends with the heading of the comment section, which the page renders itself.
COMMENTS_HEADING = "Add your comments below"


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    photo_credit: str
    paragraphs: list[str]

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def parse_article_text(text: str) -> ParsedArticle:
    """Split a plain-text story into headline, photo credit line and body paragraphs."""
    blocks = [_clean(block) for block in re.split(r"\n\s*\n", text)]
    blocks = [block for block in blocks if block and block != COMMENTS_HEADING]
    if len(blocks) < 2:
        raise ValueError("an article needs a headline and at least one paragraph")
    title, rest = blocks[0], blocks[1:]
    photo_credit = ""
    # The line is a photo's caption and its credit; the site shows no photo, so only the credit.
    credit = re.search(r"[^.]*credit:.*", rest[0], flags=re.IGNORECASE)
    if credit and len(rest) > 1:
        photo_credit, rest = credit.group().strip(), rest[1:]
    return ParsedArticle(title=title, photo_credit=photo_credit, paragraphs=rest)


def _clean(block: str) -> str:
    # The seed uses non-breaking spaces where an editor typed spaces; fold them for clean wrapping.
    return re.sub(r"[ \t\u00a0]+", " ", block.replace("\n", " ")).strip()
