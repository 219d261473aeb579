"""`coviu-slack shell` as a newcomer meets it: a script of lines piped in, a transcript out.

Each test runs the real command in a fresh directory with no Slack or Coviu settings, the way
the README's first command does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BOOK = '/coviu book "Physio review" with @bob tomorrow 3pm for 45 min'


def shell(workdir: Path, *lines: str, fresh: bool = False) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COVIU_"))}
    command = [sys.executable, "-m", "bot", "shell", *(["--fresh"] if fresh else [])]
    done = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def opened_links(transcript: str) -> list[str]:
    return re.findall(r"\(opening (\S+)\)", transcript)


def test_booking_by_text_dms_each_person_a_link_of_their_own(tmp_path):
    out = shell(tmp_path, BOOK, "press Join", "as bob", "press Join")

    assert "[only visible to you · updated] ✓ Booked “Physio review”." in out
    assert "[DM to @alice] You're invited to “Physio review” as a host." in out
    assert "[DM to @bob] You're invited to “Physio review” as a guest." in out
    # Bob in London reads 3pm Sydney time as his own 4am.
    assert re.search(r"\[DM to @bob\].*\n.*\n.*4:00 AM GMT", out)
    alice_link, bob_link = opened_links(out)
    assert alice_link != bob_link
    assert "/session/" in alice_link and "/session/" in bob_link
    assert out.count("  HTTP ") == 2  # both links lead to a real page of the local Coviu


def test_booking_through_the_form_with_a_mistake_corrected(tmp_path):
    out = shell(
        tmp_path,
        "/coviu",
        "Knee follow-up",  # name
        "2020-01-01 10:00",  # a time in the past
        "",  # length: keep 30 minutes
        "",  # repeats: doesn't
        "",  # number of sessions: none (not a series)
        "",  # hosts: keep @alice
        "@carol",  # guests on Slack
        "Pat Smith",  # guest without Slack
        "",  # reminder: keep 10
        "2030-01-05 10:00",  # asked again, only for the time
    )

    assert "⚠ Date and time: That time has already passed." in out
    assert "└ submitted" in out
    assert "[DM to @carol] You're invited to “Knee follow-up” as a guest." in out
    assert "Link for Pat Smith (no Slack account)" in out


def test_list_reschedule_and_cancel(tmp_path):
    out = shell(
        tmp_path,
        BOOK,
        "/coviu list",
        '/coviu reschedule "Physio review" friday 4pm',
        '/coviu cancel "Physio review"',
        "press Cancel session",
        "n",
        "press Cancel session",
        "y",
        "as bob",
        "/coviu list",
    )

    assert "Your upcoming sessions (1)" in out
    assert "Moved “Physio review” to" in out
    assert "[DM to @bob] @alice moved “Physio review” to" in out
    # Slack's confirmation dialog: the first press is declined, the second confirmed.
    assert out.count("┌ Cancel this session?") == 2
    assert "Nothing was done." in out
    assert "Cancelled “Physio review”. Everyone in it was told." in out
    assert "[DM to @bob] “Physio review” on" in out and "was cancelled by @alice" in out
    assert out.rstrip().endswith(
        "You have no upcoming sessions. Book one with `/coviu book …` or `/coviu`."
    )


def test_a_reminder_arrives_as_a_dm_at_its_time(tmp_path):
    out = shell(tmp_path, '/coviu book "Check-in" with @bob in 30 minutes', "skip 25m")

    assert "[DM to @alice] ⏰ Reminder: “Check-in” starts" in out
    assert "[DM to @bob] ⏰ Reminder: “Check-in” starts" in out
    assert "(skipped 25m; 2 reminders sent)" in out


def test_several_reminders_a_snooze_and_the_reminder_choices_on_home(tmp_path):
    out = shell(
        tmp_path,
        '/coviu book "Check-in" with @bob in 30 minutes remind 20 min and 10 min before',
        "skip 12m",
        "as bob",
        "press Remind me in 5 min",
        "skip 5m",
        "home",
        "press ▾ choose",
        "1 hr before, 5 min before",
    )

    assert "(skipped 12m; 2 reminders sent)" in out
    assert "[DM to @bob · updated] 💤 Reminder: “Check-in” starts" in out
    assert "Snoozed: I'll remind you again at" in out
    assert "(skipped 5m; 1 reminder sent)" in out
    assert "Before each session: 1 hr and 5 min before" in out


def test_bad_input_is_answered_helpfully(tmp_path):
    out = shell(
        tmp_path,
        "/coviu book with @bob whenever works",
        "/coviu book with @bob yesterday at 3pm",
        "/standup",
        "hello there",
        "press 99",
        "as nobody",
    )

    assert 'A whole booking looks like: `/coviu book "Physio review" with @alice' in out
    assert "past" in out
    assert "/standup is not a command in this workspace. Try `/coviu help`." in out
    assert "The app listens for /coviu here." in out
    assert "Press a numbered button from above" in out
    assert "No one called 'nobody' here." in out


def test_history_persists_between_runs_unless_fresh(tmp_path):
    shell(tmp_path, BOOK, fresh=True)

    assert "Physio review" in shell(tmp_path, "/coviu list")
    assert "You have no upcoming sessions" in shell(tmp_path, "/coviu list", fresh=True)


def test_the_waiting_room_from_a_guest_opening_their_link_to_the_follow_up(tmp_path):
    out = shell(
        tmp_path,
        '/coviu book "Check-in" with @bob in 5 minutes',
        '/coviu add "Pat Smith"',
        "home",
        "open pat's link",  # Pat, with no Slack, opens the link Alice forwarded
        "open pat's link",  # a reload: nobody is told twice
        "open my link",  # Alice comes in
        "let pat in",
        "skip 11m",  # five minutes past the start: Bob, who never came, is nudged
        "leave",
        "leave pat",  # the call is empty: it has ended
        "press Book a follow-up",
        "",  # name: keep "Check-in"
        "2030-01-05 10:00",
        "",  # length
        "",  # repeats: doesn't
        "",  # number of sessions: none
        "",  # hosts: @alice
        "",  # guests on Slack: @bob
        "",  # guests without Slack: Pat Smith
        "",  # reminder
    )

    waiting = "[DM to @alice] 👋 Pat Smith is waiting in “Check-in”"
    assert out.count(waiting) == 1
    assert re.search(r"\[\d+\] Join now", out.split(waiting)[1].split("alice>")[0])
    # App Home follows the room without being reopened.
    after_pat = out.split("alice> open pat's link")[1].split("alice>")[0]
    assert "[your App Home]" in after_pat and "Check-in  👋 1 waiting" in after_pat
    # Alice coming in turns the alert into who is with Pat; the live cards follow.
    assert "[DM to @alice · updated] ✓ You're with Pat Smith in “Check-in”." in out
    assert "🟢 In now: @alice (you) · Waiting: Pat Smith · Not joined yet: @bob" in out
    assert "[DM to @bob · updated] You're invited to “Check-in” as a guest.\n      🟢 A host" in out
    assert "[DM to @bob] ⏳ @alice is waiting for you in “Check-in”." in out
    # The summary, after the last person left.
    summary = out.split("[DM to @alice] Check-in has ended")[1]
    assert "• @alice (host): 11 min" in summary and "• Pat Smith: 11 min" in summary
    assert "Never joined\n    • @bob" in summary
    # Book a follow-up: the form is filled in with the same people and title.
    form = summary.split("┌ Book a Coviu session")[1]
    assert "A follow-up to “Check-in”" in form
    assert "Session name (optional) [Check-in]:" in form
    assert "Hosts (names, e.g. @bob @carol) [@alice]:" in form
    assert "Guests on Slack (optional) (names, e.g. @bob @carol) [@bob]:" in form
    assert "Guests without Slack (optional) [Pat Smith]:" in form
    assert "└ submitted" in form
    assert "[DM to @bob] You're invited to “Check-in” as a guest." in form


def test_entry_pages_answer_mistakes_with_what_works(tmp_path):
    out = shell(
        tmp_path,
        "open nobody's link",
        "leave",
        "let pat in",
        '/coviu book "Check-in" with @bob tomorrow 3pm',
        "as bob",
        "open my link",  # far too early: Coviu's own page says when it opens
    )

    assert "nobody has no session to join that is not over. Book one first" in out
    assert "alice has no page open. `open alice's link` opens one" in out
    assert "Only a host with their page open can let people in" in out
    assert re.search(r"the page says: This session opens at .*, 10 minutes before it starts", out)


def test_pages_left_open_poll_through_a_skip_until_the_session_ends_it(tmp_path):
    out = shell(
        tmp_path,
        '/coviu book "Check-in" with @bob in 5 minutes',
        "as bob",
        "press Join",  # a Join button opens the page, as a browser would: Bob waits
        "as alice",
        "open my link",
        "let bob in",
        "skip 1h",  # nobody presses Leave; each page polls every minute, so nobody times out
    )

    assert "the page says: You're in the waiting room." in out
    assert "(alice's page for “Check-in” closed: This session has ended.)" in out
    assert "(bob's page for “Check-in” closed: This session has ended.)" in out
    summary = out.split("[DM to @alice] Check-in has ended")[1]
    # In from their entry to the session's end: half an hour or so each, nobody timed out.
    assert re.search(r"• @alice \(host\): 3\d min", summary)
    assert re.search(r"• @bob: 3\d min", summary)
