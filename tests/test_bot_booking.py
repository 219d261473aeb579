"""Booking from Slack: by text, by the form, and what every participant receives."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import ALICE, BOB, BOT_TOKEN, CAROL, COVIU_SECRET, NOW, SIGNING_SECRET

# The whole booking path, end to end, on both stores.
pytestmark = pytest.mark.both_databases

SYDNEY = ZoneInfo("Australia/Sydney")


def join_url(message) -> str:
    [join] = [b for b in message.buttons() if b.action_id == "join"]
    return join.url


def book_physio(bot) -> None:
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm for 45 min')


def test_booking_by_text_confirms_privately_with_time_people_and_buttons(bot, slack):
    book_physio(bot)

    reply = bot.last_reply(ALICE)
    text = reply.text_content()
    assert "Booked “Physio review”" in text
    # 3pm tomorrow in Alice's zone (Sydney), shown with Slack's date token for every reader.
    start = datetime(2030, 3, 19, 15, 0, tzinfo=SYDNEY)
    assert f"<!date^{int(start.timestamp())}^" in text
    assert "<@U0BOB>" in text and "<@U0ALICE> (host)" in text
    assert {b.action_id for b in reply.buttons()} >= {"reschedule_session", "cancel_session"}


def test_every_participant_gets_their_own_link_by_dm(bot, slack, coviu):
    book_physio(bot)

    alice_dm, bob_dm = slack.dms(ALICE)[-1], slack.dms(BOB)[-1]
    assert "Physio review" in bob_dm.text_content()
    assert "guest" in bob_dm.text_content() and "host" in alice_dm.text_content()
    alice_link, bob_link = join_url(alice_dm), join_url(bob_dm)
    assert alice_link != bob_link

    # Each link names its owner's participant at Coviu, who is mapped back to the Slack user.
    [session] = list(coviu.api.iter_sessions())
    by_link = {p.entry_url: p for p in session.participants}
    assert json.loads(by_link[bob_link].state)["user"] == BOB
    assert by_link[bob_link].role == "GUEST"
    assert json.loads(by_link[alice_link].state)["user"] == ALICE
    assert by_link[alice_link].role == "HOST"
    assert session.start_time == datetime(2030, 3, 19, 4, 0, tzinfo=UTC)
    assert session.end_time - session.start_time == timedelta(minutes=45)


def test_entry_links_never_reach_a_channel(bot, slack):
    book_physio(bot)

    links = {join_url(slack.dms(ALICE)[-1]), join_url(slack.dms(BOB)[-1])}
    for message in slack.channel_messages("C0GENERAL"):
        assert not any(link in message.text_content() for link in links)
    for call in slack.calls:
        if call.method == "chat.postMessage":
            # A DM goes to the person (their U… id) or their D… channel, never elsewhere.
            assert str(call.params["channel"]).startswith(("D", "U")), "a message went to a channel"


def test_hosts_named_in_text_are_hosts(bot, coviu):
    bot.command(ALICE, "Team sync with @carol host @bob thu 2-3pm")

    [session] = list(coviu.api.iter_sessions())
    roles = {json.loads(p.state)["user"]: p.role for p in session.participants}
    assert roles == {ALICE: "HOST", BOB: "HOST", CAROL: "GUEST"}
    assert session.session_name == "Team sync"


def test_a_retried_command_books_once(bot, slack, coviu):
    first = bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    slack.resend(first, retry_num=1, retry_reason="http_timeout")
    bot.idle()

    assert len(list(coviu.api.iter_sessions())) == 1
    assert len(slack.dms(BOB)) == 1


def test_text_without_guests_opens_the_form_prefilled(bot, slack):
    bot.command(ALICE, 'book "Physio review" tomorrow 3pm for 45 min')

    [form] = slack.view_stack(ALICE)
    assert form.callback_id == "book"
    inputs = {b["block_id"]: b["element"] for b in form.blocks if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "Physio review"
    start = datetime(2030, 3, 19, 15, 0, tzinfo=SYDNEY)
    assert inputs["when"]["initial_date_time"] == int(start.timestamp())
    assert inputs["length"]["initial_option"]["value"] == "45"
    assert inputs["hosts"]["initial_users"] == [ALICE]


def test_booking_through_the_form(bot, slack, coviu):
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)
    start = NOW + timedelta(days=1)

    result = bot.submit(
        ALICE,
        form,
        {
            "title": "Knee follow-up",
            "when": int(start.timestamp()),
            "length": "60",
            "guests": [BOB],
            "external": "Pat Smith",
        },
    )

    assert not result.errors
    [session] = list(coviu.api.iter_sessions())
    assert session.session_name == "Knee follow-up"
    assert session.end_time - session.start_time == timedelta(hours=1)
    assert {p.display_name for p in session.participants} >= {"Pat Smith"}
    assert "Knee follow-up" in slack.dms(BOB)[-1].text_content()
    # The external guest's link is shown to Alice alone, in the form's result view.
    [pat] = [p for p in session.participants if p.display_name == "Pat Smith"]
    [done] = slack.view_stack(ALICE)
    assert done.title == "Booked"
    assert pat.entry_url in json.dumps(done.blocks)


def test_form_mistakes_are_shown_against_their_fields(bot, slack, coviu):
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)

    past = bot.submit(
        ALICE, form, {"when": int((NOW - timedelta(hours=1)).timestamp()), "guests": [BOB]}
    )
    assert "already passed" in past.errors["when"]

    alone = bot.submit(ALICE, form, {"when": int((NOW + timedelta(days=1)).timestamp())})
    assert "add a guest on Slack" in alone.errors["guests"]
    assert list(coviu.api.iter_sessions()) == []


def test_a_resubmitted_form_books_once(bot, slack, coviu):
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)
    values = {"when": int((NOW + timedelta(days=1)).timestamp()), "guests": [BOB]}

    first = bot.submit(ALICE, form, values)
    slack.resend(first)
    bot.idle()

    assert len(list(coviu.api.iter_sessions())) == 1


def test_unparseable_time_gets_a_specific_answer_with_an_example(bot, slack, coviu):
    bot.command(ALICE, "book with @bob whenever works")

    text = bot.last_reply(ALICE).text_content()
    assert "time" in text.lower() and re.search(r"\d", text), text
    assert list(coviu.api.iter_sessions()) == []


def test_past_time_is_refused_with_an_example(bot, coviu):
    bot.command(ALICE, "book with @bob yesterday at 3pm")

    text = bot.last_reply(ALICE).text_content()
    assert "past" in text.lower()
    assert list(coviu.api.iter_sessions()) == []


def test_coviu_not_answering_is_explained_and_nothing_is_kept(bot, slack, coviu):
    coviu.server.stop()

    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')

    assert "isn't answering" in bot.last_reply(ALICE).text_content()
    assert bot.services.store.upcoming_for("T0CLINIC", ALICE, NOW) == []
    assert slack.dms(BOB) == []


def test_a_dm_that_fails_is_reported_and_the_booking_stands(bot, slack, coviu):
    slack.fail_next("chat.postMessage", error="internal_error", status=500)

    book_physio(bot)

    assert len(list(coviu.api.iter_sessions())) == 1
    assert "couldn't DM" in bot.last_reply(ALICE).text_content()


def test_an_invalid_signature_is_refused(bot, slack):
    body = "command=%2Fcoviu&text=list&user_id=U0ALICE&team_id=T0CLINIC"
    answer = requests.post(
        slack.app_url,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(int(datetime.now(UTC).timestamp())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
        timeout=10,
    )
    assert answer.status_code == 401
    assert bot.services.store.upcoming_for("T0CLINIC", ALICE, NOW) == []


def test_help_lists_the_grammar_with_examples(bot, slack):
    answer = bot.command(ALICE, "help")

    text = json.dumps(answer.body)
    assert "/coviu book" in text and "/coviu list" in text and "for 45 min" in text


def test_no_token_secret_or_entry_link_reaches_the_logs(bot, slack, coviu, caplog):
    from bot.logsafe import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())  # as `coviu-slack` installs it on its handlers
    caplog.set_level(logging.DEBUG)

    book_physio(bot)

    secrets = [BOT_TOKEN, SIGNING_SECRET, COVIU_SECRET]
    secrets += [join_url(slack.dms(user)[-1]) for user in (ALICE, BOB)]
    secrets += [url.rsplit("/", 1)[1] for url in secrets[-2:]]  # participant ids are links too
    logged = caplog.text
    assert "chat.postMessage" in logged  # DEBUG lines from slack_sdk were there to leak
    for secret in secrets:
        assert secret not in logged


def test_someone_who_is_not_in_the_workspace_is_named(bot, coviu):
    bot.command(ALICE, 'book "Physio review" with <@U0NOBODY> tomorrow 3pm')

    text = bot.last_reply(ALICE).text_content()
    assert "<@U0NOBODY> isn't a person I can invite" in text and 'e.g. "with @alice"' in text
    assert list(coviu.api.iter_sessions()) == []


def test_the_bot_itself_cannot_be_a_guest(bot, slack, coviu):
    bot.command(ALICE, f'book "Physio review" with <@{slack.bot_user_id}> tomorrow 3pm')

    assert "isn't a person I can invite" in bot.last_reply(ALICE).text_content()
    assert list(coviu.api.iter_sessions()) == []


def test_a_create_whose_answer_was_lost_is_found_and_undone(bot, slack, coviu):
    # Coviu creates the session, then the answer never arrives: the bot can't know it exists.
    coviu.faults.lose_answer("POST", "/v1/sessions", 502)

    book_physio(bot)

    assert "isn't answering" in bot.last_reply(ALICE).text_content()
    [orphan] = list(coviu.api.iter_sessions(include_canceled=True))
    assert orphan.canceled_time is not None  # found by its tagged state and cancelled
    assert bot.services.store.upcoming_for("T0CLINIC", ALICE, NOW) == []
    assert slack.dms(BOB) == []


def test_a_busy_coviu_is_retried_and_the_booking_goes_through(bot, slack, coviu):
    coviu.faults.plan("POST", "/v1/sessions", 503)  # "not processed": safe to send again

    book_physio(bot)

    assert "Booked “Physio review”" in bot.last_reply(ALICE).text_content()
    assert len(list(coviu.api.iter_sessions())) == 1


def test_an_answer_slack_refuses_still_arrives_as_text(bot, slack):
    slack.fail_next("response_url", "invalid_blocks", 400)

    book_physio(bot)

    reply = bot.last_reply(ALICE)
    assert reply.text.startswith("Booked “Physio review” for <!date^") and reply.blocks == []


def test_slack_rate_limits_are_waited_out_not_reported_as_failures(bot, slack):
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=0)

    book_physio(bot)

    assert "couldn't DM" not in bot.last_reply(ALICE).text_content()
    assert "Physio review" in slack.dms(ALICE)[-1].text_content()
    assert "Physio review" in slack.dms(BOB)[-1].text_content()
