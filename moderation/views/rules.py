"""The workspace's rules page: banned and suspect words, and each article's comment settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from articles.models import Article
from comments.models import WordRule, WordRuleKind
from moderation import services
from moderation.decorators import moderator_required
from moderation.forms import ArticleSettingsForm, WordRuleForm
from newsroom.http import HtmxHttpRequest

ARTICLES_PER_PAGE = 20


def _word_lists(form: WordRuleForm | None = None, done: str = "") -> dict[str, Any]:
    rules = list(WordRule.objects.select_related("created_by"))
    return {
        "banned": [r for r in rules if r.kind == WordRuleKind.BANNED],
        "suspect": [r for r in rules if r.kind == WordRuleKind.SUSPECT],
        "rule_form": form or WordRuleForm(),
        "rules_done": done,
    }


@require_GET
@login_required
@moderator_required
def rules(request: HtmxHttpRequest) -> HttpResponse:
    return _render_page(request)


def _render_page(
    request: HtmxHttpRequest, *, form: WordRuleForm | None = None, status: int = 200
) -> HttpResponse:
    articles = Article.objects.only(
        "slug", "title", "published_at", "comment_policy", "close_comments_after_days"
    )
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    context = {**_word_lists(form), "articles": page}
    return render(request, "moderation/rules.html", context, status=status)


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def add_rule(request: HtmxHttpRequest) -> HttpResponse:
    form = WordRuleForm(request.POST)
    done = ""
    if form.is_valid():
        phrase, kind = form.cleaned_data["phrase"], form.cleaned_data["kind"]
        try:
            services.add_word_rule(phrase=phrase, kind=kind, moderator=request.user)
            done = f"Added “{phrase}”. It applies to comments scored from now on."
        except IntegrityError:
            # Another moderator added the same phrase since the form was checked.
            form.add_error("phrase", f"“{phrase}” is already on a list.")
    if request.htmx:
        # Always 200: htmx swaps 2xx only, and the lists carry the form's errors.
        fresh = WordRuleForm() if done else form
        context = _word_lists(fresh, done)
        return render(request, "moderation/rules.html#word-lists", context)
    if not done:
        return _render_page(request, form=form, status=400)
    messages.success(request, done)
    return redirect("moderation:rules")


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def remove_rule(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(WordRule, pk=pk)
    services.remove_word_rule(rule=rule, moderator=request.user)
    done = f"Removed “{rule.phrase}”."
    if request.htmx:
        return render(request, "moderation/rules.html#word-lists", _word_lists(done=done))
    messages.success(request, done)
    return redirect("moderation:rules")


@require_http_methods(["GET", "POST"])
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def article_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    done = ""
    status = 200
    if request.method == "POST":
        form = ArticleSettingsForm(request.POST, instance=article)
        if form.is_valid():
            services.update_article_settings(
                article=article,
                moderator=request.user,
                comment_policy=form.cleaned_data["comment_policy"],
                close_comments_after_days=form.cleaned_data["close_comments_after_days"],
            )
            done = "Saved. New comments follow these settings from now on."
            if not request.htmx:
                messages.success(request, f"“{article.title}”: {done}")
                return redirect("moderation:article-settings", slug=article.slug)
            form = ArticleSettingsForm(instance=article)
        else:
            # A ModelForm writes what it cleaned onto its instance: read the saved row again.
            article.refresh_from_db()
            status = 400
    else:
        form = ArticleSettingsForm(instance=article)
    context = {"article": article, "form": form, "done": done}
    if request.htmx:
        return render(request, "moderation/article_settings.html#settings-form", context)
    return render(request, "moderation/article_settings.html", context, status=status)
