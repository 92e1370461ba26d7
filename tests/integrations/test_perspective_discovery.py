"""GET /$discovery/rest: our Perspective methods as a discovery document rooted at this site."""

from __future__ import annotations

from django.test import Client


def test_it_describes_our_two_methods_at_this_sites_address(client: Client) -> None:
    response = client.get("/$discovery/rest", {"version": "v1alpha1"})

    assert response.status_code == 200
    document = response.json()
    assert (document["name"], document["version"]) == ("commentanalyzer", "v1alpha1")
    assert document["rootUrl"] == "http://testserver/"
    methods = document["resources"]["comments"]["methods"]
    assert {name: m["path"] for name, m in methods.items()} == {
        "analyze": "v1alpha1/comments:analyze",
        "suggestscore": "v1alpha1/comments:suggestscore",
    }
    assert all(client.post(f"/{m['path']}").status_code != 404 for m in methods.values())


def test_it_serves_no_other_version(client: Client) -> None:
    response = client.get("/$discovery/rest", {"version": "v1"})

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
