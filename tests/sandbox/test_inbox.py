"""The live web inbox, driven in Debian's chromium by Playwright against a real sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from nexmo_connector.sandbox.server import SandboxServer
from tests.conftest import CREDS, required_program, send_sms
from tests.receiver import Receiver

TO, OTHER = "447700900000", "447700900111"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = required_program("chromium", "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, sandbox: SandboxServer) -> Iterator[Page]:
    """The inbox, open and live; fails the test if the page logged an error."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if _is_error(message) else None,
    )
    page.goto(sandbox.url)  # / redirects to the inbox
    expect(page.locator("#live")).to_have_text("live")
    yield page
    context.close()
    assert problems == []


def _is_error(message: ConsoleMessage) -> bool:
    return message.type == "error"


def test_a_message_shows_up_live_with_its_details(page: Page, http: httpx.Client) -> None:
    expect(page.locator("#list")).to_have_text("No messages yet.")
    body = send_sms(http, to=TO, text="Your code is 1234", **{"from": "Acme", "client-ref": "r-9"})
    item = page.locator(".item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"To {TO}")
    expect(item).to_contain_text("From Acme: Your code is 1234")
    expect(page.locator("#count-messages")).to_have_text("1")
    item.click()
    expect(page.locator("#text")).to_have_text("Your code is 1234")
    detail = page.locator("#detail")
    expect(detail).to_contain_text(body["messages"][0]["message-id"])
    expect(detail).to_contain_text("r-9")
    assert page.url.endswith("#messages/" + body["messages"][0]["message-id"])


def test_the_receipt_and_its_attempts_appear_when_delivered(
    page: Page, http: httpx.Client, receiver: Receiver
) -> None:
    send_sms(http, to=TO, text="x" * 200, callback=receiver.url, **{"from": "Acme"})
    expect(page.locator(".item")).to_contain_text("2 parts")
    page.locator(".item").click()
    expect(page.locator(".item .badge", has_text="receipt delivered")).to_be_visible()
    expect(page.locator(".webhook")).to_have_count(2)
    expect(page.locator(".webhook").first).to_contain_text("HTTP 200")


def test_text_is_shown_as_text_never_as_html(page: Page, http: httpx.Client) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    send_sms(http, to=TO, text=hostile, **{"from": "Acme"})
    page.locator(".item").click()
    expect(page.locator("#text")).to_have_text(hostile)
    assert page.locator("#detail img, #list img, #detail b").count() == 0
    assert page.title() != "pwned"


def test_what_gsm7_cannot_carry_is_shown_as_delivered(page: Page, http: httpx.Client) -> None:
    send_sms(http, to=TO, text="Merci — 10€ payés ✓", type="text", **{"from": "Acme"})
    page.locator(".item").click()
    expect(page.locator("#text")).to_have_text("Merci — 10€ payés ✓")
    delivered = http.get("/_sandbox/messages").json()["messages"][0]["delivered-text"]
    assert delivered != "Merci — 10€ payés ✓"
    expect(page.locator("#delivered-text")).to_have_text(delivered)


def test_calls_tab_follows_a_call_to_its_end(page: Page, http: httpx.Client) -> None:
    page.locator("#tab-calls").click()
    expect(page.locator("#list")).to_have_text("No calls yet.")
    placed = http.post("/tts/json", data={**CREDS, "to": TO, "text": "Hello there"}).json()
    item = page.locator(".item")
    expect(item).to_contain_text("Hello there")
    expect(item.locator(".badge", has_text="completed")).to_be_visible()
    item.click()
    expect(page.locator("#detail")).to_contain_text(placed["call_id"])


def test_filter_and_deep_link(page: Page, http: httpx.Client, sandbox: SandboxServer) -> None:
    send_sms(http, to=TO, text="first", **{"from": "Acme"})
    second = send_sms(http, to=OTHER, text="second", **{"from": "Acme"})
    expect(page.locator(".item")).to_have_count(2)
    expect(page.locator(".item").first).to_contain_text("second")  # newest first
    page.locator("#filter").fill(OTHER)
    expect(page.locator(".item")).to_have_count(1)
    page.locator("#filter").fill("nothing like this")
    expect(page.locator("#list")).to_have_text("No messages match the filter.")
    message_id = second["messages"][0]["message-id"]
    page.goto(f"{sandbox.url}/_sandbox/inbox#messages/{message_id}")
    expect(page.locator("#text")).to_have_text("second")


def test_clear_forgets_the_messages(page: Page, http: httpx.Client) -> None:
    send_sms(http, to=TO, text="soon gone", **{"from": "Acme"})
    expect(page.locator(".item")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#clear").click()
    expect(page.locator("#list")).to_have_text("No messages yet.")
    assert http.get("/_sandbox/messages").json() == {"messages": []}


def test_the_page_is_locked_down(http: httpx.Client) -> None:
    response = http.get("/_sandbox/inbox")
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert http.get("/_sandbox/ui/inbox.js").status_code == 200
    assert http.get("/_sandbox/ui/missing.js").status_code == 404


def test_a_conversation_shows_both_ways_and_the_handset_can_reply(
    page: Page, http: httpx.Client
) -> None:
    numbers = http.get("/_sandbox/numbers").json()["numbers"]
    ours = next(n["msisdn"] for n in numbers if n["type"] == "mobile-lvn")
    send_sms(http, to=TO, text="Your table is ready", **{"from": ours})
    http.post("/_sandbox/inbound", json={"from": TO, "to": ours, "text": "On my way"})
    page.locator("#tab-conversations").click()
    thread = page.locator(".item")
    expect(thread).to_have_count(1)
    expect(thread).to_contain_text(f"{TO} ↔ {ours}")
    thread.click()
    expect(page.locator("#thread .out")).to_have_text(re.compile("^Your table is ready"))
    expect(page.locator("#thread .in")).to_have_text(re.compile("^On my way"))
    page.locator("#reply-text").fill("Thanks <b>a lot</b>")
    page.locator("#reply-send").click()
    expect(page.locator("#thread .in")).to_have_count(2)
    expect(page.locator("#thread .in").last).to_contain_text("Thanks <b>a lot</b>")
    (_, reply) = http.get("/_sandbox/inbound").json()["inbound"]
    assert (reply["from"], reply["to"], reply["text"]) == (TO, ours, "Thanks <b>a lot</b>")
    assert page.url.endswith(f"#conversations/{TO}~{ours}")


def test_at_phone_width_nothing_overflows(browser: Browser, sandbox: SandboxServer,
                                          http: httpx.Client) -> None:  # fmt: skip
    send_sms(http, to=TO, text="A message long enough to need wrapping " * 4, **{"from": "Acme"})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for view in ("messages", "calls", "conversations"):
        page.goto(f"{sandbox.url}/_sandbox/inbox#{view}")
        expect(page.locator("#live")).to_have_text("live")
        if view != "calls":
            page.locator(".item").first.click()
            expect(page.locator("#detail h2")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (view, width)
    context.close()
