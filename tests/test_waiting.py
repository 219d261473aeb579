"""The waiting room in Slack, end to end: Coviu's webhooks in, DMs to the hosts out.

Alice books "Physio review" in five minutes, hosted by her and Dave, with Bob (on Slack) and
Pat Smith (no Slack) as guests. The people open their entry links over HTTP, as the page's
script does (``POST …/enter``, ``GET …/state``, ``POST …/leave``); the local Coviu API sends
its webhooks to the bot's ``/coviu/webhooks`` and `bot.idle()` waits until they are delivered
and the bot's work is done. Time moves on the shared clock only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from conftest import ALICE, BOB, DAVE, WEBHOOK_SECRET

from bot.httpserve import ServerThread
from bot.slackfake import payloads
from bot.storage import ParticipantRecord
from bot.waiting.webhooks import SECRET_HEADER, WebhookReceiver
from bot.web import create_web_app


@pytest.fixture
def physio(bot: Any, coviu: Any) -> dict[str, ParticipantRecord]:
    """The session, by who is in it: alice, dave (hosts), bob and pat (guests)."""
    bot.command(ALICE, 'book "Physio review" with @bob host @dave in 5 minutes for 30 min')
    bot.command(ALICE, 'add "Pat Smith"')
    [session] = list(coviu.api.iter_sessions())
    people = bot.services.store.participants(session.session_id)
    names = {ALICE: "alice", BOB: "bob", DAVE: "dave", None: "pat"}
    return {names[p.slack_user]: p for p in people}


# -- acting as the people on their entry pages -------------------------------------------------


def page(participant: ParticipantRecord, action: str, **body: Any) -> dict[str, Any]:
    url = f"{participant.entry_url}/{action}"
    answer = requests.get(url) if action == "state" else requests.post(url, json=body or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


def let_in(host: ParticipantRecord, name: str) -> None:
    [token] = [p["token"] for p in page(host, "state")["waiting"] if p["display_name"] == name]
    page(host, "admit", token=token)


def minutes_pass(bot: Any, minutes: int, *present: ParticipantRecord) -> None:
    """Time passes with these people's pages open (each polls, as the page does)."""
    for _ in range(minutes):
        bot.clock.advance(timedelta(minutes=1))
        for participant in present:
            page(participant, "state")


# -- what the hosts see -------------------------------------------------------------------------


def alerts(slack: Any, user: str) -> list[Any]:
    """The waiting-room alerts in `user`'s DM with the app, as they read now."""
    return [m for m in slack.dms(user) if "waiting" in m.text or "is with" in m.text
            or "You're with" in m.text or "left the waiting room" in m.text]  # fmt: skip


def summaries(slack: Any, user: str) -> list[Any]:
    return [m for m in slack.dms(user) if "has ended" in m.text]


def deliver(bot: Any, body: Any, secret: str | None = WEBHOOK_SECRET) -> requests.Response:
    """POST a webhook to the bot as Coviu does (with `secret`; none at all when None)."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return requests.post(f"{bot.server.url}/coviu/webhooks", json=body, headers=headers)


def join_event(bot: Any, participant: ParticipantRecord, status: str = "waiting") -> dict:
    return {
        "type": "participant:join",
        "createdAt": int(bot.clock().timestamp()),
        "payload": {"teamId": "clinic", "sessionId": participant.session_id,
                    "participantId": participant.participant_id,
                    "role": participant.role, "status": status},
    }  # fmt: skip


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_a_guest_waiting_before_any_host_gets_each_host_one_dm_with_their_own_link(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    page(physio["pat"], "enter")
    bot.idle()

    for host, user in (("alice", ALICE), ("dave", DAVE)):
        [alert] = alerts(slack, user)
        assert "Pat Smith is waiting" in alert.text and "Physio review" in alert.text
        [join] = alert.buttons()
        assert join.text == "Join now" and join.style == "primary"
        assert join.url == physio[host].entry_url  # each host's own link, nobody else's
    assert alerts(slack, BOB) == []  # guests are not told
    # The alerts name Pat, never Pat's link (Alice, who added Pat, got that once, privately).
    told = "\n".join(m.text_content() + str(m.blocks) for m in alerts(slack, DAVE))
    assert physio["pat"].participant_id not in told and physio["alice"].entry_url not in told


@pytest.mark.both_databases
def test_a_page_reload_or_a_repeated_join_sends_no_second_alert(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    pat = physio["pat"]
    page(pat, "enter")
    bot.idle()
    page(pat, "enter")  # the page reloaded: Coviu records nothing new
    page(pat, "state")
    bot.idle()
    # Coviu itself saying again that Pat joined (a later event, not a redelivery).
    bot.clock.advance(timedelta(seconds=30))
    assert deliver(bot, join_event(bot, pat)).status_code == 200
    bot.idle()

    assert len(alerts(slack, ALICE)) == 1 and len(alerts(slack, DAVE)) == 1


@pytest.mark.both_databases
def test_a_host_coming_in_updates_the_alerts_to_say_who_is_with_the_guest(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    page(physio["pat"], "enter")
    bot.idle()
    page(physio["alice"], "enter")
    bot.idle()

    [to_dave] = alerts(slack, DAVE)
    assert to_dave.edits, "the alert was updated in place, not sent again"
    assert f"<@{ALICE}> is with Pat Smith" in to_dave.text
    assert [b.text for b in to_dave.buttons()] == ["Join"]  # no "Join now" urgency
    assert to_dave.buttons()[0].style is None
    [to_alice] = alerts(slack, ALICE)
    assert "You're with Pat Smith" in to_alice.text


def test_a_guest_arriving_while_a_host_is_in_sends_no_alert(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    page(physio["alice"], "enter")
    page(physio["pat"], "enter")
    bot.idle()
    assert alerts(slack, ALICE) == [] and alerts(slack, DAVE) == []


def test_a_guest_who_leaves_before_anyone_comes_has_their_alert_say_so(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    page(physio["pat"], "enter")
    bot.idle()
    page(physio["pat"], "leave")
    bot.idle()

    [alert] = alerts(slack, DAVE)
    assert "Pat Smith left the waiting room" in alert.text and alert.buttons() == []
    # Coming back (a minute later: Coviu's events are stamped to the second, and two of the
    # same kind in one second are one event) is a new arrival: a new alert.
    bot.clock.advance(timedelta(minutes=1))
    page(physio["pat"], "enter")
    bot.idle()
    assert [a.text for a in alerts(slack, DAVE)][-1].startswith("Pat Smith is waiting")
    assert len(alerts(slack, DAVE)) == 2


@pytest.mark.both_databases
def test_the_call_ending_sends_each_host_a_summary_with_the_attendance(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    alice, pat = physio["alice"], physio["pat"]
    page(pat, "enter")
    page(alice, "enter")  # 09:00
    let_in(alice, "Pat Smith")
    minutes_pass(bot, 10, alice, pat)
    page(alice, "leave")  # 09:10
    minutes_pass(bot, 2, pat)
    page(pat, "leave")  # 09:12: the call is empty, after its start (09:05)
    bot.idle()

    for user in (ALICE, DAVE):
        [summary] = summaries(slack, user)
        text = summary.text_content()
        assert "Physio review" in text and "(12 min)" in text
        attended = text.split("*Attended*")[1].split("*Never joined*")[0]
        assert f"<@{ALICE}> (host): 10 min" in attended
        assert "Pat Smith: 12 min" in attended
        never = text.split("*Never joined*")[1]
        assert f"<@{BOB}>" in never and f"<@{DAVE}> (host)" in never
    assert summaries(slack, BOB) == []  # hosts only


def test_a_call_still_on_when_the_session_ends_is_summarised_too(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    """Nobody presses Leave: the session's end closes the call, and the page polling then
    (refused: "This session has ended.") is what makes Coviu settle it and say so."""
    alice, pat = physio["alice"], physio["pat"]
    page(pat, "enter")
    page(alice, "enter")
    let_in(alice, "Pat Smith")
    minutes_pass(bot, 34, alice, pat)  # the session ends at 35 minutes from now
    bot.clock.advance(timedelta(minutes=1))

    ended = requests.get(f"{pat.entry_url}/state")
    assert ended.status_code == 410 and "ended" in ended.text
    bot.idle()

    [summary] = summaries(slack, ALICE)
    assert "(35 min)" in summary.text_content()
    assert "Pat Smith: 35 min" in summary.text_content()


def home_line(slack: Any, user: str) -> str:
    """The first line of "Physio review" in `user`'s App Home, as it reads now."""
    home = slack.home(user)
    assert home is not None, f"{user} has no App Home"
    [line] = [ln for ln in home.text_content().splitlines() if "Physio review" in ln]
    return line


@pytest.mark.both_databases
def test_app_home_shows_how_many_wait_and_follows_the_room_without_being_reopened(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    bot.open_home(ALICE)
    assert "waiting" not in home_line(slack, ALICE)

    page(physio["pat"], "enter")
    bot.idle()
    assert "1 waiting" in home_line(slack, ALICE)
    assert "1 waiting" in home_line(slack, DAVE)  # a host who never opened it, too
    bot.command(ALICE, "list")
    assert "Physio review*  :wave: *1 waiting*" in bot.last_reply(ALICE).text_content()

    page(physio["bob"], "enter")
    bot.idle()
    assert "2 waiting" in home_line(slack, ALICE)
    # A guest never learns who else waits: Bob's Home (when he opens it) shows no count.
    bot.open_home(BOB)
    assert "waiting" not in home_line(slack, BOB)

    page(physio["alice"], "enter")
    let_in(physio["alice"], "Pat Smith")
    page(physio["bob"], "leave")
    bot.idle()
    assert "waiting" not in home_line(slack, ALICE)


def end_the_call(bot: Any, physio: dict[str, ParticipantRecord]) -> None:
    """Alice sees Pat for ten minutes, then both leave: the call ends."""
    alice, pat = physio["alice"], physio["pat"]
    page(pat, "enter")
    page(alice, "enter")
    let_in(alice, "Pat Smith")
    minutes_pass(bot, 10, alice, pat)
    page(alice, "leave")
    page(pat, "leave")
    bot.idle()


def form_fields(view: Any) -> dict[str, Any]:
    return {b["block_id"]: b["element"] for b in view.blocks if b["type"] == "input"}


@pytest.mark.both_databases
def test_book_a_follow_up_opens_the_form_with_the_same_people_and_title(
    bot: Any, slack: Any, coviu: Any, physio: dict[str, ParticipantRecord]
) -> None:
    end_the_call(bot, physio)
    [summary] = summaries(slack, DAVE)
    [button] = [b for b in summary.buttons() if b.text == "Book a follow-up"]

    bot.click(DAVE, summary, button.action_id, button.value)

    [form] = slack.view_stack(DAVE)
    fields = form_fields(form)
    assert fields["title"]["initial_value"] == "Physio review"
    assert fields["hosts"]["initial_users"] == [DAVE, ALICE]  # the clicker books it
    assert fields["guests"]["initial_users"] == [BOB]
    assert fields["external"]["initial_value"] == "Pat Smith"
    assert fields["length"]["initial_option"]["value"] == "30"
    assert "initial_date_time" not in fields["when"]  # a new time is Dave's to choose
    assert "A follow-up to “Physio review”" in form.text_content()

    next_week = bot.clock() + timedelta(days=7)
    assert not bot.submit(DAVE, form, {"when": int(next_week.timestamp())}).errors
    follow_up = [s for s in coviu.api.iter_sessions() if s.session_id != physio["pat"].session_id]
    [session] = follow_up
    assert session.session_name == "Physio review"
    assert sorted(p.display_name for p in session.participants if p.role == "GUEST")[-1] == (
        "Pat Smith"
    )
    assert "Physio review" in slack.dms(BOB)[-1].text_content()


def test_only_a_sessions_host_can_book_a_follow_up_from_it(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    """Bob only attended. Slack shows the summary to hosts alone, so this is a click built
    by hand (signed as Slack signs): the button of Alice's summary, pressed as Bob."""
    end_the_call(bot, physio)
    [summary] = summaries(slack, ALICE)
    [block] = [b for b in summary.blocks if b["type"] == "actions"]
    bob_dm = slack.im_channel(BOB)
    payload = payloads.block_actions(
        user=slack.users[BOB],
        team_id=slack.team_id,
        team_domain=slack.team_domain,
        api_app_id=slack.app_id,
        token=slack.verification_token,
        trigger_id=slack.new_trigger_id(BOB),
        actions=[payloads.action(block["elements"][0], block["block_id"], None, "1.0", {})],
        container={"type": "message", "message_ts": "1.0", "channel_id": bob_dm},
        channel={"id": bob_dm, "name": "directmessage"},
        response_url=slack.issue_response_url(BOB, bob_dm),
    )

    sent = slack.post_signed(
        payloads.interactive_body(payload), "application/x-www-form-urlencoded"
    )
    bot.idle()

    assert sent.status == 200
    assert slack.view_stack(BOB) == []  # no form
    refusal = bot.last_reply(BOB).text_content()
    assert "Only a host of “Physio review” can book a follow-up from it." in refusal


@pytest.mark.both_databases
def test_a_duplicate_delivery_changes_nothing(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    pat = physio["pat"]
    page(pat, "enter")
    bot.idle()
    jobs = bot.services.store.job_counts()

    # Exactly what Coviu sent for Pat's arrival, delivered again.
    assert deliver(bot, join_event(bot, pat)).status_code == 200
    bot.idle()

    assert bot.services.store.job_counts() == jobs
    assert len(alerts(slack, ALICE)) == 1 and len(alerts(slack, DAVE)) == 1


@pytest.mark.both_databases
@pytest.mark.parametrize("secret", [None, "", "not-the-secret", WEBHOOK_SECRET + "x"])
def test_a_forged_or_unsigned_webhook_is_refused(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord], secret: str | None
) -> None:
    jobs = bot.services.store.job_counts()
    answer = deliver(bot, join_event(bot, physio["pat"]), secret=secret)
    bot.idle()

    assert answer.status_code == 401
    assert WEBHOOK_SECRET not in answer.text
    assert bot.services.store.job_counts() == jobs
    assert alerts(slack, ALICE) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[]", 400),
        (b'{"type": "participant:join", "createdAt": 1}', 400),
        (b'{"type": "participant:join", "createdAt": "soon", "payload": {"sessionId": "s"}}', 400),
        (b'{"type": "participant:join", "createdAt": 1, "payload": {}}', 400),
        (b"\xff\xfe", 400),
        (b"{" + b" " * 20_000 + b"}", 413),
    ],
)
def test_a_malformed_webhook_is_a_400_never_a_crash(bot: Any, body: bytes, status: int) -> None:
    answer = requests.post(
        f"{bot.server.url}/coviu/webhooks", data=body, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert answer.status_code == status, answer.text


def test_unknown_types_and_sessions_the_app_did_not_book_are_acknowledged_and_ignored(
    bot: Any, physio: dict[str, ParticipantRecord]
) -> None:
    jobs = bot.services.store.job_counts()
    pat = join_event(bot, physio["pat"])
    for body in (
        {**pat, "type": "participant:on-hold"},
        {**pat, "type": "session:update"},
        {**pat, "payload": {**pat["payload"], "sessionId": "not-ours"}},
    ):
        answer = deliver(bot, body)
        assert answer.status_code == 200, answer.text
    bot.idle()
    assert bot.services.store.job_counts() == jobs


def test_only_post_is_served(bot: Any) -> None:
    assert requests.get(f"{bot.server.url}/coviu/webhooks").status_code == 405


def test_with_no_secret_configured_every_webhook_is_refused(bot: Any) -> None:
    receiver = WebhookReceiver(bot.services.store, None)
    for given in ("", WEBHOOK_SECRET, "anything"):
        status, body = receiver.handle(b"{}", {SECRET_HEADER: given})
        assert status == 401 and "webhooks refused" in body["error"]
    # A server built without a receiver (no COVIU_WEBHOOK_SECRET) says the same.
    with ServerThread(create_web_app(bot.app.intake)) as server:
        answer = requests.post(
            f"{server.url}/coviu/webhooks", json={}, headers={SECRET_HEADER: WEBHOOK_SECRET}
        )
    assert answer.status_code == 401 and "webhooks refused" in answer.text


def invitation(slack: Any, user: str) -> Any:
    [invite] = [m for m in slack.dms(user) if "You're invited" in m.text]
    return invite


def live(slack: Any, user: str) -> str:
    """The live line of `user`'s invitation: its last block."""
    last = invitation(slack, user).blocks[-1]
    assert last["type"] == "context"
    return last["elements"][0]["text"]


@pytest.mark.both_databases
def test_invitations_are_live_cards_showing_who_is_in_now(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    page(physio["pat"], "enter")
    bot.idle()
    assert live(slack, DAVE) == (
        f":white_circle: Nobody is in · Waiting: Pat Smith · Not joined yet: <@{BOB}>"
    )
    # A guest learns whether a host is in, never who else is waiting.
    assert live(slack, BOB) == ":white_circle: No host is in yet."

    page(physio["alice"], "enter")
    let_in(physio["alice"], "Pat Smith")
    bot.idle()
    assert live(slack, DAVE) == (
        f":large_green_circle: In now: <@{ALICE}>, Pat Smith · Not joined yet: <@{BOB}>"
    )
    assert live(slack, ALICE).startswith(f":large_green_circle: In now: <@{ALICE}> (you),")
    assert live(slack, BOB) == ":large_green_circle: A host is in now."
    # Still the invitation: its Join button is Bob's own link.
    [join] = [b for b in invitation(slack, BOB).buttons() if b.action_id == "join"]
    assert join.url == physio["bob"].entry_url


def nudges(slack: Any, user: str) -> list[Any]:
    return [m for m in slack.dms(user) if "is waiting for you" in m.text]


@pytest.mark.both_databases
def test_five_minutes_after_the_start_a_guest_on_slack_who_has_not_come_is_nudged_once(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    alice = physio["alice"]
    page(alice, "enter")  # 09:00; the session starts at 09:05
    bot.idle()
    minutes_pass(bot, 9, alice)
    bot.idle()
    assert nudges(slack, BOB) == []  # 09:09: not yet

    minutes_pass(bot, 1, alice)  # 09:10
    bot.idle()
    [nudge] = nudges(slack, BOB)
    assert nudge.text == f"<@{ALICE}> is waiting for you in “Physio review”."
    [join] = nudge.buttons()
    assert join.url == physio["bob"].entry_url
    # External guests are the host's to chase: Dave's card says who has not come.
    assert live(slack, DAVE).endswith(f"Not joined yet: <@{BOB}>, Pat Smith")

    minutes_pass(bot, 5, alice)
    bot.idle()
    assert len(nudges(slack, BOB)) == 1


def test_nobody_is_nudged_when_no_host_is_in(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]
) -> None:
    page(physio["pat"], "enter")
    minutes_pass(bot, 12, physio["pat"])
    bot.idle()
    assert nudges(slack, BOB) == []
