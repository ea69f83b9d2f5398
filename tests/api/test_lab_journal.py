"""Lab journal entries, ported from upstream's LabJournalIT (5.4.0) and extended: safe-list
sanitising (400 InvalidHtmlResponse with the supplied and the sanitised HTML, nothing stored),
permissions through the data object's collection, author-only edits, soft deletes, ordering."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pyshepard.context.labjournal import sanitize
from tests.api.test_collections import create_collection, create_data_object
from tests.conftest import API, ApiUser

URL = f"{API}/labJournalEntries"
FORBIDDEN = "The requested action is forbidden by the permission policies"

VALID_HTML = """
<h3>This is my heading</h3>
<p>Here some <strong>bold text</strong>, some <em>italic text</em>, some <u>underline text</u>, some <code>code text</code></p>
<p>left</p><p style="text-align: center">center</p><p style="text-align: right">right</p><p></p>
<p><a target="_blank" rel="noopener noreferrer nofollow" href="https://shepard.xyz">This is a link</a></p>
<p></p>
<ul><li><p>List 1</p><ul><li><p>List 2</p></li></ul></li></ul>
<ol><li><p>List 1.1</p><ol><li><p>List 2.2</p></li></ol></li></ol><p></p>
<table style="min-width: 75px"><colgroup><col style="min-width: 25px">
<col style="min-width: 25px">
<col style="min-width: 25px"></colgroup><tbody><tr><th colspan="1" rowspan="1"><p>1</p></th>
<th colspan="1" rowspan="1"><p>2</p></th><th colspan="1" rowspan="1"><p>3</p></th></tr><tr>
<td colspan="1" rowspan="1"><p>3</p></td><td colspan="1" rowspan="1"><p>2</p></td>
<td colspan="1" rowspan="1"><p>1</p></td></tr><tr><td colspan="1" rowspan="1"><p>c</p></td>
<td colspan="1" rowspan="1"><p>b</p></td><td colspan="1" rowspan="1"><p>a</p></td></tr></tbody></table>
"""  # noqa: E501 - upstream's test document, kept verbatim

INVALID_HTML = """
<h1>This is my heading</h1>
<p>Here some <strong>bold text</strong>, some <em>italic text</em>, some <u>underline text</u>, some <code>code text</code></p>
<p>left</p><p style="text-align: center">center</p><p style="text-align: right">right</p><p></p>
<p><a target="_blank" rel="noopener noreferrer nofollow" href="https://shepard.xyz">This is a link</a></p>
<p></p>
<ul><li><p>List 1</p><ul><li><p>List 2</p></li></ul></li></ul>
<ol><li><p>List 1.1</p><ol><li><p>List 2.2</p></li></ol></li></ol><p></p>
<table style="min-width: 75px"><colgroup><col style="min-width: 25px">
<col style="min-width: 25px">
<script>alert("dangerous")</script>
"""  # noqa: E501


async def _world(client: httpx.AsyncClient, user: ApiUser) -> tuple[int, int]:
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    return collection["id"], data_object["id"]


async def _post(
    client: httpx.AsyncClient, user: ApiUser, data_object_id: int, content: str
) -> httpx.Response:
    return await client.post(
        URL,
        params={"dataObjectId": data_object_id},
        json={"journalContent": content},
        headers=user.headers,
    )


async def _entry(
    client: httpx.AsyncClient, user: ApiUser, data_object_id: int, content: str = "<p>x</p>"
) -> dict[str, Any]:
    response = await _post(client, user, data_object_id, content)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _list(client: httpx.AsyncClient, user: ApiUser, data_object_id: int) -> Any:
    response = await client.get(URL, params={"dataObjectId": data_object_id}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _share(
    client: httpx.AsyncClient, owner: ApiUser, collection_id: int, **roles: list[str]
) -> None:
    body = {
        "owner": owner.username,
        "permissionType": "Private",
        "reader": roles.get("reader", []),
        "writer": roles.get("writer", []),
        "manager": [],
        "readerGroupIds": [],
        "writerGroupIds": [],
    }
    response = await client.put(
        f"{API}/collections/{collection_id}/permissions", json=body, headers=owner.headers
    )
    assert response.status_code == 200, response.text


# -- upstream LabJournalIT -------------------------------------------------------------------


async def test_post_get_list_delete_as_upstream(client: httpx.AsyncClient, user: ApiUser) -> None:
    _, data_object_id = await _world(client, user)
    created = await _entry(client, user, data_object_id, VALID_HTML)
    assert created["journalContent"] == VALID_HTML
    assert created["dataObjectId"] == data_object_id
    assert created["createdBy"] == user.username
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None
    assert set(created) == {
        "id",
        "dataObjectId",
        "journalContent",
        "createdAt",
        "createdBy",
        "updatedAt",
        "updatedBy",
    }

    fetched = await client.get(f"{URL}/{created['id']}", headers=user.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert created in await _list(client, user, data_object_id)

    deleted = await client.delete(f"{URL}/{created['id']}", headers=user.headers)
    assert deleted.status_code == 204
    assert await _list(client, user, data_object_id) == []
    gone = await client.get(f"{URL}/{created['id']}", headers=user.headers)
    assert gone.status_code == 404
    assert gone.json()["message"] == (
        f"LabJournal with Id {created['id']} cannot be found or is deleted"
    )


async def test_unsafe_html_is_refused_with_both_versions(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    _, data_object_id = await _world(client, user)
    response = await _post(client, user, data_object_id, INVALID_HTML)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "BAD_REQUEST"
    assert body["exception"] == "BadRequestException"
    assert body["message"].startswith("You provided invalid or unsecure Html to the Api.")
    assert body["suppliedHtml"] == INVALID_HTML
    assert "<script>" not in body["sanitizedHtml"]
    assert "alert" not in body["sanitizedHtml"]
    assert "<h1>This is my heading</h1>" in body["sanitizedHtml"]
    assert body["sanitizedHtml"] == sanitize.clean(INVALID_HTML)
    assert await _list(client, user, data_object_id) == []


async def test_get_missing_entry_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(f"{URL}/99999999", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == (
        "LabJournal with Id 99999999 cannot be found or is deleted"
    )


async def test_list_without_data_object_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(URL, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["violations"][0]["field"] == "getLabJournalsByCollection.dataObjectId"


async def test_list_of_missing_data_object_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(URL, params={"dataObjectId": 99999999}, headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "ID ERROR - DataObject with id 99999999 is null or deleted"


# -- extensions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<p onclick=\"alert('x')\">click</p>",
        '<a href="javascript:alert(1)">link</a>',
        '<a href="/relative">link</a>',
        "<img src=x onerror=alert(1)>",
        "<iframe src='https://evil.example'></iframe>",
        "<div>divs are not on the list</div>",
        "<h4>h4 is removed upstream</h4>",
        "<blockquote>quote</blockquote>",
    ],
)
async def test_each_unsafe_construct_is_refused(
    client: httpx.AsyncClient, user: ApiUser, html: str
) -> None:
    _, data_object_id = await _world(client, user)
    response = await _post(client, user, data_object_id, html)
    assert response.status_code == 400, response.text
    assert response.json()["suppliedHtml"] == html
    assert response.json()["sanitizedHtml"] != html
    assert await _list(client, user, data_object_id) == []


@pytest.mark.parametrize(
    "html",
    [
        "plain text &amp; entities",
        '<img src="https://example.org/a.png" alt="a" width="10">',
        '<p><a href="mailto:a@example.org">mail</a> <s>old</s> <strike>older</strike></p>',
        "<h1>a</h1><h2>b</h2><pre>c</pre><br>",
        "",
    ],
)
async def test_safe_html_is_stored_verbatim(
    client: httpx.AsyncClient, user: ApiUser, html: str
) -> None:
    _, data_object_id = await _world(client, user)
    created = await _entry(client, user, data_object_id, html)
    assert created["journalContent"] == html


@pytest.mark.parametrize(
    ("html", "stored"),
    [
        ("<p>unclosed paragraph", "<p>unclosed paragraph</p>"),
        ("<table><tr><td>1</td></tr></table>", "<table><tbody><tr><td>1</td></tr></tbody></table>"),
        ("<P>a</P>", "<p>a</p>"),
        # a comment is dropped; what the browser sees is unchanged
        ("<p>a</p><!-- note -->", "<p>a</p>"),
        # html5ever (like browsers) reads this as a bogus comment: nothing is removed
        ("<![CDATA[<img src=x onerror=alert(1)>]]>", "]]&gt;"),
    ],
)
async def test_safe_html_is_stored_as_the_sanitiser_serialises_it(
    client: httpx.AsyncClient, user: ApiUser, html: str, stored: str
) -> None:
    _, data_object_id = await _world(client, user)
    created = await _entry(client, user, data_object_id, html)
    assert created["journalContent"] == stored
    fetched = await client.get(f"{URL}/{created['id']}", headers=user.headers)
    assert fetched.json()["journalContent"] == stored


@pytest.mark.parametrize(
    "body", [{}, {"journalContent": None}, {"journalContent": 5}, {"journalContent": "a\x00b"}]
)
async def test_bad_bodies_are_400(
    client: httpx.AsyncClient, user: ApiUser, body: dict[str, Any]
) -> None:
    _, data_object_id = await _world(client, user)
    response = await client.post(
        URL, params={"dataObjectId": data_object_id}, json=body, headers=user.headers
    )
    assert response.status_code == 400
    assert await _list(client, user, data_object_id) == []


@pytest.mark.parametrize("value", ["-1", "abc", str(2**63)])
async def test_bad_ids_are_400(client: httpx.AsyncClient, user: ApiUser, value: str) -> None:
    assert (
        await client.get(URL, params={"dataObjectId": value}, headers=user.headers)
    ).status_code == 400
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"{URL}/{value}", headers=user.headers)
        assert response.status_code == 400
    response = await client.put(
        f"{URL}/{value}", json={"journalContent": "x"}, headers=user.headers
    )
    assert response.status_code == 400


async def test_list_is_newest_first_and_per_data_object(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    collection_id, data_object_id = await _world(client, user)
    other = await create_data_object(client, user, collection_id)
    first = await _entry(client, user, data_object_id, "<p>1</p>")
    second = await _entry(client, user, data_object_id, "<p>2</p>")
    third = await _entry(client, user, data_object_id, "<p>3</p>")
    elsewhere = await _entry(client, user, other["id"], "<p>other</p>")
    listed = await _list(client, user, data_object_id)
    assert [entry["id"] for entry in listed] == [third["id"], second["id"], first["id"]]
    assert [entry["id"] for entry in await _list(client, user, other["id"])] == [elsewhere["id"]]


async def test_update_by_author(client: httpx.AsyncClient, user: ApiUser) -> None:
    _, data_object_id = await _world(client, user)
    created = await _entry(client, user, data_object_id)
    response = await client.put(
        f"{URL}/{created['id']}", json={"journalContent": "<p>new</p>"}, headers=user.headers
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["journalContent"] == "<p>new</p>"
    assert updated["updatedBy"] == user.username
    assert updated["updatedAt"] is not None
    assert updated["createdAt"] == created["createdAt"]
    unsafe = await client.put(
        f"{URL}/{created['id']}",
        json={"journalContent": "<script>x</script>"},
        headers=user.headers,
    )
    assert unsafe.status_code == 400
    assert unsafe.json()["sanitizedHtml"] == ""
    fetched = await client.get(f"{URL}/{created['id']}", headers=user.headers)
    assert fetched.json() == updated


async def test_an_update_is_checked_in_upstreams_order(
    client: httpx.AsyncClient, make_user: Any, user: ApiUser
) -> None:
    """Entry (404), Read, authorship (403), HTML (400), then Write (403)."""
    author = await make_user()
    collection_id, data_object_id = await _world(client, user)
    await _share(client, user, collection_id, writer=[author.username])
    entry = await _entry(client, author, data_object_id)
    item = f"{URL}/{entry['id']}"
    unsafe = {"journalContent": "<script>x</script>"}
    missing = await client.put(f"{URL}/987654321012", json=unsafe, headers=author.headers)
    assert missing.status_code == 404
    assert (await client.put(item, json=unsafe, headers=user.headers)).status_code == 403
    await _share(client, user, collection_id, reader=[author.username])  # Write taken away
    assert (await client.put(item, json=unsafe, headers=author.headers)).status_code == 400
    safe = {"journalContent": "<p>fine</p>"}
    assert (await client.put(item, json=safe, headers=author.headers)).status_code == 403


async def test_permissions_follow_the_collection(
    client: httpx.AsyncClient, make_user: Any, user: ApiUser
) -> None:
    reader, writer, stranger = await make_user(), await make_user(), await make_user()
    collection_id, data_object_id = await _world(client, user)
    await _share(client, user, collection_id, reader=[reader.username], writer=[writer.username])
    entry = await _entry(client, user, data_object_id)
    item = f"{URL}/{entry['id']}"

    # stranger: reads and writes refused
    for response in (
        await client.get(item, headers=stranger.headers),
        await client.get(URL, params={"dataObjectId": data_object_id}, headers=stranger.headers),
        await _post(client, stranger, data_object_id, "<p>s</p>"),
        await client.put(item, json={"journalContent": "<p>s</p>"}, headers=stranger.headers),
        await client.delete(item, headers=stranger.headers),
    ):
        assert response.status_code == 403
        assert response.json()["message"] == FORBIDDEN
    # reader: reads only
    assert (await client.get(item, headers=reader.headers)).status_code == 200
    assert len(await _list(client, reader, data_object_id)) == 1
    assert (await _post(client, reader, data_object_id, "<p>r</p>")).status_code == 403
    assert (await client.delete(item, headers=reader.headers)).status_code == 403
    # writer: creates, but edits only their own entries; deletes any
    own = await _entry(client, writer, data_object_id, "<p>w</p>")
    not_own = await client.put(item, json={"journalContent": "<p>w</p>"}, headers=writer.headers)
    assert not_own.status_code == 403
    mine = await client.put(
        f"{URL}/{own['id']}", json={"journalContent": "<p>w2</p>"}, headers=writer.headers
    )
    assert mine.status_code == 200
    assert (await client.delete(item, headers=writer.headers)).status_code == 204
    listed = await _list(client, user, data_object_id)
    assert [row["journalContent"] for row in listed] == ["<p>w2</p>"]
    # anonymous
    assert (await client.get(item)).status_code == 401
    assert (await client.get(URL, params={"dataObjectId": data_object_id})).status_code == 401


async def test_entries_of_a_deleted_data_object_are_gone(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    collection_id, data_object_id = await _world(client, user)
    entry = await _entry(client, user, data_object_id)
    response = await client.delete(
        f"{API}/collections/{collection_id}/dataObjects/{data_object_id}", headers=user.headers
    )
    assert response.status_code == 204
    assert (await client.get(f"{URL}/{entry['id']}", headers=user.headers)).status_code == 404
    assert (await _post(client, user, data_object_id, "<p>x</p>")).status_code == 404
