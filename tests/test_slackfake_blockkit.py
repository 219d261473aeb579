"""The stand-in refuses what Slack refuses: every Block Kit limit the app can run into.

Each limit is tried at its edge (accepted) and one past it (refused with ``invalid_blocks``
and a message naming the field, as Slack's ``response_metadata.messages`` do), through the
Web API methods the app uses: chat.postMessage / chat.update / chat.postEphemeral, answers
posted to a response_url, and views.open / views.update / views.publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slackfake_fixtures import SIGNING_SECRET, bolt_app_for

from bot.slackfake import DEMO_USERS, FakeSlack
from bot.slackfake.blockkit import validate_blocks, validate_view

BOT_TOKEN = "xoxb-test"
Block = dict[str, Any]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, users=DEMO_USERS) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(BOT_TOKEN, base_url=slack.api_url)


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def button(**changes: Any) -> Block:
    return {"type": "button", "action_id": "go", "text": plain("Go"), "value": "v", **changes}


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def confirm(**changes: Any) -> Block:
    return {
        "title": plain("Sure?"),
        "text": mrkdwn("It can't be undone."),
        "confirm": plain("Yes"),
        "deny": plain("No"),
        **changes,
    }


def select(*options: Block) -> Block:
    return {"type": "static_select", "action_id": "pick", "options": list(options)}


def option(text: str = "One", value: str = "1") -> Block:
    return {"text": plain(text), "value": value}


def section(text: str = "Hi", **changes: Any) -> Block:
    return {"type": "section", "text": mrkdwn(text), **changes}


# (name, blocks with a field of `n` characters or `n` items, the limit, where Slack points)
LIMITS: list[tuple[str, Callable[[int], list[Block]], int, str]] = [
    ("blocks in a message", lambda n: [section()] * n, 50, "/blocks"),
    ("section text", lambda n: [section("x" * n)], 3000, "/blocks/0/text/text"),
    (
        "section fields",
        lambda n: [{"type": "section", "fields": [mrkdwn("f")] * n}],
        10,
        "/blocks/0/fields",
    ),
    (
        "section field text",
        lambda n: [{"type": "section", "fields": [mrkdwn("f" * n)]}],
        2000,
        "/blocks/0/fields/0/text",
    ),
    (
        "header text",
        lambda n: [{"type": "header", "text": plain("h" * n)}],
        150,
        "/blocks/0/text/text",
    ),
    (
        "context elements",
        lambda n: [{"type": "context", "elements": [mrkdwn("c")] * n}],
        10,
        "/blocks/0/elements",
    ),
    (
        "button text",
        lambda n: [actions(button(text=plain("b" * n)))],
        75,
        "/blocks/0/elements/0/text/text",
    ),
    (
        "button value",
        lambda n: [actions(button(value="v" * n))],
        2000,
        "/blocks/0/elements/0/value",
    ),
    (
        "button url",
        lambda n: [actions(button(url="https://x.test/" + "u" * (n - 15)))],
        3000,
        "/blocks/0/elements/0/url",
    ),
    (
        "confirm text",
        lambda n: [actions(button(confirm=confirm(text=mrkdwn("t" * n))))],
        300,
        "/blocks/0/elements/0/confirm/text/text",
    ),
    (
        "confirm title",
        lambda n: [actions(button(confirm=confirm(title=plain("t" * n))))],
        100,
        "/blocks/0/elements/0/confirm/title/text",
    ),
    (
        "confirm button",
        lambda n: [actions(button(confirm=confirm(confirm=plain("c" * n))))],
        30,
        "/blocks/0/elements/0/confirm/confirm/text",
    ),
    (
        "deny button",
        lambda n: [actions(button(confirm=confirm(deny=plain("d" * n))))],
        30,
        "/blocks/0/elements/0/confirm/deny/text",
    ),
    (
        "option text",
        lambda n: [section(accessory=select(option(text="o" * n)))],
        75,
        "/blocks/0/accessory/options/0/text/text",
    ),
    (
        "option value",
        lambda n: [section(accessory=select(option(value="v" * n)))],
        150,
        "/blocks/0/accessory/options/0/value",
    ),
    (
        "options in a select",
        lambda n: [section(accessory=select(*[option(value=str(i)) for i in range(n)]))],
        100,
        "/blocks/0/accessory/options",
    ),
    (
        "elements in an actions block",
        lambda n: [actions(*[button(action_id=f"b{i}") for i in range(n)])],
        25,
        "/blocks/0/elements",
    ),
    (
        "action_id",
        lambda n: [actions(button(action_id="a" * n))],
        255,
        "/blocks/0/elements/0/action_id",
    ),
    ("block_id", lambda n: [section(block_id="b" * n)], 255, "/blocks/0/block_id"),
    (
        "placeholder",
        lambda n: [section(accessory={**select(option()), "placeholder": plain("p" * n)})],
        150,
        "/blocks/0/accessory/placeholder/text",
    ),
]


@pytest.mark.parametrize(("name", "make", "limit", "pointer"), LIMITS, ids=[x[0] for x in LIMITS])
def test_each_limit_is_accepted_at_its_edge_and_refused_past_it(
    client: WebClient,
    slack: FakeSlack,
    name: str,
    make: Callable[[int], list[Block]],
    limit: int,
    pointer: str,
) -> None:
    posted = client.chat_postMessage(channel="C0GENERAL", text=name, blocks=make(limit))
    assert posted["ok"]

    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0GENERAL", text=name, blocks=make(limit + 1))

    assert refused.value.response["error"] == "invalid_blocks"
    messages = refused.value.response["response_metadata"]["messages"]
    assert any(
        m.startswith("[ERROR] ") and m.endswith(f"[json-pointer:{pointer}]") for m in messages
    ), messages
    # Nothing of a refused message reaches anyone.
    assert [m.text for m in slack.channel_messages("C0GENERAL")] == [name]


# (where plain_text is required, blocks with mrkdwn there, where Slack points)
PLAIN_ONLY: list[tuple[str, list[Block], str]] = [
    ("header", [{"type": "header", "text": mrkdwn("*Hi*")}], "/blocks/0/text/type"),
    ("button text", [actions(button(text=mrkdwn("*Go*")))], "/blocks/0/elements/0/text/type"),
    (
        "confirm title",
        [actions(button(confirm=confirm(title=mrkdwn("*Sure?*"))))],
        "/blocks/0/elements/0/confirm/title/type",
    ),
    (
        "confirm button",
        [actions(button(confirm=confirm(confirm=mrkdwn("*Yes*"))))],
        "/blocks/0/elements/0/confirm/confirm/type",
    ),
    (
        "select option",
        [section(accessory=select({"text": mrkdwn("*One*"), "value": "1"}))],
        "/blocks/0/accessory/options/0/text/type",
    ),
]


@pytest.mark.parametrize(("name", "blocks", "pointer"), PLAIN_ONLY, ids=[x[0] for x in PLAIN_ONLY])
def test_mrkdwn_is_refused_where_slack_takes_only_plain_text(
    client: WebClient, name: str, blocks: list[Block], pointer: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0GENERAL", text=name, blocks=blocks)

    assert refused.value.response["error"] == "invalid_blocks"
    assert (
        f"[ERROR] must be a plain_text object [json-pointer:{pointer}]"
        in (refused.value.response["response_metadata"]["messages"])
    )


def test_a_confirm_dialog_needs_all_four_parts(client: WebClient) -> None:
    dialog = confirm()
    del dialog["deny"]

    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(
            channel="C0GENERAL", text="x", blocks=[actions(button(confirm=dialog))]
        )

    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: deny [json-pointer:/blocks/0/elements/0/confirm]"
    ]


def test_empty_text_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[section("")])

    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]"
    ]


def test_chat_update_and_post_ephemeral_check_blocks_too(
    client: WebClient, slack: FakeSlack
) -> None:
    too_long = [actions(button(text=plain("b" * 76)))]
    posted = client.chat_postMessage(channel="U0ALICE", text="Booked", blocks=[section("ok")])

    for call in (
        lambda: client.chat_update(
            channel=posted["channel"], ts=posted["ts"], text="x", blocks=too_long
        ),
        lambda: client.chat_postEphemeral(
            channel="C0GENERAL", user="U0ALICE", text="x", blocks=too_long
        ),
    ):
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "invalid_blocks"

    [dm] = slack.dms("U0ALICE")
    assert dm.text == "Booked" and not dm.edits
    assert slack.ephemerals("U0ALICE") == []


def test_a_response_url_answer_with_blocks_slack_cant_show_is_refused(slack: FakeSlack) -> None:
    url = slack.issue_response_url("U0ALICE", "C0GENERAL")
    too_many = {"text": "x", "blocks": [section()] * 51}

    refused = requests.post(url, json=too_many, timeout=5)
    shown = requests.post(url, json={"text": "x", "blocks": [section()] * 50}, timeout=5)

    assert (refused.status_code, refused.text) == (400, "invalid_blocks")
    assert shown.status_code == 200
    assert len(slack.ephemerals("U0ALICE")) == 1


def _modal(blocks: list[Block], **changes: Any) -> Block:
    return {"type": "modal", "title": plain("Book"), "blocks": blocks, **changes}


@pytest.mark.parametrize(
    ("view", "pointer"),
    [
        (_modal([section()] * 101), "/view/blocks"),
        (_modal([section()], title=plain("t" * 25)), "/view/title/text"),
        (_modal([section()], submit=plain("s" * 25)), "/view/submit/text"),
        (_modal([section()], close=plain("c" * 25)), "/view/close/text"),
        (_modal([section()], title=mrkdwn("Book")), "/view/title/type"),
        (
            _modal([actions(button(confirm=confirm(text=mrkdwn("t" * 301))))]),
            "/view/blocks/0/elements/0/confirm/text/text",
        ),
    ],
    ids=["101 blocks", "title", "submit", "close", "mrkdwn title", "confirm text"],
)
def test_views_open_refuses_a_modal_slack_would_refuse(
    client: WebClient, slack: FakeSlack, view: Block, pointer: str
) -> None:
    trigger = slack.new_trigger_id("U0ALICE")

    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=trigger, view=view)

    assert refused.value.response["error"] == "invalid_arguments"
    assert any(
        m.endswith(f"[json-pointer:{pointer}]")
        for m in refused.value.response["response_metadata"]["messages"]
    )
    assert slack.modal("U0ALICE") is None


def test_a_modal_and_a_home_take_100_blocks(client: WebClient, slack: FakeSlack) -> None:
    opened = client.views_open(
        trigger_id=slack.new_trigger_id("U0ALICE"), view=_modal([section()] * 100)
    )
    with pytest.raises(SlackApiError):
        client.views_update(view_id=opened["view"]["id"], view=_modal([section()] * 101))
    client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": [section()] * 100})
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": [section()] * 101})

    modal = slack.modal("U0ALICE")
    home = slack.home("U0BOB")
    assert modal is not None and len(modal.blocks) == 100
    assert home is not None and len(home.blocks) == 100


def test_the_validator_reports_every_problem_at_once() -> None:
    blocks = [
        {"type": "header", "text": plain("h" * 151)},
        actions(button(text=plain("b" * 76), value="v" * 2001)),
    ]

    assert validate_blocks(blocks, limit=50) == [
        "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        "[ERROR] must be less than 76 characters [json-pointer:/blocks/1/elements/0/text/text]",
        "[ERROR] must be less than 2001 characters [json-pointer:/blocks/1/elements/0/value]",
    ]
    assert validate_view({"type": "home", "blocks": blocks[:1]}) == [
        "[ERROR] must be less than 151 characters [json-pointer:/view/blocks/0/text/text]"
    ]


def test_a_command_answer_with_blocks_slack_cant_show_shows_only_slacks_notice(
    slack: FakeSlack,
) -> None:
    with bolt_app_for(slack) as bolt:

        @bolt.app.command("/coviu")
        def answer(ack: Any) -> None:
            ack(text="Booked", blocks=[section("x" * 3001)])

        result = slack.slash_command("U0ALICE", "/coviu", "book")

    assert result.ok  # the app answered; Slack is who refuses
    assert result.refused == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert [m.text for m in slack.ephemerals("U0ALICE")] == [
        '/coviu failed with the error "invalid_blocks"'
    ]
