"""Request bodies over REQUEST_BODY_MAX_BYTES are refused before anything reads them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

TWENTY_MB = 20 * 1024 * 1024


@pytest.fixture
def reader_client(client: Client) -> Client:
    make_article()
    client.force_login(make_user("reader"))
    return client


def post_url() -> str:
    return reverse("comments:post", kwargs={"slug": "launch-story"})


def test_it_refuses_a_20_mb_multipart_upload_to_the_comment_endpoint(
    reader_client: Client,
) -> None:
    upload = SimpleUploadedFile("holiday.jpg", b"\xff" * TWENTY_MB, content_type="image/jpeg")
    response = reader_client.post(post_url(), {"body": "Look at this.", "photo": upload})
    assert response.status_code == 413
    assert response.content == b"The request body is too large: at most 65536 bytes."
    assert response["X-Content-Type-Options"] == "nosniff"  # answered inside the security headers
    assert not Comment.objects.exists()


def test_it_refuses_a_body_sent_without_a_length(reader_client: Client) -> None:
    # As gunicorn passes a chunked body: no CONTENT_LENGTH, and Django would read nothing.
    response = reader_client.generic(
        "POST",
        post_url(),
        b"body=" + b"x" * TWENTY_MB,
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert not Comment.objects.exists()


def test_it_takes_the_longest_comment_in_four_byte_characters(reader_client: Client) -> None:
    body = "\N{GRINNING FACE}" * 5000
    response = reader_client.post(post_url(), {"body": body}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert Comment.objects.get().body == body
