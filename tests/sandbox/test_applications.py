"""``/v1/applications`` and ``/v2/applications``: CRUD, keys, paging, errors, one store."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import CREDS, KEY, SECRET

VOICE = {
    "type": "voice",
    "answer_url": "https://example.com/answer",
    "event_url": "https://example.com/event",
}


def v1_create(http: httpx.Client, name: str = "app", **params: str) -> httpx.Response:
    return http.post("/v1/applications", params=CREDS, data={"name": name, **VOICE, **params})


def test_v1_create_returns_a_working_key_pair(http: httpx.Client) -> None:
    response = v1_create(http, answer_method="POST")
    assert response.status_code == 201
    app = response.json()
    private = serialization.load_pem_private_key(app["keys"]["private_key"].encode(), None)
    public = serialization.load_pem_public_key(app["keys"]["public_key"].encode())
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert private.public_key().public_numbers() == public.public_numbers()
    assert app["voice"]["webhooks"] == [
        {
            "endpoint_type": "answer_url",
            "endpoint": "https://example.com/answer",
            "http_method": "POST",
        },
        {
            "endpoint_type": "event_url",
            "endpoint": "https://example.com/event",
            "http_method": "POST",
        },
    ]
    assert app["_links"] == {"self": {"href": f"/v1/applications/{app['id']}"}}
    fetched = http.get(f"/v1/applications/{app['id']}", params=CREDS).json()
    assert "private_key" not in fetched["keys"]
    assert fetched["keys"]["public_key"] == app["keys"]["public_key"]


def test_v1_update_delete_and_404(http: httpx.Client) -> None:
    app = v1_create(http).json()
    url = f"/v1/applications/{app['id']}"
    updated = http.put(url, params=CREDS, data={"name": "renamed", **VOICE}).json()
    assert updated["name"] == "renamed"
    change = http.put(
        url,
        params=CREDS,
        data={
            "name": "x",
            "type": "messages",
            "inbound_url": "https://e.com/i",
            "status_url": "https://e.com/s",
        },
    )
    assert change.status_code == 400 and "type" in change.json()["type"]
    assert http.delete(url, params=CREDS).status_code == 204
    gone = http.get(url, params=CREDS)
    assert gone.status_code == 404
    assert gone.json() == {
        "type": f"No application found with id {app['id']}",
        "error_title": "Not Found",
    }
    assert http.delete(url, params=CREDS).status_code == 404


def test_v1_paging_is_zero_based_with_hal_links(http: httpx.Client) -> None:
    ids = [v1_create(http, name=f"a{i}").json()["id"] for i in range(5)]
    first = http.get("/v1/applications", params={**CREDS, "page_size": 2}).json()
    assert first["count"] == 5 and first["page_index"] == 0
    assert [a["id"] for a in first["_embedded"]["applications"]] == ids[:2]
    assert set(first["_links"]) == {"self", "first", "last", "next"}
    second = http.get("/v1/applications", params={**CREDS, "page_size": 2, "page_index": 1}).json()
    assert [a["id"] for a in second["_embedded"]["applications"]] == ids[2:4]
    assert set(second["_links"]) == {"self", "first", "last", "next", "prev"}
    last = http.get("/v1/applications", params={**CREDS, "page_size": 2, "page_index": 2}).json()
    assert set(last["_links"]) == {"self", "first", "last", "prev"}
    assert last["_links"]["last"]["href"].endswith("page_index=2")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"type": "voice", "answer_url": "https://e.com/a", "event_url": "https://e.com/e"},
            "name",
        ),
        ({"name": "a", "type": "fax"}, "type"),
        ({"name": "a", "type": "voice", "event_url": "https://e.com/e"}, "answer_url"),
        (
            {"name": "a", "type": "voice", "answer_url": "nope", "event_url": "https://e.com/e"},
            "answer_url",
        ),
        ({"name": "a", **VOICE, "answer_method": "PATCH"}, "answer_method"),
        ({"name": "a", "type": "messages", "inbound_url": "https://e.com/i"}, "status_url"),
    ],
)
def test_v1_validation_in_common_shape(http: httpx.Client, data: dict, field: str) -> None:
    response = http.post("/v1/applications", params=CREDS, data=data)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"type", "error_title"} and body["error_title"] == "Bad Request"
    assert field in body["type"]


def test_v1_auth_and_isolation(http: httpx.Client) -> None:
    app = v1_create(http).json()
    response = http.get("/v1/applications", params={"api_key": KEY, "api_secret": "no"})
    assert response.status_code == 401 and response.json()["error_title"] == "Unauthorized"
    http.post(
        "/_sandbox/accounts", json={"api_key": "other", "api_secret": "pw"}
    ).raise_for_status()
    other = {"api_key": "other", "api_secret": "pw"}
    assert http.get(f"/v1/applications/{app['id']}", params=other).status_code == 404
    assert http.get("/v1/applications", params=other).json()["count"] == 0


CAPS = {
    "voice": {
        "webhooks": {
            "answer_url": {"address": "https://e.com/a"},
            "event_url": {"address": "https://e.com/e", "http_method": "GET"},
        }
    },
    "messages": {
        "webhooks": {
            "inbound_url": {"address": "https://e.com/i"},
            "status_url": {"address": "https://e.com/s"},
        }
    },
}


def test_v2_crud_and_shared_with_v1(http: httpx.Client) -> None:
    created = http.post(
        "/v2/applications", auth=(KEY, SECRET), json={"name": "v2", "capabilities": CAPS}
    )
    assert created.status_code == 201
    app = created.json()
    assert app["capabilities"]["voice"]["webhooks"]["answer_url"]["http_method"] == "GET"
    assert app["capabilities"]["messages"]["webhooks"]["status_url"]["http_method"] == "POST"
    assert "private_key" in app["keys"]
    v1 = http.get(f"/v1/applications/{app['id']}", params=CREDS).json()
    assert v1["name"] == "v2" and v1["voice"]["webhooks"][1]["http_method"] == "GET"
    put = http.put(
        f"/v2/applications/{app['id']}",
        auth=(KEY, SECRET),
        json={"name": "v2b", "capabilities": {}},
    )
    assert put.status_code == 200 and put.json()["capabilities"] == {}
    assert http.delete(f"/v2/applications/{app['id']}", auth=(KEY, SECRET)).status_code == 204
    missing = http.get(f"/v2/applications/{app['id']}", auth=(KEY, SECRET))
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"


def test_v2_brings_its_own_public_key(http: httpx.Client) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    app = http.post(
        "/v2/applications", auth=(KEY, SECRET), json={"name": "k", "keys": {"public_key": pem}}
    ).json()
    assert app["keys"] == {"public_key": pem}


def test_v2_rfc7807_errors(http: httpx.Client) -> None:
    bad = http.post(
        "/v2/applications",
        auth=(KEY, SECRET),
        json={
            "capabilities": {
                "voice": {"webhooks": {"answer_url": {"address": "x", "http_method": "PUT"}}},
                "fax": {},
            },
            "keys": {"public_key": "nope"},
        },
    )
    assert bad.status_code == 400
    body = bad.json()
    assert {"type", "title", "detail", "instance", "invalid_parameters"} <= set(body)
    names = {p["name"] for p in body["invalid_parameters"]}
    assert names == {
        "name",
        "capabilities.voice.webhooks.answer_url.address",
        "capabilities.voice.webhooks.answer_url.http_method",
        "capabilities.fax",
        "keys.public_key",
    }
    assert http.get("/v2/applications", auth=(KEY, "no")).status_code == 401
    malformed = http.post(
        "/v2/applications",
        auth=(KEY, SECRET),
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 400 and "malformed JSON" in malformed.json()["detail"]
    assert http.get("/v2/applications", auth=(KEY, SECRET), params={"page": 0}).status_code == 400


def test_v2_paging_is_one_based(http: httpx.Client) -> None:
    for i in range(3):
        http.post("/v2/applications", auth=(KEY, SECRET), json={"name": f"p{i}"}).raise_for_status()
    page2 = http.get(
        "/v2/applications", auth=(KEY, SECRET), params={"page_size": 2, "page": 2}
    ).json()
    assert (page2["page"], page2["total_items"], page2["total_pages"]) == (2, 3, 2)
    assert [a["name"] for a in page2["_embedded"]["applications"]] == ["p2"]
    assert "next" not in page2["_links"] and "prev" in page2["_links"]
    empty = http.get("/v2/applications", auth=(KEY, SECRET), params={"page": 5}).json()
    assert empty["_embedded"]["applications"] == []
