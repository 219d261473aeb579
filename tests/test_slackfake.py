"""The Slack stand-in behaves like Slack, for slack_sdk and for a real Bolt app.

The first half talks to the fake's Web API with slack_sdk's own WebClient, as the bot does.
The second half serves a real Bolt app over HTTP and lets the fake play Slack's other side:
signed slash commands, clicks, modal submissions and events.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

# The helper module also holds asserts: let pytest rewrite them before it is imported.
pytest.register_assert_rewrite("slackfake_fixtures")

from slackfake_fixtures import BOT_TOKEN, SIGNING_SECRET, BoltServer, bolt_app_for  # noqa: E402

from bot.slackfake import (  # noqa: E402
    DEMO_USERS,
    FakeSlack,
    FakeSlackError,
    InvalidInput,
    escape_mentions,
    sign,
    verify,
)


# These shadow the suite's `slack` fixture (the bot's), which uses other credentials.
@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The fake, serving its Web API on loopback."""
    with FakeSlack(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, team_id="T0CLINIC", users=DEMO_USERS
    ) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    """What the app uses to talk to Slack, pointed at the fake."""
    return WebClient(BOT_TOKEN, base_url=slack.api_url)


@pytest.fixture
def bolt(slack: FakeSlack) -> Iterator[BoltServer]:
    """A real Bolt app served over HTTP, the fake's `app_url` pointing at it."""
    with bolt_app_for(slack) as server:
        yield server


JOIN_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Physio review* at 3pm"}},
    {
        "type": "actions",
        "block_id": "session",
        "elements": [
            {
                "type": "button",
                "action_id": "join",
                "value": "p1",
                "url": "https://x.test/p1",
                "text": {"type": "plain_text", "text": "Join"},
            },
            {
                "type": "button",
                "action_id": "cancel",
                "value": "s1",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Cancel"},
            },
        ],
    },
]

BOOKING_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "book",
    "private_metadata": "from-test",
    "title": {"type": "plain_text", "text": "Book a session"},
    "submit": {"type": "plain_text", "text": "Book"},
    "blocks": [
        {
            "type": "input",
            "block_id": "name",
            "label": {"type": "plain_text", "text": "Name"},
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "initial_value": "Physio review",
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "label": {"type": "plain_text", "text": "When"},
            "element": {
                "type": "datetimepicker",
                "action_id": "at",
                "initial_date_time": 1767225600,
            },
        },
        {
            "type": "input",
            "block_id": "minutes",
            "label": {"type": "plain_text", "text": "Minutes"},
            "element": {
                "type": "number_input",
                "action_id": "n",
                "is_decimal_allowed": False,
                "initial_value": "30",
                "min_value": "5",
            },
        },
        {
            "type": "input",
            "block_id": "guests",
            "optional": True,
            "label": {"type": "plain_text", "text": "Guests"},
            "element": {"type": "multi_users_select", "action_id": "users"},
        },
        {
            "type": "input",
            "block_id": "remind",
            "label": {"type": "plain_text", "text": "Remind"},
            "element": {
                "type": "static_select",
                "action_id": "lead",
                "options": [
                    {"text": {"type": "plain_text", "text": "10 min"}, "value": "10"},
                    {"text": {"type": "plain_text", "text": "1 hour"}, "value": "60"},
                ],
                "initial_option": {"text": {"type": "plain_text", "text": "10 min"}, "value": "10"},
            },
        },
    ],
}


def api_error(call: Any) -> str:
    """The Slack error code a WebClient call fails with."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


# --- Web API: authentication ----------------------------------------------------------------


def test_auth_test_names_the_bot_user_and_team(client: WebClient) -> None:
    me = client.auth_test()
    assert (me["team_id"], me["user_id"], me["bot_id"]) == ("T0CLINIC", "U0COVIUBOT", "B0COVIU")
    assert me["url"] == "https://coviu-clinic.slack.com/"


def test_calls_without_a_token_or_with_a_wrong_one_are_refused(slack: FakeSlack) -> None:
    assert api_error(WebClient(base_url=slack.api_url).auth_test) == "not_authed"
    assert api_error(WebClient("xoxb-wrong", base_url=slack.api_url).auth_test) == "invalid_auth"
    # As Slack does, these are HTTP 200 answers with ok: false, and they are recorded too.
    assert [(c.status, c.ok) for c in slack.calls_to("auth.test")] == [(200, False)] * 2


def test_a_token_may_also_come_as_a_form_field(slack: FakeSlack) -> None:
    client = WebClient(base_url=slack.api_url)
    assert client.api_call("auth.test", params={"token": "xoxb-test"})["ok"]


def test_unknown_methods_are_refused(client: WebClient) -> None:
    assert api_error(lambda: client.api_call("chat.postMessages")) == "unknown_method"


# --- Web API: messages ----------------------------------------------------------------------


def test_posting_to_a_user_id_lands_in_the_bots_dm_with_them(
    slack: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U0ALICE", text="Booked", blocks=JOIN_BLOCKS)

    assert posted["channel"] == "D0ALICE"
    assert posted["message"]["user"] == "U0COVIUBOT"
    assert posted["message"]["ts"] == posted["ts"]
    [dm] = slack.dms("U0ALICE")
    assert (dm.channel, dm.ts, dm.text) == ("D0ALICE", posted["ts"], "Booked")
    assert "Physio review" in dm.text_content()
    assert [(b.action_id, b.value, b.text) for b in dm.buttons()] == [
        ("join", "p1", "Join"),
        ("cancel", "s1", "Cancel"),
    ]
    assert dm.buttons()[0].url == "https://x.test/p1"
    assert slack.dms("U0BOB") == []


def test_a_dm_is_kept_by_its_d_channel_and_the_user_id_does_not_update_it(
    slack: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U0BOB", text="Physio review at 3pm")

    # As on Slack (python-slack-sdk #528): chat.update and chat.delete want the D… id.
    for call in (
        lambda: client.chat_update(channel="U0BOB", ts=posted["ts"], text="at 4pm"),
        lambda: client.chat_delete(channel="U0BOB", ts=posted["ts"]),
    ):
        assert api_error(call) == "channel_not_found"
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Physio review at 4pm")

    [dm] = slack.dms("U0BOB")
    assert (dm.channel, dm.text) == ("D0BOB", "Physio review at 4pm")
    # No conversations.open was needed for any of it.
    assert [c.method for c in slack.calls] == [
        "chat.postMessage",
        "chat.update",
        "chat.delete",
        "chat.update",
    ]


def test_a_bot_or_a_stranger_cannot_be_dmed_by_id(client: WebClient) -> None:
    assert api_error(lambda: client.chat_postMessage(channel="U0COVIUBOT", text="x")) == (
        "channel_not_found"
    )
    assert api_error(lambda: client.chat_postMessage(channel="U0NOBODY", text="x")) == (
        "channel_not_found"
    )


def test_conversations_open_gives_the_im_a_user_id_post_uses(
    slack: FakeSlack, client: WebClient
) -> None:
    channel = client.conversations_open(users="U0BOB")["channel"]["id"]
    client.chat_postMessage(channel=channel, text="hello Bob")

    assert channel == slack.im_channel("U0BOB") == "D0BOB"
    assert [m.text for m in slack.dms("U0BOB")] == ["hello Bob"]
    assert client.conversations_open(users=["U0BOB"])["already_open"] is True


def test_message_arguments_are_checked_with_slacks_error_codes(client: WebClient) -> None:
    assert api_error(lambda: client.chat_postMessage(channel="C0NOPE", text="x")) == (
        "channel_not_found"
    )
    assert (
        api_error(lambda: client.api_call("chat.postMessage", json={"channel": "U0ALICE"}))
        == "no_text"
    )
    bad_blocks: Any = [{"text": "no type"}]
    assert (
        api_error(lambda: client.chat_postMessage(channel="U0ALICE", text="x", blocks=bad_blocks))
        == "invalid_blocks"
    )
    assert (
        api_error(lambda: client.chat_postEphemeral(channel="C0GENERAL", user="U0NOBODY", text="x"))
        == "user_not_found"
    )
    assert api_error(lambda: client.users_info(user="U0NOBODY")) == "user_not_found"
    assert api_error(lambda: client.conversations_open(users="U0NOBODY")) == "user_not_found"


def test_invalid_blocks_say_what_is_wrong(client: WebClient) -> None:
    blocks: Any = [{"type": "section"}]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="U0ALICE", text="x", blocks=blocks)
    [problem] = raised.value.response["response_metadata"]["messages"]
    assert "text or fields" in problem and "/blocks/0" in problem


def test_slack_gives_ids_to_blocks_and_buttons_sent_without_them(
    slack: FakeSlack, client: WebClient
) -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}}
    client.chat_postMessage(
        channel="U0ALICE", text="x", blocks=[{"type": "actions", "elements": [button]}]
    )
    [go] = slack.dms("U0ALICE")[0].buttons()
    assert go.action_id and go.block_id


def test_an_ephemeral_message_is_seen_only_by_its_user(slack: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C0GENERAL", user="U0CAROL", text="only you")

    [seen] = slack.ephemerals("U0CAROL")
    assert (seen.ts, seen.channel, seen.text) == (answer["message_ts"], "C0GENERAL", "only you")
    assert slack.ephemerals("U0ALICE") == []
    assert slack.channel_messages("C0GENERAL") == []
    # Nobody else can be shown something in a DM that is not theirs.
    assert (
        api_error(lambda: client.chat_postEphemeral(channel="D0ALICE", user="U0BOB", text="x"))
        == "user_not_in_channel"
    )


def test_messages_are_updated_and_deleted_by_channel_and_ts(
    slack: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U0DAVE", text="at 3pm")
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="at 4pm")

    [dm] = slack.dms("U0DAVE")
    assert dm.text == "at 4pm"
    assert dm.edits == [{"text": "at 3pm", "blocks": []}]

    client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert slack.dms("U0DAVE") == []
    assert (
        api_error(
            lambda: client.chat_update(channel=posted["channel"], ts=posted["ts"], text="again")
        )
        == "message_not_found"
    )


def test_only_the_bots_own_messages_can_be_edited(
    slack: FakeSlack, client: WebClient, bolt: BoltServer
) -> None:
    slack.say("U0ALICE", "hello bot")  # a person's message in the DM
    [typed] = [m for m in slack.messages() if m.user == "U0ALICE"]

    assert (
        api_error(lambda: client.chat_update(channel="D0ALICE", ts=typed.ts, text="edited"))
        == "cant_update_message"
    )
    assert (
        api_error(lambda: client.chat_delete(channel="D0ALICE", ts=typed.ts))
        == "cant_delete_message"
    )


def test_scheduled_messages_are_posted_when_the_fake_delivers_them(
    slack: FakeSlack, client: WebClient
) -> None:
    now = 1_800_000_000.0
    slack.clock = lambda: now
    first = client.chat_scheduleMessage(channel="D0BOB", post_at=int(now) + 600, text="soon")
    second = client.chat_scheduleMessage(channel="D0BOB", post_at=int(now) + 900, text="later")
    gone = client.chat_scheduleMessage(channel="D0BOB", post_at=int(now) + 60, text="moved")
    client.chat_deleteScheduledMessage(
        channel="D0BOB", scheduled_message_id=gone["scheduled_message_id"]
    )

    listed = client.chat_scheduledMessages_list()["scheduled_messages"]
    assert [(m["id"], m["post_at"]) for m in listed] == [
        (first["scheduled_message_id"], int(now) + 600),
        (second["scheduled_message_id"], int(now) + 900),
    ]
    assert (
        api_error(
            lambda: client.chat_scheduleMessage(channel="D0BOB", post_at=int(now) - 1, text="x")
        )
        == "time_in_past"
    )

    assert [m.text for m in slack.deliver_scheduled(now + 700)] == ["soon"]
    assert [m.text for m in slack.dms("U0BOB")] == ["soon"]
    assert slack.dms("U0BOB")[0].source == "scheduled"
    assert [m["text"] for m in slack.scheduled_messages()] == ["later"]
    assert (
        api_error(
            lambda: client.chat_deleteScheduledMessage(
                channel="D0BOB", scheduled_message_id=first["scheduled_message_id"]
            )
        )
        == "invalid_scheduled_message_id"
    )


# --- Web API: users -------------------------------------------------------------------------


def test_users_info_has_the_zone_and_its_offset_now(slack: FakeSlack, client: WebClient) -> None:
    slack.clock = lambda: datetime(2025, 1, 15, tzinfo=UTC).timestamp()  # southern summer

    alice = client.users_info(user="U0ALICE")["user"]
    bob = client.users_info(user="U0BOB")["user"]

    assert alice["tz"] == "Australia/Sydney"
    assert alice["tz_offset"] == 11 * 3600
    assert alice["tz_label"] == "Australian Eastern Daylight Time"
    assert (bob["tz_offset"], bob["tz_label"]) == (0, "Greenwich Mean Time")
    assert alice["real_name"] == alice["profile"]["real_name"] == "Alice Nguyen"
    assert alice["profile"]["display_name"] == "alice"
    assert alice["profile"]["image_72"].startswith("https://")
    assert alice["is_bot"] is False
    assert client.users_info(user="U0COVIUBOT")["user"]["is_bot"] is True


def test_mentions_are_escaped_for_known_users_only() -> None:
    text = "book with @bob and @zed, host @carol."
    assert escape_mentions(text, DEMO_USERS) == (
        "book with <@U0BOB|bob> and @zed, host <@U0CAROL|carol>."
    )


# --- Web API: views -------------------------------------------------------------------------


def test_views_open_needs_a_trigger_the_fake_issued_and_nobody_used(
    slack: FakeSlack, client: WebClient
) -> None:
    assert (
        api_error(lambda: client.views_open(trigger_id="123.456.abc", view=BOOKING_MODAL))
        == "invalid_trigger_id"
    )
    trigger = slack.new_trigger_id("U0ALICE")

    view = client.views_open(trigger_id=trigger, view=BOOKING_MODAL)["view"]

    assert view["id"].startswith("V") and view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None
    assert view["state"] == {"values": {}}
    assert (view["callback_id"], view["private_metadata"]) == ("book", "from-test")
    [modal] = slack.view_stack("U0ALICE")
    assert (modal.id, modal.hash, modal.title, modal.submit) == (
        view["id"],
        view["hash"],
        "Book a session",
        "Book",
    )
    assert (
        api_error(lambda: client.views_open(trigger_id=trigger, view=BOOKING_MODAL))
        == "exchanged_trigger_id"
    )


def test_a_trigger_expires(client: WebClient) -> None:
    # A negative lifetime expires every trigger at once: the 3 s rule without waiting 3 s.
    with FakeSlack(trigger_ttl=-1) as slack:
        client = WebClient("xoxb-test", base_url=slack.api_url)
        trigger = slack.new_trigger_id("U0ALICE")
        assert (
            api_error(lambda: client.views_open(trigger_id=trigger, view=BOOKING_MODAL))
            == "expired_trigger_id"
        )


def test_a_modal_without_a_title_or_a_submit_for_its_inputs_is_refused(
    slack: FakeSlack, client: WebClient
) -> None:
    untitled = {k: v for k, v in BOOKING_MODAL.items() if k != "title"}
    no_submit = {k: v for k, v in BOOKING_MODAL.items() if k != "submit"}
    for view in (untitled, no_submit):
        trigger = slack.new_trigger_id("U0ALICE")
        assert api_error(lambda v=view, t=trigger: client.views_open(trigger_id=t, view=v)) == (
            "invalid_arguments"
        )


def test_views_push_and_update_keep_the_stack_and_check_the_hash(
    slack: FakeSlack, client: WebClient
) -> None:
    root = client.views_open(trigger_id=slack.new_trigger_id("U0BOB"), view=BOOKING_MODAL)
    confirm = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Sure?"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Really?"}}],
    }
    pushed = client.views_push(trigger_id=slack.new_trigger_id("U0BOB"), view=confirm)["view"]

    assert pushed["root_view_id"] == pushed["previous_view_id"] == root["view"]["id"]
    assert [v.id for v in slack.view_stack("U0BOB")] == [root["view"]["id"], pushed["id"]]

    stale_hash = pushed["hash"]
    updated = client.views_update(
        view_id=pushed["id"], hash=stale_hash, view={**confirm, "callback_id": "sure"}
    )["view"]
    assert updated["id"] == pushed["id"] and updated["hash"] != stale_hash
    assert slack.modal("U0BOB").callback_id == "sure"  # type: ignore[union-attr]
    assert (
        api_error(lambda: client.views_update(view_id=pushed["id"], hash=stale_hash, view=confirm))
        == "hash_conflict"
    )
    assert api_error(lambda: client.views_update(view_id="V0NOPE", view=confirm)) == "not_found"


def test_the_app_home_is_published_per_user(slack: FakeSlack, client: WebClient) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "No sessions yet"}}],
    }
    client.views_publish(user_id="U0CAROL", view=home)

    assert "No sessions yet" in slack.home("U0CAROL").text_content()  # type: ignore[union-attr]
    assert slack.home("U0ALICE") is None
    assert (
        api_error(lambda: client.views_publish(user_id="U0CAROL", view=BOOKING_MODAL))
        == "invalid_arguments"
    )


# --- Web API: faults, recording, waiting ----------------------------------------------------


def test_rate_limits_are_answered_with_429_and_retry_after(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=0)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="U0ALICE", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "0"

    # Only the next call fails; slack_sdk's own retry handler gets through after it.
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=0)
    patient = WebClient(
        "xoxb-test",
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert patient.chat_postMessage(channel="U0ALICE", text="x")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]


def test_server_errors_can_be_injected_too(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("users.info", "internal_error", 500)
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0ALICE")
    assert raised.value.response.status_code == 500
    assert client.users_info(user="U0ALICE")["ok"]


def test_every_call_is_recorded_with_its_arguments_and_answer(
    slack: FakeSlack, client: WebClient
) -> None:
    client.chat_postMessage(channel="U0ALICE", text="one", blocks=JOIN_BLOCKS)
    client.users_info(user="U0BOB")

    post, info = slack.calls[-2:]
    assert (post.method, post.params["channel"], post.ok) == ("chat.postMessage", "U0ALICE", True)
    assert post.params["blocks"][1]["block_id"] == "session"
    assert post.response["channel"] == "D0ALICE"
    assert (info.method, info.params) == ("users.info", {"user": "U0BOB"})


def test_wait_for_says_what_it_waited_for_when_it_gives_up(
    slack: FakeSlack, client: WebClient
) -> None:
    client.chat_postMessage(channel="U0ALICE", text="not for bob")
    with pytest.raises(TimeoutError) as raised:
        slack.wait_for(lambda: slack.dms("U0BOB"), timeout=0.05, what="a DM to Bob")
    assert "a DM to Bob" in str(raised.value)
    assert "chat.postMessage" in str(raised.value)


def test_subscribers_see_each_change_as_it_happens(slack: FakeSlack, client: WebClient) -> None:
    seen: list[tuple[str, str | None]] = []
    slack.subscribe(lambda change: seen.append((change.kind, change.user_id)))

    posted = client.chat_postMessage(channel="U0ALICE", text="x")
    client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="y")
    client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": []})

    assert seen == [
        ("message_posted", None),
        ("ephemeral", "U0BOB"),
        ("message_deleted", None),
        ("home_published", "U0BOB"),
    ]


def test_signatures_are_slacks_v0_hmac() -> None:
    headers = sign("8f742231b10e8888abcd99yyyzzz85a5", b"token=x&team_id=T1", 1531420618)
    assert headers["X-Slack-Request-Timestamp"] == "1531420618"
    assert headers["X-Slack-Signature"].startswith("v0=")
    assert verify("8f742231b10e8888abcd99yyyzzz85a5", b"token=x&team_id=T1", headers)
    assert not verify("another-secret", b"token=x&team_id=T1", headers)


# --- The Slack side: a real Bolt app receives what the fake sends ---------------------------


def test_a_slash_command_reaches_the_app_signed_and_its_ack_is_shown(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    heard: list[dict[str, Any]] = []

    @bolt.app.command("/coviu")
    def coviu(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        heard.append(command)
        ack("Booking your session…")
        client.chat_postMessage(channel=command["user_id"], text="Booked: Physio review")

    result = slack.slash_command("U0ALICE", "/coviu", "book with @bob", channel_id="C0CLINIC")

    assert result.status == 200
    # Slack shows the ack's text to the person who typed the command, and to nobody else.
    [shown] = result.shown
    assert (shown.text, shown.ephemeral_to, shown.source) == (
        "Booking your session…",
        "U0ALICE",
        "ack",
    )
    assert slack.channel_messages("C0CLINIC") == []
    # The DM is posted after the ack, so wait for it rather than expect it.
    dm = slack.wait_for(lambda: slack.dms("U0ALICE"))[-1]
    assert dm.text == "Booked: Physio review"

    [command] = heard
    assert command["text"] == "book with <@U0BOB|bob>"  # escaped, as should_escape asks
    assert (command["user_id"], command["user_name"]) == ("U0ALICE", "alice")
    assert (command["channel_id"], command["channel_name"]) == ("C0CLINIC", "clinic")
    assert (command["team_id"], command["api_app_id"]) == ("T0CLINIC", "A0COVIU")
    assert command["trigger_id"] == result.trigger_id
    assert command["response_url"] == result.response_url


def test_answers_sent_to_a_response_url_are_shown_like_slack_shows_them(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    @bolt.app.command("/coviu")
    def coviu(ack: Any, respond: Any) -> None:
        ack()
        respond(text="Only you see this")
        respond(text="Everyone sees this", response_type="in_channel")

    result = slack.slash_command("U0BOB", "/coviu", "list")

    assert result.shown == []  # an empty ack shows nothing
    public = slack.wait_for(lambda: slack.channel_messages("C0GENERAL"))
    assert [m.text for m in public] == ["Everyone sees this"]
    [private] = slack.ephemerals("U0BOB")
    assert (private.text, private.via_response_url) == ("Only you see this", True)


def test_an_ack_is_shown_before_what_the_app_then_posts_to_the_response_url(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    @bolt.app.command("/coviu")
    def coviu(ack: Any, respond: Any) -> None:
        ack("Looking up your sessions…")
        # This may reach Slack before the ack's HTTP answer does; Slack still orders them.
        respond(text="You have 2 sessions", replace_original=True)

    slack.slash_command("U0CAROL", "/coviu", "list")

    reply = slack.wait_for(
        lambda: slack.ephemerals("U0CAROL")[-1].edits and slack.ephemerals("U0CAROL")[-1]
    )
    assert len(slack.ephemerals("U0CAROL")) == 1
    assert (reply.text, reply.edits[0]["text"]) == (
        "You have 2 sessions",
        "Looking up your sessions…",
    )


def test_a_click_on_a_button_reaches_the_action_listener(
    slack: FakeSlack, bolt: BoltServer, client: WebClient
) -> None:
    clicks: list[dict[str, Any]] = []

    @bolt.app.action("cancel")
    def cancel(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        clicks.append(body)
        respond(text="Cancelled", replace_original=True)

    client.chat_postMessage(channel="U0ALICE", text="Booked", blocks=JOIN_BLOCKS)
    [dm] = slack.dms("U0ALICE")

    assert slack.click("U0ALICE", dm, "cancel").status == 200

    slack.wait_for(lambda: dm.text == "Cancelled")  # replace_original edits the DM in place
    [body] = clicks
    assert body["type"] == "block_actions"
    assert body["container"] == {
        "type": "message",
        "message_ts": dm.ts,
        "channel_id": "D0ALICE",
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == dm.ts
    assert body["user"]["id"] == "U0ALICE"
    [action] = body["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("cancel", "session", "s1")
    assert action["text"]["text"] == "Cancel"


def test_a_button_that_is_not_there_cannot_be_clicked(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="U0ALICE", text="Booked", blocks=JOIN_BLOCKS)
    client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="x", blocks=JOIN_BLOCKS)
    [dm] = slack.dms("U0ALICE")

    with pytest.raises(FakeSlackError, match=r"no element reschedule.*there is: join='p1'"):
        slack.click("U0ALICE", dm, "reschedule")
    with pytest.raises(FakeSlackError, match="no element join with value 'p2'"):
        slack.click("U0ALICE", dm, "join", "p2")
    with pytest.raises(FakeSlackError, match="can't see"):
        slack.click("U0ALICE", slack.ephemerals("U0BOB")[0], "join")


def test_a_click_on_an_ephemeral_message_can_delete_it(
    slack: FakeSlack, bolt: BoltServer, client: WebClient
) -> None:
    bodies: list[dict[str, Any]] = []

    @bolt.app.action("join")
    def join(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        bodies.append(body)
        respond(delete_original=True)

    client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="x", blocks=JOIN_BLOCKS)
    [private] = slack.ephemerals("U0BOB")

    slack.click("U0BOB", private, "join")

    slack.wait_for(lambda: private.deleted)
    assert slack.ephemerals("U0BOB") == []
    # As in Slack, a payload from an ephemeral message carries no copy of the message.
    assert bodies[0]["container"]["is_ephemeral"] is True
    assert "message" not in bodies[0]


def test_a_choice_in_a_select_on_the_home_tab_reaches_the_app(
    slack: FakeSlack, bolt: BoltServer, client: WebClient
) -> None:
    chosen: list[dict[str, Any]] = []
    bolt.app.action("range")(lambda ack, body: (ack(), chosen.append(body)))
    select = {
        "type": "static_select",
        "action_id": "range",
        "options": [
            {"text": {"type": "plain_text", "text": "This week"}, "value": "week"},
            {"text": {"type": "plain_text", "text": "This month"}, "value": "month"},
        ],
    }
    client.views_publish(
        user_id="U0DAVE",
        view={
            "type": "home",
            "blocks": [{"type": "actions", "block_id": "filters", "elements": [select]}],
        },
    )
    home = slack.home("U0DAVE")
    assert home is not None

    slack.click("U0DAVE", home, "range", "month")

    body = slack.wait_for(lambda: chosen)[0]
    assert body["container"] == {"type": "view", "view_id": home.id}
    assert body["view"]["type"] == "home" and "response_url" not in body
    [action] = body["actions"]
    assert (action["type"], action["block_id"], action["selected_option"]["value"]) == (
        "static_select",
        "filters",
        "month",
    )
    with pytest.raises(FakeSlackError, match="not an option"):
        slack.click("U0DAVE", home, "range", "year")


def test_a_modal_opened_with_the_trigger_is_submitted_and_can_answer_with_errors(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    submitted: list[dict[str, Any]] = []

    @bolt.app.command("/coviu")
    def coviu(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=BOOKING_MODAL)

    @bolt.app.view("book")
    def book(ack: Any, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        submitted.append(values)
        if int(values["minutes"]["n"]["value"]) > 120:
            ack(response_action="errors", errors={"minutes": "At most 120 minutes, e.g. 45"})
        else:
            ack()

    slack.slash_command("U0ALICE", "/coviu")
    modal = slack.wait_for(lambda: slack.modal("U0ALICE"))
    assert modal.callback_id == "book"

    refused = slack.submit("U0ALICE", modal, {"minutes": 600, "guests": ["@bob", "U0CAROL"]})

    assert refused.errors == {"minutes": "At most 120 minutes, e.g. 45"}
    assert slack.modal("U0ALICE") is modal and modal.errors == refused.errors
    # Values arrive in Slack's typed shapes; untouched inputs keep their initial values.
    values = submitted[0]
    assert values["name"]["value"] == {"type": "plain_text_input", "value": "Physio review"}
    assert values["when"]["at"] == {"type": "datetimepicker", "selected_date_time": 1767225600}
    assert values["minutes"]["n"] == {"type": "number_input", "value": "600"}
    assert values["guests"]["users"]["selected_users"] == ["U0BOB", "U0CAROL"]
    assert values["remind"]["lead"]["selected_option"]["value"] == "10"

    accepted = slack.submit(
        "U0ALICE",
        modal,
        {
            "minutes": 45,
            "lead": "60",
            "when": datetime(2026, 1, 2, 4, tzinfo=UTC),
        },
    )

    assert accepted.errors is None and accepted.view is None
    assert modal.closed and slack.view_stack("U0ALICE") == []
    assert submitted[1]["when"]["at"]["selected_date_time"] == 1767326400
    assert submitted[1]["remind"]["lead"]["selected_option"]["value"] == "60"


def test_a_form_slack_would_not_submit_is_refused_before_the_app_sees_it(
    slack: FakeSlack, client: WebClient
) -> None:
    client.views_open(trigger_id=slack.new_trigger_id("U0ALICE"), view=BOOKING_MODAL)
    modal = slack.modal("U0ALICE")
    assert modal is not None

    with pytest.raises(InvalidInput, match="'Name' is required"):
        slack.submit("U0ALICE", modal, {"name": ""})
    with pytest.raises(InvalidInput, match="whole number"):
        slack.submit("U0ALICE", modal, {"minutes": "half an hour"})
    with pytest.raises(InvalidInput, match="not an option"):
        slack.submit("U0ALICE", modal, {"remind": "5"})
    with pytest.raises(InvalidInput, match="no input 'room'"):
        slack.submit("U0ALICE", modal, {"room": "3"})
    # No app is even listening here: these never left "Slack's client".
    assert slack.view_stack("U0ALICE") == [modal]


def test_a_submission_may_update_or_push_the_modal(slack: FakeSlack, bolt: BoltServer) -> None:
    confirm = {
        "type": "modal",
        "callback_id": "confirm",
        "title": {"type": "plain_text", "text": "Booked"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "All set"}}],
    }

    @bolt.app.view("book")
    def book(ack: Any) -> None:
        ack(response_action="update", view=confirm)

    client = WebClient(BOT_TOKEN, base_url=slack.api_url)
    client.views_open(trigger_id=slack.new_trigger_id("U0CAROL"), view=BOOKING_MODAL)
    modal = slack.modal("U0CAROL")
    assert modal is not None

    result = slack.submit("U0CAROL", modal)

    assert result.view is modal and modal.callback_id == "confirm"
    assert "All set" in modal.text_content()


def test_closing_a_modal_tells_the_app_only_when_it_asked(
    slack: FakeSlack, bolt: BoltServer, client: WebClient
) -> None:
    closed: list[dict[str, Any]] = []
    bolt.app.view_closed("book")(lambda ack, body: (ack(), closed.append(body)))

    client.views_open(trigger_id=slack.new_trigger_id("U0BOB"), view=BOOKING_MODAL)
    assert slack.close_view("U0BOB", slack.view_stack("U0BOB")[0]) is None

    client.views_open(
        trigger_id=slack.new_trigger_id("U0BOB"), view={**BOOKING_MODAL, "notify_on_close": True}
    )
    modal = slack.view_stack("U0BOB")[0]
    result = slack.close_view("U0BOB", modal)

    assert result is not None and result.status == 200
    assert slack.view_stack("U0BOB") == []
    body = slack.wait_for(lambda: closed)[0]
    assert (body["type"], body["view"]["id"], body["is_cleared"]) == (
        "view_closed",
        modal.id,
        False,
    )


def test_an_event_reaches_the_app_and_the_app_publishes_the_home(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    @bolt.app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": f"Hi <@{event['user']}>"},
                    }
                ],
            },
        )

    assert slack.open_home("U0DAVE").status == 200

    home_view = slack.wait_for(lambda: slack.home("U0DAVE"))
    assert "Hi <@U0DAVE>" in home_view.text_content()


def test_bolt_refuses_a_bad_signature_or_a_stale_timestamp(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    heard: list[dict[str, Any]] = []
    bolt.app.event("app_home_opened")(lambda event: heard.append(event))
    body = json.dumps(
        slack.event_envelope(
            {"type": "app_home_opened", "user": "U0DAVE", "channel": "D0DAVE", "tab": "home"}
        )
    ).encode()

    assert slack.post_signed(body, secret="not-the-signing-secret").status == 401
    assert slack.post_signed(body, timestamp=int(time.time()) - 3600).status == 401
    assert slack.post_signed(body).status == 200
    slack.wait_for(lambda: heard)
    assert len(heard) == 1


def test_a_resent_request_is_the_same_body_with_slacks_retry_headers(
    slack: FakeSlack, bolt: BoltServer
) -> None:
    deliveries: list[tuple[str, list[str] | None]] = []

    @bolt.app.event("app_home_opened")
    def home(body: dict[str, Any], request: Any) -> None:
        deliveries.append((body["event_id"], request.headers.get("x-slack-retry-num")))

    first = slack.open_home("U0ALICE")
    again = slack.resend(first, retry_num=1, retry_reason="http_timeout")

    assert again.request_body == first.request_body and again.status == 200
    slack.wait_for(lambda: len(deliveries) == 2)
    assert sorted(deliveries, key=lambda d: d[1] or [])[0][1] is None
    assert {event_id for event_id, _ in deliveries} == {first.payload["event_id"]}
    assert ["1"] in [retry for _, retry in deliveries]


def test_url_verification_is_answered_by_bolt(slack: FakeSlack, bolt: BoltServer) -> None:
    result = slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert result.body == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
