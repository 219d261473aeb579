"""The booker's private confirmation stays true: after a reschedule, an add, a remove or a
cancel it is posted again through its response_url (replace_original) while Slack takes it
(5 posts within 30 minutes), and left alone, with no error to anyone, once Slack won't.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ALICE, BOB, DAVE

from bot import logsafe

pytestmark = pytest.mark.both_databases

# "tomorrow 3pm" for Alice (Sydney) is 04:00 UTC on Tuesday 19 March 2030.
START = datetime(2030, 3, 19, 4, 0, tzinfo=UTC)
FRIDAY_4PM_SYDNEY = datetime(2030, 3, 22, 5, 0, tzinfo=UTC)
MOVE = 'reschedule "Physio review" friday 4pm'


def date_token(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^"


@pytest.fixture
def booking(bot):
    """Alice books; her confirmation, and the response_url it came through."""
    result = bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm for 45 min')
    confirmation = bot.last_reply(ALICE)
    assert "Booked “Physio review”" in confirmation.text_content()
    assert date_token(START) in confirmation.text_content()
    return confirmation, result.response_url


def test_a_move_shows_in_the_confirmation(bot, slack, booking):
    confirmation, url = booking

    bot.command(ALICE, MOVE)

    said = confirmation.text_content()
    assert date_token(FRIDAY_4PM_SYDNEY) in said and date_token(START) not in said
    assert "Booked “Physio review”" in said
    assert {b.action_id for b in confirmation.buttons()} >= {"reschedule_session", "cancel_session"}
    assert slack.response_url_answers(url) == [(200, "ok"), (200, "ok")]


def test_a_confirmation_booked_from_a_preview_stays_true_too(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm London')
    preview = bot.last_reply(ALICE)
    click = bot.click(ALICE, preview, "book_confirmed")
    assert "Booked “Physio review”" in preview.text_content()  # the preview gave way

    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')

    # Through the click's own response_url, which replaced the preview.
    assert date_token(FRIDAY_4PM_SYDNEY) in preview.text_content()
    assert slack.response_url_answers(click.response_url) == [(200, "ok"), (200, "ok")]


def test_people_added_and_removed_show_in_the_confirmation(bot, booking):
    confirmation, _ = booking

    bot.command(ALICE, 'add @dave "Physio review"')
    assert f"<@{DAVE}>" in confirmation.text_content()

    bot.command(ALICE, 'remove @dave "Physio review"')
    assert f"<@{DAVE}>" not in confirmation.text_content()


def test_a_cancelled_session_s_confirmation_says_so_and_loses_its_buttons(bot, booking):
    confirmation, _ = booking

    bot.click(ALICE, confirmation, "cancel_session", confirmation.buttons()[-1].value)

    assert "was cancelled" in confirmation.text_content()
    assert confirmation.buttons() == []


def test_a_booker_removed_by_another_host_keeps_no_links_or_buttons(bot):
    bot.command(ALICE, 'book "Physio review" with host @bob @dave tomorrow 3pm')
    confirmation = bot.last_reply(ALICE)
    assert confirmation.buttons()

    bot.command(BOB, 'remove @alice "Physio review"')

    assert "You no longer host “Physio review”" in confirmation.text_content()
    assert confirmation.buttons() == []


def test_after_30_minutes_the_confirmation_is_left_alone(bot, slack, clock, booking):
    confirmation, url = booking
    before = confirmation.text_content()
    clock.advance(timedelta(minutes=31))

    bot.command(ALICE, MOVE)

    assert confirmation.text_content() == before
    assert slack.response_url_answers(url) == [(200, "ok")]  # not even tried
    # Alice sees the move's own answer, and nothing about the old confirmation.
    assert "Moved “Physio review”" in bot.last_reply(ALICE).text_content()
    assert not any(":warning:" in m.text_content() for m in slack.ephemerals(ALICE))


def test_when_slack_no_longer_takes_it_nobody_hears_and_it_is_not_tried_again(
    bot, slack, booking, caplog
):
    confirmation, url = booking
    before = confirmation.text_content()
    slack.expire_response_url(url)  # Slack's clock ran out before ours

    before_factory = logging.getLogRecordFactory()
    logsafe.install_record_factory()  # as `coviu-slack` runs: every log line redacted
    try:
        with caplog.at_level(logging.DEBUG):
            bot.command(ALICE, MOVE)
            bot.command(ALICE, 'add @dave "Physio review"')
    finally:
        logging.setLogRecordFactory(before_factory)

    assert confirmation.text_content() == before
    assert slack.response_url_answers(url) == [(200, "ok"), (404, "expired_url")]
    assert not any(":warning:" in m.text_content() for m in slack.ephemerals(ALICE))
    assert "no longer takes a booker's confirmation" in caplog.text
    assert url.rsplit("/", 1)[-1] not in caplog.text  # a response_url is a secret


def test_slack_s_five_posts_are_not_overspent(bot, slack, booking):
    confirmation, url = booking

    bot.command(ALICE, MOVE)
    bot.command(ALICE, 'add @dave "Physio review"')
    bot.command(ALICE, 'remove @dave "Physio review"')
    bot.command(ALICE, 'reschedule "Physio review" tomorrow 3pm')  # the fifth post
    bot.click(ALICE, confirmation, "cancel_session", confirmation.buttons()[-1].value)

    assert slack.response_url_answers(url) == [(200, "ok")] * 5
    # The last post it took is what it shows: the session at its time again, not cancelled.
    assert date_token(START) in confirmation.text_content()
    assert "Cancelled “Physio review”" in bot.last_reply(ALICE).text_content()
