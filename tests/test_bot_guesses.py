"""Never book the wrong time: a reading that rests on a guess is shown first, a word that
wasn't understood is offered corrected, a time that doesn't exist is refused with the one
that does. Unambiguous text still books at once (see test_bot_booking.py).

Alice is in Sydney; the clock is Monday 18 March 2030, 20:00 in Sydney.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import ALICE, BOB

SYDNEY = ZoneInfo("Australia/Sydney")
LONDON = ZoneInfo("Europe/London")


def sessions_at_coviu(coviu) -> list:
    return list(coviu.api.iter_sessions())


def test_a_named_zone_is_previewed_in_both_zones_and_booked_only_when_confirmed(
    bot, slack, coviu
):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm London')

    preview = bot.last_reply(ALICE)
    text = preview.text_content()
    assert "Is this right?" in text and "London" in text
    # Friday 3pm in London is Saturday 2am in Sydney: both are shown, the reader's first.
    assert "Sat 23 Mar 2030, 2:00 AM AEDT" in text
    assert "Fri 22 Mar 2030, 3:00 PM GMT" in text
    assert sessions_at_coviu(coviu) == [] and slack.dms(BOB) == []

    bot.click(ALICE, preview, "book_confirmed")

    [session] = sessions_at_coviu(coviu)
    assert session.start_time == datetime(2030, 3, 22, 15, 0, tzinfo=LONDON)
    assert session.session_name == "Physio review"  # the place is not the title
    assert "Physio review" in slack.dms(BOB)[-1].text_content()
    # The preview gives way to the confirmation.
    answer = bot.last_reply(ALICE).text_content()
    assert answer.startswith("Booked “Physio review”") and "Is this right?" not in answer


def test_a_misspelt_day_is_never_the_title_and_is_booked_as_corrected(bot, slack, coviu):
    bot.command(ALICE, "book with @bob thrusday at noon")

    preview = bot.last_reply(ALICE)
    assert 'read "thrusday" as Thursday' in preview.text_content()
    assert sessions_at_coviu(coviu) == []

    bot.click(ALICE, preview, "book_confirmed")

    [session] = sessions_at_coviu(coviu)
    assert session.start_time == datetime(2030, 3, 21, 12, 0, tzinfo=SYDNEY)
    assert "thrusday" not in (session.session_name or "").lower()


def test_a_time_the_clocks_skip_is_refused_with_the_time_that_exists(bot, slack, coviu, clock):
    # Wednesday 2 October 2030 in Sydney; clocks jump from 2:00 to 3:00 on Sunday the 6th.
    clock.advance(datetime(2030, 10, 2, 0, 0, tzinfo=UTC) - clock.now())
    bot.command(ALICE, 'book "Early check" with @bob sunday 2:30am')

    refusal = bot.last_reply(ALICE)
    assert "2:30am doesn't exist on Sunday 6 October in Sydney" in refusal.text_content()
    assert sessions_at_coviu(coviu) == []

    bot.click(ALICE, refusal, "book_suggested")

    [session] = sessions_at_coviu(coviu)
    assert session.start_time == datetime(2030, 10, 6, 3, 0, tzinfo=SYDNEY)
    assert session.end_time - session.start_time == timedelta(minutes=30)


def test_change_opens_the_form_with_what_was_understood(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob friday 3pm London')

    bot.click(ALICE, bot.last_reply(ALICE), "change_booking")

    [form] = slack.view_stack(ALICE)
    inputs = {b["block_id"]: b["element"] for b in form.blocks if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "Physio review"
    friday_3pm_london = datetime(2030, 3, 22, 15, 0, tzinfo=LONDON)
    assert inputs["when"]["initial_date_time"] == int(friday_3pm_london.timestamp())
    assert inputs["guests"]["initial_users"] == [BOB]


def test_an_impossible_hour_is_refused_with_an_example(bot, slack, coviu):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 13pm')

    reply = bot.last_reply(ALICE).text_content()
    assert "13pm" in reply and "/coviu book" in reply
    assert sessions_at_coviu(coviu) == []


def test_a_guest_without_slack_named_in_the_text_is_never_dropped(bot, slack, coviu):
    bot.command(ALICE, 'book "Physio review" with @bob and "Pat Smith" tomorrow 3pm')

    # Not booked without Pat: the form opens with Pat filled in, so their link comes back.
    assert sessions_at_coviu(coviu) == []
    [form] = slack.view_stack(ALICE)
    inputs = {b["block_id"]: b["element"] for b in form.blocks if b["type"] == "input"}
    assert inputs["external"]["initial_value"] == "Pat Smith"
    assert inputs["guests"]["initial_users"] == [BOB]

    bot.submit(ALICE, form)

    [session] = sessions_at_coviu(coviu)
    assert {p.display_name for p in session.participants} >= {"Pat Smith", "Bob Smith"}
