"""Recurring series from Slack: booked as one session per occurrence at Coviu, kept at the
same wall-clock time across DST, created ahead within a window, cut short from any date on.

The shared clock is frozen at Monday 18 March 2030, 20:00 in Sydney (Alice's zone); Sydney's
clocks go back an hour on Sunday 7 April 2030, in the middle of a six-week series.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import ALICE, BOB
from coviu_client_fixtures import PASS

from bot.booking import BookingError, BookingRequest
from bot.booking.recurring import queue_series_top_up
from bot.when.result import Repeat

pytestmark = pytest.mark.both_databases

SYDNEY = ZoneInfo("Australia/Sydney")
SIX_TUESDAYS = [date(2030, 3, 19) + timedelta(weeks=n) for n in range(6)]


def booked_at_coviu(coviu) -> list:
    """The sessions Coviu holds that are not cancelled, soonest first."""
    return sorted(
        (s for s in coviu.api.iter_sessions() if not s.canceled), key=lambda s: s.start_time
    )


def occurrences(bot) -> list:
    """The series' sessions in the app's store, by date (there is one series in each test)."""
    store = bot.services.store
    [series_id] = {s.series_id for s in bot.services.booking.upcoming("T0CLINIC", ALICE)}
    return store.occurrences(series_id)


def book_six_tuesdays(bot) -> None:
    bot.command(ALICE, 'book "Physio review" with @bob every tuesday 3pm for 6 weeks')


def test_a_six_week_series_stays_at_3pm_in_sydney_across_the_dst_change(bot, coviu):
    book_six_tuesdays(bot)

    sessions = booked_at_coviu(coviu)
    local = [s.start_time.astimezone(SYDNEY) for s in sessions]
    assert [moment.date() for moment in local] == SIX_TUESDAYS
    assert {(moment.hour, moment.minute) for moment in local} == {(15, 0)}
    # The same wall-clock time is a different UTC instant once Sydney's clocks go back.
    assert [s.start_time.astimezone(UTC).hour for s in sessions] == [4, 4, 4, 5, 5, 5]
    assert {s.end_time - s.start_time for s in sessions} == {timedelta(minutes=30)}
    reply = bot.last_reply(ALICE).text_content()
    assert "Booked the series “Physio review”" in reply
    assert "every Tuesday" in reply


def test_everyone_is_invited_once_and_each_session_has_its_own_link(bot, slack, coviu):
    book_six_tuesdays(bot)

    [invitation] = slack.dms(BOB)
    assert "Repeats every Tuesday at 15:00 (Australia/Sydney time), 6 sessions" in (
        invitation.text_content()
    )
    # Six sessions, six different links for Bob: each arrives with its reminder.
    bob_links = {
        p.entry_url for s in booked_at_coviu(coviu) for p in s.participants if "U0BOB" in p.state
    }
    assert len(bob_links) == 6


def test_a_series_keeps_its_own_lead_times_for_every_session(bot):
    bot.command(
        ALICE, 'book "Physio review" with @bob every tuesday 3pm for 6 weeks remind 1 day before'
    )

    store = bot.services.store
    leads = {
        (row["session_id"], row["lead_minutes"])
        for session in occurrences(bot)
        for row in store.db.query(
            "select session_id, lead_minutes from reminders where session_id = ?",
            [session.session_id],
        )
    }
    # Each of the six: a day before, and "Starting now"; never the app's default 10 minutes.
    assert {lead for _, lead in leads} == {1440, 0}
    assert len({session for session, _ in leads}) == 6


def test_the_list_shows_a_series_once_with_its_next_date(bot, slack, clock):
    book_six_tuesdays(bot)
    bot.command(ALICE, 'book "Knee check" with @bob thursday 10am')

    bot.command(ALICE, "list")
    listed = bot.last_reply(ALICE).text_content()
    assert "You have 2 upcoming sessions" in listed
    assert listed.count("*Physio review*") == 1 and listed.count("*Knee check*") == 1
    assert "Repeats every Tuesday" in listed
    first = datetime(2030, 3, 19, 15, tzinfo=SYDNEY)
    assert f"<!date^{int(first.timestamp())}^" in listed

    # A week on, the next date is the second Tuesday.
    clock.advance(timedelta(days=7))
    bot.command(ALICE, "list")
    listed = bot.last_reply(ALICE).text_content()
    second = datetime(2030, 3, 26, 15, tzinfo=SYDNEY)
    assert f"<!date^{int(second.timestamp())}^" in listed
    assert listed.count("*Physio review*") == 1

    bot.open_home(BOB)
    assert slack.home(BOB).text_content().count("*Physio review*") == 1


def test_cancelling_this_and_following_leaves_exactly_the_earlier_ones(bot, slack, coviu):
    book_six_tuesdays(bot)
    bot.command(ALICE, 'cancel "Physio review"')
    picker = bot.last_reply(ALICE)
    fourth = occurrences(bot)[3]
    assert fourth.occurrence == SIX_TUESDAYS[3]

    bot.click(ALICE, picker, "cancel_following", fourth.session_id)

    kept = [s.start_time.astimezone(SYDNEY).date() for s in booked_at_coviu(coviu)]
    assert kept == SIX_TUESDAYS[:3]
    assert "3 sessions" in bot.last_reply(ALICE).text_content()
    assert "cancelled “Physio review” from" in slack.dms(BOB)[-1].text_content()
    # The series now ends before the cut: nothing later is ever created again.
    bot.services.series.top_up()
    bot.idle()
    assert len(booked_at_coviu(coviu)) == 3


def test_cancelling_one_occurrence_leaves_the_rest_and_is_not_created_again(bot, coviu):
    book_six_tuesdays(bot)
    second = occurrences(bot)[1]

    bot.services.booking.cancel(second.session_id, "T0CLINIC", ALICE)
    bot.services.series.top_up()

    kept = [s.start_time.astimezone(SYDNEY).date() for s in booked_at_coviu(coviu)]
    assert kept == [d for d in SIX_TUESDAYS if d != SIX_TUESDAYS[1]]


def test_a_long_series_is_created_eight_weeks_ahead_then_as_time_goes_on(bot, coviu, clock):
    bot.command(ALICE, 'book "Physio review" with @bob every tuesday 3pm for 12 weeks')

    # Today is 18 March: Tuesdays up to 13 May (eight weeks on) are at Coviu, no more.
    created = [s.start_time.astimezone(SYDNEY).date() for s in booked_at_coviu(coviu)]
    assert created == [date(2030, 3, 19) + timedelta(weeks=n) for n in range(8)]

    clock.advance(timedelta(weeks=2))
    queue_series_top_up(bot.services.store, clock.now())  # the worker's hourly job
    bot.app.worker.wake()
    bot.idle()
    created = [s.start_time.astimezone(SYDNEY).date() for s in booked_at_coviu(coviu)]
    assert created[-1] == date(2030, 5, 21) and len(created) == 10

    clock.advance(timedelta(weeks=8))
    bot.services.series.top_up()
    created = [s.start_time.astimezone(SYDNEY).date() for s in booked_at_coviu(coviu)]
    assert len(created) == 12  # and never more than the series holds
    assert bot.services.store.active_series() == []


def test_a_series_booked_twice_by_a_retry_is_one_series(bot, slack, coviu):
    first = bot.command(ALICE, 'book "Physio review" with @bob every tuesday 3pm for 6 weeks')
    slack.resend(first, retry_num=1, retry_reason="http_timeout")
    bot.idle()

    assert len(booked_at_coviu(coviu)) == 6
    assert len(slack.dms(BOB)) == 1


def test_the_form_books_a_series_from_its_repeat_field(bot, slack, coviu):
    bot.command(ALICE, "")
    [form] = slack.view_stack(ALICE)
    start = datetime(2030, 3, 19, 15, tzinfo=SYDNEY)

    values = {"title": "Knee follow-up", "when": int(start.timestamp()), "guests": [BOB]}
    sent_back = bot.submit(ALICE, form, {**values, "repeat": "weekly"})
    assert "how many sessions" in str(sent_back.body)  # the count goes with the choice
    assert booked_at_coviu(coviu) == []

    bot.submit(ALICE, form, {**values, "repeat": "weekly", "repeat_count": "6"})

    local = [s.start_time.astimezone(SYDNEY) for s in booked_at_coviu(coviu)]
    assert [moment.date() for moment in local] == SIX_TUESDAYS
    assert {(moment.hour, moment.minute) for moment in local} == {(15, 0)}
    assert "Booked the series “Knee follow-up”" in slack.view_stack(ALICE)[-1].text_content()


def test_text_with_a_series_but_no_guests_opens_the_form_with_its_repeat_filled(bot, slack):
    bot.command(ALICE, 'book "Physio review" every weekday 9am for 2 weeks')

    [form] = slack.view_stack(ALICE)
    inputs = {b["block_id"]: b["element"] for b in form.blocks if b["type"] == "input"}
    assert inputs["repeat"]["initial_option"]["value"] == "weekdays"
    assert inputs["repeat_count"]["initial_value"] == "10"


def test_moving_this_and_following_keeps_the_earlier_ones_and_each_day(bot, slack, coviu):
    book_six_tuesdays(bot)
    fourth = occurrences(bot)[3]
    bot.command(ALICE, 'cancel "Physio review"')  # every session of the series, with buttons
    bot.click(ALICE, bot.last_reply(ALICE), "reschedule_session", fourth.session_id)
    [modal] = slack.view_stack(ALICE)
    four_pm = datetime.combine(SIX_TUESDAYS[3], datetime.min.time(), SYDNEY).replace(hour=16)

    bot.submit(
        ALICE, modal, {"when": int(four_pm.timestamp()), "length": "45", "which": "following"}
    )

    local = [s.start_time.astimezone(SYDNEY) for s in booked_at_coviu(coviu)]
    assert [moment.date() for moment in local] == SIX_TUESDAYS
    assert [moment.hour for moment in local] == [15, 15, 15, 16, 16, 16]
    lengths = [s.end_time - s.start_time for s in booked_at_coviu(coviu)]
    assert lengths == [timedelta(minutes=30)] * 3 + [timedelta(minutes=45)] * 3
    # One DM tells Bob, not one per session.
    assert "every later session of the series" in slack.dms(BOB)[-1].text_content()
    assert len(slack.dms(BOB)) == 2


def test_moving_the_rest_of_a_series_to_another_day_is_refused_with_an_example(bot, slack):
    book_six_tuesdays(bot)
    fourth = occurrences(bot)[3]

    with pytest.raises(BookingError, match="cancel this and following"):
        bot.services.series.reschedule_following(
            fourth.session_id, "T0CLINIC", ALICE, fourth.start + timedelta(days=1)
        )
    assert occurrences(bot)[3].start == fourth.start


def test_a_moved_occurrence_is_not_created_again_at_its_old_date(bot, coviu, clock):
    bot.command(ALICE, 'book "Physio review" with @bob every tuesday 3pm for 12 weeks')
    second = occurrences(bot)[1]
    bot.services.booking.reschedule(
        second.session_id, "T0CLINIC", ALICE, second.start + timedelta(days=1)
    )

    clock.advance(timedelta(weeks=8))
    bot.services.series.top_up()

    dates = sorted(s.start_time.astimezone(SYDNEY).date() for s in booked_at_coviu(coviu))
    assert len(dates) == 12 and date(2030, 3, 27) in dates and date(2030, 3, 26) not in dates


def test_a_series_that_fails_half_way_leaves_nothing_booked(bot, slack, coviu):
    # Coviu takes two of the six creates, then refuses the third.
    coviu.faults.plan("POST", "/v1/sessions", PASS, PASS, 400)

    book_six_tuesdays(bot)

    assert "Nothing of the series was booked" in bot.last_reply(ALICE).text_content()
    assert booked_at_coviu(coviu) == []
    assert len(list(coviu.api.iter_sessions(include_canceled=True))) == 2
    assert slack.dms(BOB) == []
    assert bot.services.booking.upcoming("T0CLINIC", ALICE) == []
    bot.services.series.top_up()
    assert booked_at_coviu(coviu) == []


def test_a_series_booking_run_again_after_it_finished_books_nothing_more(bot, slack, coviu):
    # What a worker does when it reruns a job whose first run it can't know finished.
    start = datetime(2030, 3, 19, 15, tzinfo=SYDNEY)
    request = BookingRequest(
        team_id="T0CLINIC", booked_by=ALICE, title="Physio review", start=start,
        end=start + timedelta(minutes=30), guests=(BOB,),
    )  # fmt: skip
    rule = Repeat("weekly", time="15:00", zone="Australia/Sydney", days=("TU",), count=6)

    first = bot.services.series.book(request, rule, key="rerun-test")
    again = bot.services.series.book(request, rule, key="rerun-test")

    assert again.series.series_id == first.series.series_id
    assert again.first.session == first.first.session
    assert len(booked_at_coviu(coviu)) == 6
    assert len(slack.dms(BOB)) == 1


@pytest.mark.parametrize(
    ("text", "dates", "hour"),
    [
        (
            "every weekday 9am for 2 weeks",
            [date(2030, 3, 19) + timedelta(days=n) for n in (0, 1, 2, 3, 6, 7, 8, 9, 10, 13)],
            9,
        ),
        (
            "tomorrow 3pm weekly until 20 April",
            [date(2030, 3, 19) + timedelta(weeks=n) for n in range(5)],
            15,
        ),
    ],
)
def test_other_series_phrases_book_what_they_say(bot, coviu, text, dates, hour):
    bot.command(ALICE, f'book "Physio review" with @bob {text}')

    local = [s.start_time.astimezone(SYDNEY) for s in booked_at_coviu(coviu)]
    assert [moment.date() for moment in local] == dates
    assert {moment.hour for moment in local} == {hour}
