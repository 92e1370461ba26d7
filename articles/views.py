from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from articles.models import Article
from newsroom.http import HtmxHttpRequest


@require_GET
def article_list(request: HtmxHttpRequest) -> HttpResponse:
    articles = Article.objects.live().with_comment_counts().order_by("-published_at", "-id")[:50]
    return render(request, "articles/article_list.html", {"articles": articles})
