"""The store, on SQLite and on PostgreSQL alike: the one interface both sit behind.

    store.enqueue(key, kind, team, payload, now)      # once per Slack identity
    store.claim_jobs(worker, now, lease, limit)       # under a lease; a dead worker's come back
    store.add_session(..., messages=[...], step=...)  # a change, its DMs and its step: all or none
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.storage import ParticipantRecord, SessionRecord, Store
from bot.storage.db import ADDER_NAME
from bot.storage.migrations import MIGRATIONS
from bot.storage.store import Message

NOW = datetime(2030, 3, 18, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)

pytestmark = pytest.mark.both_databases


@pytest.fixture
def store(database: str):
    opened = Store.open(database)
    yield opened
    opened.close()


def session(session_id: str = "S1", start: datetime = NOW + timedelta(days=1)) -> SessionRecord:
    return SessionRecord(
        session_id=session_id,
        team_id="T1",
        title="Physio review",
        start=start,
        end=start + timedelta(minutes=45),
        booked_by="U1",
        reminder_minutes=10,
        status="booked",
    )


def person(participant_id: str, user: str | None, role: str = "GUEST", sid: str = "S1"):
    return ParticipantRecord(
        participant_id=participant_id,
        session_id=sid,
        team_id="T1",
        slack_user=user,
        display_name=user or "Pat Smith",
        role=role,
        entry_url=f"https://coviu.example/session/{participant_id}",
        added_by="U1",
        status="active",
    )


def invite(job: str, participant: ParticipantRecord) -> Message:
    return Message(
        key=f"{job}/invite/{participant.participant_id}",
        job_key=job,
        team_id="T1",
        user_id=participant.slack_user or "",
        kind="invite",
        session_id=participant.session_id,
        args={"participant_id": participant.participant_id},
    )


def book(store: Store, job: str = "job1") -> list[ParticipantRecord]:
    people = [person("P1", "U1", "HOST"), person("P2", "U2"), person("P3", None)]
    store.add_session(
        session(),
        people,
        NOW,
        messages=[invite(job, p) for p in people if p.slack_user],
        step=(job, "booked", "S1"),
    )
    return people


# -- schema -----------------------------------------------------------------------------------


def test_a_new_store_is_at_the_newest_schema_and_opening_again_changes_nothing(database):
    first = Store.open(database)
    book(first)
    first.close()
    again = Store.open(database)
    assert again.schema_version() == len(MIGRATIONS)
    assert again.session("S1") is not None
    again.close()


def test_several_processes_starting_at_once_migrate_once(database):
    errors: list[Exception] = []
    opened: list[Store] = []

    def start() -> None:
        try:
            opened.append(Store.open(database))
        except Exception as error:  # collected: a failed migration must fail the test
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {store.schema_version() for store in opened} == {len(MIGRATIONS)}
    for store in opened:
        store.close()


# -- jobs -------------------------------------------------------------------------------------


def test_a_request_is_recorded_once_however_often_slack_sends_it(store):
    assert store.enqueue("view:V1", "view:book", "T1", {"n": 1}, NOW) is True
    assert store.enqueue("view:V1", "view:book", "T1", {"n": 2}, NOW) is False
    [job] = store.claim_jobs("w1", NOW, LEASE, 10)
    assert job.payload == {"n": 1} and job.attempts == 1


def test_a_request_after_the_database_cut_its_connection_is_still_recorded(store, database):
    if not database.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a SQLite file has no connection to lose")
    assert store.enqueue("view:V1", "view:book", "T1", {"n": 1}, NOW) is True
    # The intake's own connection dies (a server restart, a failover, an idle timeout).
    with psycopg.connect(database, autocommit=True) as admin:
        cut = admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = %s",
            [ADDER_NAME],
        ).fetchall()
    assert cut == [(True,)]

    assert store.enqueue("view:V2", "view:book", "T1", {"n": 2}, NOW) is True
    assert store.enqueue("view:V1", "view:book", "T1", {"n": 3}, NOW) is False
    assert store.job_counts() == {"queued": 2}


def test_a_claimed_job_is_nobody_elses_until_its_lease_runs_out(store):
    store.enqueue("job", "command:/coviu", "T1", {}, NOW)
    assert len(store.claim_jobs("w1", NOW, LEASE, 10)) == 1
    assert store.claim_jobs("w2", NOW + timedelta(seconds=29), LEASE, 10) == []
    # w1 died: nobody renewed the lease. Another worker takes the job, as a second attempt.
    [again] = store.claim_jobs("w2", NOW + timedelta(seconds=31), LEASE, 10)
    assert again.attempts == 2


def test_a_renewed_lease_keeps_a_slow_job_with_its_worker(store):
    store.enqueue("job", "command:/coviu", "T1", {}, NOW)
    store.claim_jobs("w1", NOW, LEASE, 10)
    store.extend_leases("w1", ["job"], NOW + timedelta(seconds=60))
    assert store.claim_jobs("w2", NOW + timedelta(seconds=45), LEASE, 10) == []


def test_a_finished_job_never_runs_again_and_a_released_one_waits_its_turn(store):
    store.enqueue("done", "k", "T1", {}, NOW)
    store.enqueue("later", "k", "T1", {}, NOW)
    store.claim_jobs("w1", NOW, LEASE, 10)
    store.finish_job("done", "w1", NOW)
    store.release_job("later", "w1", NOW + timedelta(minutes=1))
    assert store.claim_jobs("w2", NOW + timedelta(seconds=59), LEASE, 10) == []
    assert [j.key for j in store.claim_jobs("w2", NOW + timedelta(minutes=2), LEASE, 10)] == [
        "later"
    ]
    assert store.job_counts() == {"done": 1, "running": 1}


def test_a_worker_that_lost_its_lease_cannot_finish_the_job_it_lost(store):
    store.enqueue("job", "k", "T1", {}, NOW)
    store.claim_jobs("w1", NOW, LEASE, 10)
    store.claim_jobs("w2", NOW + timedelta(minutes=1), LEASE, 10)
    store.finish_job("job", "w1", NOW + timedelta(minutes=1))
    assert store.job_counts() == {"running": 1}


def test_workers_claiming_at_once_never_share_a_job(store):
    for number in range(60):
        store.enqueue(f"job{number}", "k", "T1", {}, NOW)
    claimed: dict[str, list[str]] = {}

    def claim(worker: str) -> None:
        mine = claimed.setdefault(worker, [])
        while jobs := store.claim_jobs(worker, NOW, LEASE, 3):
            mine += [job.key for job in jobs]

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [key for keys in claimed.values() for key in keys]
    assert sorted(every) == sorted(f"job{n}" for n in range(60))


# -- a change, its DMs and its step: together -------------------------------------------------


def test_a_booking_is_recorded_with_its_reminders_invitations_and_step(store):
    people = book(store)
    assert store.step("job1", "booked") == "S1"
    assert store.participants("S1") == people
    assert [m.user_id for m in store.pending_messages("job1")] == ["U1", "U2"]
    # Reminders for the two people on Slack; the guest without Slack has none to get.
    assert store.reminder_counts() == {"pending": 2}


def test_a_change_that_fails_half_way_leaves_nothing_behind(store):
    book(store)
    # The session id is taken: the whole change is refused.
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)):
        store.add_session(
            session("S1"),
            [person("P9", "U9", sid="S1")],
            NOW,
            messages=[invite("job2", person("P9", "U9"))],
            step=("job2", "booked", "S1"),
        )
    assert store.step("job2", "booked") is None
    assert store.pending_messages("job2") == []
    assert [p.participant_id for p in store.participants("S1")] == ["P1", "P2", "P3"]


def test_a_sent_message_keeps_where_it_went_and_is_not_pending_again(store):
    book(store)
    first = store.pending_messages("job1")[0]
    store.message_sent(first, "D0001", "1700000000.000100", NOW)
    store.message_failed(store.pending_messages("job1")[0].key, "user_not_found")
    assert store.pending_messages("job1") == []
    sent, failed = store.messages_of("job1")
    assert (sent.status, sent.channel, sent.ts) == ("sent", "D0001", "1700000000.000100")
    assert (failed.status, failed.user_id) == ("failed", "U2")


# -- reminders --------------------------------------------------------------------------------


def test_a_due_reminder_is_claimed_once_and_comes_back_if_its_sender_dies(store):
    book(store)
    due = NOW + timedelta(days=1) - timedelta(minutes=10)
    assert store.claim_due_reminders(due - timedelta(seconds=1)) == []
    claimed = store.claim_due_reminders(due, lease=LEASE)
    assert sorted(r.participant.slack_user for r in claimed) == ["U1", "U2"]
    assert store.claim_due_reminders(due + timedelta(seconds=10)) == []
    store.finish_reminder("P1", True, due, channel="D1", ts="1.1")
    # U2's sender died before finishing: after the lease, it is due again, and only it.
    [again] = store.claim_due_reminders(due + timedelta(seconds=31))
    assert again.participant.slack_user == "U2"


def test_moving_a_session_makes_its_reminders_due_again_at_the_new_time(store):
    book(store)
    due = NOW + timedelta(days=1) - timedelta(minutes=10)
    for reminder in store.claim_due_reminders(due):
        store.finish_reminder(reminder.participant.participant_id, True, due)
    later = NOW + timedelta(days=2)
    store.move_session("S1", later, later + timedelta(minutes=45), NOW)
    assert store.next_reminder_due() == later - timedelta(minutes=10)


def test_a_cancelled_session_sends_no_reminders(store):
    book(store)
    store.cancel_session("S1", NOW)
    assert store.claim_due_reminders(NOW + timedelta(days=2)) == []
    assert store.reminder_counts() == {"cancelled": 2}


# -- people -----------------------------------------------------------------------------------


def test_facts_about_a_user_are_merged_not_replaced(store):
    store.cache_user("T1", "U1", name="Alice", tz="Australia/Sydney", fetched_at=NOW)
    store.cache_user("T1", "U1", dm_channel="D123")
    cached = store.cached_user("T1", "U1")
    assert (cached.name, cached.tz, cached.dm_channel, cached.fetched_at) == (
        "Alice",
        "Australia/Sydney",
        "D123",
        NOW,
    )
    assert store.cached_user("T2", "U1") is None
