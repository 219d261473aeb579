"""Messages that stay true: every invitation and reminder the app sent about a session is
brought up to date when the session moves, changes people or is cancelled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import ALICE, BOB, DAVE

pytestmark = pytest.mark.both_databases

# "tomorrow 3pm" for Alice (Sydney) is 04:00 UTC on Tuesday 19 March 2030.
START = datetime(2030, 3, 19, 4, 0, tzinfo=UTC)
FRIDAY_4PM_SYDNEY = datetime(2030, 3, 22, 5, 0, tzinfo=UTC)


def date_token(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^"


def buttons(message) -> set[str]:
    return {b.action_id for b in message.buttons()}


@pytest.fixture
def booked(bot, slack):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm for 45 min')
    [invitation] = slack.dms(BOB)
    assert date_token(START) in invitation.text_content()
    return invitation


def test_a_moved_session_shows_its_new_time_in_the_invitations_already_sent(bot, slack, booked):
    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')

    invitation = slack.dms(BOB)[0]
    assert date_token(FRIDAY_4PM_SYDNEY) in invitation.text_content()
    assert date_token(START) not in invitation.text_content()
    assert "join" in buttons(invitation)


def test_reminders_already_sent_move_too(bot, slack, booked, clock):
    clock.advance(START - timedelta(minutes=10) - clock.now())
    assert bot.send_reminders() == 2
    reminder = slack.dms(BOB)[-1]
    assert "Reminder" in reminder.text_content()

    bot.command(ALICE, 'reschedule "Physio review" friday 4pm')

    assert date_token(FRIDAY_4PM_SYDNEY) in reminder.text_content()


def test_a_cancelled_session_leaves_no_live_button_anywhere(bot, slack, booked):
    confirmation = bot.last_reply(ALICE)
    bot.click(ALICE, confirmation, "cancel_session", confirmation.buttons()[-1].value)

    for user in (ALICE, BOB):
        for message in slack.dms(user):
            assert buttons(message) == set(), message.text_content()
    assert "cancelled" in slack.dms(BOB)[0].text_content()


def test_adding_someone_names_them_in_everyone_s_invitation(bot, slack, booked):
    bot.command(ALICE, 'add @dave "Physio review"')

    assert "<@U0DAVE>" in slack.dms(BOB)[0].text_content()
    assert "Physio review" in slack.dms(DAVE)[0].text_content()


def test_a_removed_person_s_invitation_loses_its_join_button(bot, slack, booked):
    bot.command(ALICE, 'remove @bob "Physio review"')

    invitation = slack.dms(BOB)[0]
    assert "no longer in" in invitation.text_content()
    assert buttons(invitation) == set()


def test_a_host_can_get_a_guest_s_link_again_from_their_invitation(bot, slack, coviu, booked):
    bot.command(ALICE, 'add "Pat Smith" "Physio review"')
    [session] = coviu.api.iter_sessions()
    [pat] = [p for p in session.participants if p.display_name == "Pat Smith"]

    invitation = slack.dms(ALICE)[0]  # Alice's own invitation, sent before Pat was added
    [copy] = [b for b in invitation.buttons() if b.action_id.startswith("copy_link")]
    assert copy.text == "Copy link for Pat Smith"
    assert pat.participant_id not in copy.value  # the link's secret isn't in the button
    bot.click(ALICE, invitation, copy.action_id, copy.value)

    [modal] = slack.view_stack(ALICE)
    assert pat.entry_url in str(modal.blocks)
    # Bob is no host: his invitation offers no such button.
    assert not any(b.startswith("copy_link") for b in buttons(slack.dms(BOB)[0]))


def test_what_people_type_reaches_coviu_and_slack_as_typed(bot, slack, coviu):
    bot.command(ALICE, 'book "Q&A <urgent>" with @bob tomorrow 3pm')

    [session] = coviu.api.iter_sessions()
    assert session.session_name == "Q&A <urgent>"
    shown = str(slack.dms(BOB)[0].blocks)
    assert "Q&amp;A &lt;urgent&gt;" in shown  # escaped in mrkdwn, so Slack shows it as typed
