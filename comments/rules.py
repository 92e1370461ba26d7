"""The workspace's rules: word lists, links, new and pre-moderated authors.

`gather_rule_signals` reads what the rules need (three small queries) and returns the signals the
policy decides on; the matching itself is pure and tested on its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from comments.classifier.normalise import normalise
from comments.models import AuthorStanding, Comment, WordRule, WordRuleKind
from comments.policy import RuleSignals

# A link: a scheme, "www.", or a bare domain with a TLD spammers favour ("cheap-pills.shop").
# Bare domains are limited to a list of TLDs so that "e.g." or "Node.js" do not count.
LINK = re.compile(
    r"https?://|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|info|biz|io|co|ru|cn|xyz|top|shop|online|site|club|uk|de|fr)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WordMatcher:
    """Finds the phrases of one word list in a text, on word boundaries, however disguised.

    Text and phrases both go through `normalise` (case, look-alike letters, accents, digits for
    letters, separators inside words, spelled-out words, long letter runs), and each letter of a
    phrase may repeat: "WIPED-OUT", "w.i.p.e.d o.u.t" and "wiiiped out" all match "wiped out".
    """

    pattern: re.Pattern[str] | None
    phrases: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def compile(cls, phrases: Iterable[str]) -> WordMatcher:
        unique = {normalise(p): p for p in phrases if normalise(p)}
        if not unique:
            return cls(None, ())
        # Longest first, so that "free money" wins over "free" where both match.
        ordered = sorted(unique, key=len, reverse=True)
        bodies = [_phrase_body(key) for key in ordered]
        # Lookarounds rather than \b: \b needs a word character beside it, so it would never
        # match a phrase that starts or ends with punctuation, such as "$$$" or "c.o.d.".
        pattern = re.compile(rf"(?<!\w)(?:{'|'.join(bodies)})(?!\w)")
        each = tuple(
            (re.compile(body), unique[key]) for body, key in zip(bodies, ordered, strict=True)
        )
        return cls(pattern, each)

    def find(self, text: str) -> tuple[str, ...]:
        """The rule phrases found in `text`, each once, in order of first appearance."""
        if self.pattern is None:
            return ()
        found: dict[str, tuple[int, int]] = {}
        # Two readings of a spelled-out run: "a i d i o t" is "aidiot" or "a idiot".
        for reading, one_letter_words in enumerate((False, True)):
            for match in self.pattern.finditer(normalise(text, one_letter_words=one_letter_words)):
                phrase = next(
                    (phrase for body, phrase in self.phrases if body.fullmatch(match.group())),
                    match.group(),
                )
                found.setdefault(phrase, (reading, match.start()))
        return tuple(sorted(found, key=found.__getitem__))


def _phrase_body(key: str) -> str:
    """A normalised phrase as a pattern: its words with or without space between them, each
    letter repeatable, everything else literal."""
    words = [
        "".join(f"{re.escape(c)}+" if c.isalpha() else re.escape(c) for c in word)
        for word in key.split()
    ]
    return r"\s*".join(words)


def contains_link(text: str) -> bool:
    return LINK.search(text) is not None


def gather_rule_signals(comment: Comment) -> RuleSignals:
    """Read the rules and the author's standing and apply them to one comment.

    The word lists are compiled once per call: a worker scores one comment per call, and the
    lists may change between calls (moderators edit them), so there is nothing safe to cache.
    """
    premoderated = AuthorStanding.objects.filter(
        author_id=comment.author_id, always_premoderate=True
    ).exists()
    return dataclasses.replace(
        gather_text_signals(comment.body),
        new_author=_is_new_author(comment),
        author_premoderated=premoderated,
    )


def gather_text_signals(text: str) -> RuleSignals:
    """Apply the rules that read only the text (word lists, links): for a text with no author
    here, such as one another system sends for a decision (one query)."""
    phrases: dict[str, list[str]] = {WordRuleKind.BANNED: [], WordRuleKind.SUSPECT: []}
    for kind, phrase in WordRule.objects.values_list("kind", "phrase"):
        phrases[kind].append(phrase)
    banned = WordMatcher.compile(phrases[WordRuleKind.BANNED]).find(text)
    suspect = WordMatcher.compile(phrases[WordRuleKind.SUSPECT]).find(text)
    return RuleSignals(
        banned_words=banned,
        suspect_words=tuple(w for w in suspect if w not in banned),
        has_link=settings.MODERATION_HOLD_LINKS and contains_link(text),
    )


def _is_new_author(comment: Comment) -> bool:
    """Whether the author has fewer published comments than the first-N rule asks for."""
    needed = settings.MODERATION_HOLD_FIRST_COMMENTS
    if needed <= 0:
        return False
    published = Comment.objects.published().by_author(comment.author_id).exclude(pk=comment.pk)
    return published[:needed].count() < needed
