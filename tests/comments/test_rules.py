"""The workspace's rules: word lists on word boundaries, links, new and pre-moderated authors."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from comments import model_versions, scoring
from comments.models import AuthorStanding, CommentStatus, WordRule
from comments.rules import WordMatcher, contains_link, gather_rule_signals, harm_categories
from tests.factories import SafeScores, make_article, make_comment, make_user


def test_it_matches_whole_words_only() -> None:
    matcher = WordMatcher.compile(["ass"])
    assert matcher.find("What an ass.") == ("ass",)
    assert matcher.find("A classic assessment of the bass section.") == ()


def test_it_matches_whatever_the_case_and_reports_the_rules_spelling() -> None:
    matcher = WordMatcher.compile(["Idiot", "free money"])
    assert matcher.find("IDIOT! idiot. Get FREE\n  money now, idiot") == ("Idiot", "free money")


def test_it_matches_phrases_that_start_or_end_with_punctuation() -> None:
    matcher = WordMatcher.compile(["$$$", "c.o.d."])
    assert matcher.find("Make $$$ fast, pay c.o.d.") == ("$$$", "c.o.d.")
    assert matcher.find("Make US$$$x") == ()


def test_it_treats_regex_characters_in_a_phrase_literally() -> None:
    matcher = WordMatcher.compile(["a.b", "(x)"])
    assert matcher.find("axb") == ()
    assert matcher.find("see (x) and a.b") == ("(x)", "a.b")


def test_it_finds_nothing_without_rules() -> None:
    assert WordMatcher.compile([]).find("anything") == ()
    assert WordMatcher.compile(["  "]).find("anything  ") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://example.test/x", True),
        ("See http://example.test", True),
        ("Visit www.example.test today", True),
        ("Buy at cheap-pills.shop now", True),
        ("Write to news.example.co.uk", True),
        ("As the report says, e.g. in section 2", False),
        ("Written in Node.js, mostly", False),
        ("The end.Then a new sentence", False),
    ],
)
def test_it_spots_links(text: str, expected: bool) -> None:
    assert contains_link(text) is expected


@pytest.mark.django_db
def test_it_gathers_every_rule_for_a_comment(settings: Settings) -> None:
    settings.MODERATION_HOLD_FIRST_COMMENTS = 2
    WordRule.objects.create(phrase="idiot", kind="banned")
    WordRule.objects.create(phrase="shill", kind="suspect")
    author = make_user()
    AuthorStanding.objects.create(author=author, always_premoderate=True)
    comment = make_comment(
        article=make_article(), author=author, body="Idiot shill, see www.example.test"
    )
    signals = gather_rule_signals(comment)
    assert signals.banned_words == ("idiot",)
    assert signals.suspect_words == ("shill",)
    assert (signals.has_link, signals.new_author, signals.author_premoderated) == (
        True,
        True,
        True,
    )


@pytest.mark.django_db
def test_it_holds_links_only_when_the_setting_is_on(settings: Settings) -> None:
    comment = make_comment(article=make_article(), author=make_user(), body="www.example.test")
    settings.MODERATION_HOLD_LINKS = False
    assert gather_rule_signals(comment).has_link is False
    settings.MODERATION_HOLD_LINKS = True
    assert gather_rule_signals(comment).has_link is True


@pytest.mark.django_db
def test_it_holds_an_authors_first_n_comments_until_n_are_published(settings: Settings) -> None:
    settings.MODERATION_HOLD_FIRST_COMMENTS = 2
    article, author = make_article(), make_user()
    comment = make_comment(article=article, author=author)
    make_comment(article=article, author=author, status=CommentStatus.REJECTED)
    make_comment(article=article, author=author, status=CommentStatus.PUBLISHED)
    assert gather_rule_signals(comment).new_author is True
    make_comment(article=article, author=author, status=CommentStatus.PUBLISHED)
    assert gather_rule_signals(comment).new_author is False
    newcomers_first = make_comment(article=article, author=make_user("newcomer"))
    assert gather_rule_signals(newcomers_first).new_author is True
    settings.MODERATION_HOLD_FIRST_COMMENTS = 0
    assert gather_rule_signals(newcomers_first).new_author is False


@pytest.mark.django_db
def test_it_rejects_a_comment_with_a_banned_word_when_scoring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_versions, "get_active_model", lambda: SafeScores())
    WordRule.objects.create(phrase="Idiot", kind="banned")
    WordRule.objects.create(phrase="frankly", kind="suspect")
    article, author = make_article(), make_user()
    rejected = make_comment(article=article, author=author, body="Frankly, you idiot.")
    held = make_comment(article=article, author=author, body="Frankly, no.")
    published = make_comment(article=article, author=author, body="Idiomatic prose.")

    decided = [scoring.score_comment(comment_id=c.pk) for c in (rejected, held, published)]
    assert [(c.status, c.reason_codes) for c in decided if c is not None] == [
        (CommentStatus.REJECTED, ["banned_word:Idiot"]),
        (CommentStatus.HELD, ["suspect_word:frankly"]),
        (CommentStatus.PUBLISHED, ["below_thresholds"]),
    ]
    assert decided[0] is not None
    assert decided[0].reasons == ["Contains banned word “Idiot”."]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("These people are animals and should be wiped out.", "violence"),
        ("They should all be WIPED-OUT.", "violence"),
        ("They are v e r m i n.", "dehumanising"),
        ("Th\u0435y aren't even human", "dehumanising"),
        ("I know where the mayor lives.", "threat"),
    ],
)
def test_the_harm_lexicon_finds_violence_dehumanisation_and_threats(
    text: str, category: str
) -> None:
    assert category in harm_categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "The attack killed 20 people in the market.",
        "The band killed it last night.",
        "This plan would wipe out the deficit.",
        "Witnesses say the crowd chanted 'hang them' before police came.",
        "Twenty years and this is how it ends. Shameful.",
    ],
)
def test_the_harm_lexicon_leaves_reporting_quotes_and_idioms_alone(text: str) -> None:
    assert harm_categories(text) == ()


@pytest.mark.django_db
def test_a_harm_lexicon_match_holds_what_the_model_would_publish(settings: Settings) -> None:
    comment = make_comment(
        article=make_article(),
        author=make_user(),
        body="These people are animals and should be wiped out.",
    )
    signals = gather_rule_signals(comment)
    assert signals.harm == ("violence", "dehumanising")
    assert "harm_lexicon:violence" in signals.hold_codes
