"""The schema, for SQLite and PostgreSQL alike, as numbered steps: append only.

`migrate(db)` brings a database to the newest version and is safe when several processes
start at once: on PostgreSQL the steps run under an advisory lock in one transaction, on SQLite
under ``BEGIN IMMEDIATE``. The version lives where each keeps such things: SQLite's
``PRAGMA user_version`` (files from the first release are at 2 already) and a one-row table on
PostgreSQL.

Instants are ISO-8601 UTC text (``2030-03-18T09:00:00+00:00``), which sorts in time order in
both.
"""

from __future__ import annotations

from bot.storage.db import Database, Tx

# Each entry takes the schema from version N to N+1.
MIGRATIONS: list[list[str]] = [
    # 1: what the first release created.
    [
        """create table sessions (
            session_id text primary key, team_id text not null, title text not null,
            start_at text not null, end_at text not null, booked_by text not null,
            reminder_minutes integer, status text not null, created_at text, cancelled_at text)""",
        "create index idx_sessions_team_id_status_start_at on sessions (team_id, status, start_at)",
        """create table participants (
            participant_id text primary key,
            session_id text not null references sessions (session_id),
            team_id text not null, slack_user text, display_name text not null,
            role text not null, entry_url text not null, added_by text, status text not null)""",
        "create index idx_participants_session_id on participants (session_id)",
        """create index idx_participants_team_id_slack_user_status
            on participants (team_id, slack_user, status)""",
        """create table reminders (
            participant_id text primary key references participants (participant_id),
            session_id text not null, due_at text not null, status text not null,
            sent_at text)""",
        "create index idx_reminders_status_due_at on reminders (status, due_at)",
        """create table handled_requests (
            request_key text primary key, status text, outcome text, created_at text)""",
        """create table slack_users (
            team_id text, user_id text, name text, tz text, dm_channel text, fetched_at text,
            primary key (team_id, user_id))""",
    ],
    # 2: pruning handled requests by age.
    ["create index idx_handled_requests_created_at on handled_requests (created_at)"],
    # 3: durable work. Requests become jobs (deduped by Slack's identity of the request),
    # every DM the app owes is an outbox row, reminders are claimed under a lease, and the
    # steps a job has done are recorded in the transaction that did them.
    [
        "drop table handled_requests",
        """create table jobs (
            job_key text primary key, kind text not null, team_id text, payload text not null,
            status text not null, attempts integer not null default 0, run_after text not null,
            lease_owner text, lease_until text, created_at text not null, finished_at text,
            error text)""",
        "create index idx_jobs_status_run_after on jobs (status, run_after)",
        """create table job_steps (
            job_key text not null, step text not null, result text,
            primary key (job_key, step))""",
        """create table messages (
            message_key text primary key, job_key text, team_id text not null,
            user_id text not null, session_id text, kind text not null, args text,
            status text not null, attempts integer not null default 0, channel text, ts text,
            created_at text not null, sent_at text, error text)""",
        "create index idx_messages_job_key on messages (job_key)",
        "create index idx_messages_session_id on messages (session_id)",
        "alter table participants add column position integer",
        "alter table reminders add column lease_until text",
        "alter table reminders add column channel text",
        "alter table reminders add column ts text",
    ],
    # 4: the waiting room. Who is in each booked session now, from Coviu's webhooks (one row
    # per participant; `arrival` counts their entries, so one alert goes out per arrival),
    # and the DMs sent about it: "Pat is waiting" alerts and after-call summaries, each kept
    # with its channel and ts so it can be updated when a host comes in; and what each
    # invitation's live line last said.
    [
        """create table presence (
            participant_id text primary key, session_id text not null, role text not null,
            status text not null, arrival integer not null default 0,
            event_at bigint not null, updated_at text not null)""",
        "create index idx_presence_session_id on presence (session_id)",
        """create table room_messages (
            message_key text primary key, job_key text, kind text not null,
            session_id text not null,
            team_id text not null, user_id text not null, host_id text not null,
            guest_id text, arrival integer, outcome text, outcome_by text, args text,
            status text not null, attempts integer not null default 0, channel text, ts text,
            shown text, created_at text not null, sent_at text, error text)""",
        "create index idx_room_messages_session_id on room_messages (session_id)",
        # The live line each invitation shows (who is in now), so an unchanged one is not
        # sent to Slack again.
        """create table live_cards (
            message_key text primary key, line text not null, updated_at text not null)""",
    ],
    # 5: Slack Connect and confirmations that stay true. `home_team` is set for someone from
    # another organisation (their own team id): the app can't DM them. `confirmations` are
    # the bookers' private "Booked" answers, kept by the job whose response_url posted them
    # (the URL itself stays in that job's payload: no second copy of a secret), with how
    # many of Slack's 5 posts it has had.
    [
        "alter table participants add column home_team text",
        "alter table slack_users add column home_team text",
        """create table confirmations (
            session_id text primary key, team_id text not null, user_id text not null,
            job_key text not null, uses integer not null, status text not null,
            created_at text not null)""",
    ],
    # 6: several reminders per person, snooze, "starting now" and the morning list. A
    # reminder is one row per person and lead time (`lead_minutes`; 0 is the "Starting now" DM
    # at the start), keyed `<participant id>:<lead>`; `snoozed` means its DM, already sent,
    # is to be updated in place when it falls due again. A session may carry its own lead
    # times (JSON list; null: each person's default). Each person's defaults live in
    # `user_settings`; `morning_lists` holds one row per person per local day, claimed under a
    # lease like a reminder, so the list goes exactly once.
    [
        """create table reminders_by_lead (
            reminder_id text primary key,
            participant_id text not null references participants (participant_id),
            session_id text not null, lead_minutes integer not null, due_at text not null,
            status text not null, snoozed integer not null default 0, sent_at text,
            lease_until text, channel text, ts text)""",
        """insert into reminders_by_lead (reminder_id, participant_id, session_id, lead_minutes,
              due_at, status, sent_at, lease_until, channel, ts)
            select r.participant_id || ':' || coalesce(s.reminder_minutes, 10), r.participant_id,
              r.session_id, coalesce(s.reminder_minutes, 10), r.due_at, r.status, r.sent_at,
              r.lease_until, r.channel, r.ts
            from reminders r join sessions s on s.session_id = r.session_id""",
        # Sessions booked before this version get their "Starting now" DM too.
        """insert into reminders_by_lead (reminder_id, participant_id, session_id, lead_minutes,
              due_at, status)
            select r.participant_id || ':0', r.participant_id, r.session_id, 0, s.start_at,
              case when r.status in ('cancelled', 'dropped') then r.status else 'pending' end
            from reminders r join sessions s on s.session_id = r.session_id
            on conflict (reminder_id) do nothing""",
        "drop table reminders",
        "alter table reminders_by_lead rename to reminders",
        "create index idx_reminders_status_due_at on reminders (status, due_at)",
        "create index idx_reminders_participant_id on reminders (participant_id)",
        "create index idx_reminders_session_id on reminders (session_id)",
        "alter table sessions add column reminders text",
        """create table user_settings (
            team_id text not null, user_id text not null, reminders text, morning text,
            primary key (team_id, user_id))""",
        """create table morning_lists (
            team_id text not null, user_id text not null, day text not null,
            status text not null, lease_until text, channel text, ts text, sent_at text,
            primary key (team_id, user_id, day))""",
        "create index idx_morning_lists_status on morning_lists (status, lease_until)",
    ],
    # 7: many workspaces. Each installation (keyed by enterprise and team, '' for none: an
    # org-wide install has team ''), sealed whole with the secret key; the install flow's
    # one-time states; each workspace's own Coviu account (its secret sealed); and which
    # enterprise a team belongs to, learnt from its requests, so work without a payload (a
    # reminder) finds an org-wide install's token.
    [
        """create table installations (
            enterprise_id text not null, team_id text not null,
            is_enterprise_install integer not null, bot_user_id text,
            bot_token_expires_at text, sealed text not null, installed_at text not null,
            primary key (enterprise_id, team_id))""",
        "create table oauth_states (state text primary key, expires_at text not null)",
        """create table coviu_accounts (
            enterprise_id text not null, team_id text not null, api_url text not null,
            api_key text not null, sealed_secret text not null,
            embedded integer not null default 0, connected_by text,
            connected_at text not null, primary key (enterprise_id, team_id))""",
        "create table workspace_teams (team_id text primary key, enterprise_id text not null)",
    ],
    # 8: recurring series and calendar files. A series keeps its wall-clock time and zone
    # (3 pm stays 3 pm across DST) and its own lead times; each occurrence is its own
    # session, tied to the series and to the date it stands for (so a moved occurrence is
    # never created again). Each session counts its changes (`sequence`): calendar files
    # carry it as SEQUENCE, so a re-import replaces the old event. `app_keys` holds the key
    # calendar URLs are signed with.
    [
        """create table series (
            series_id text primary key, team_id text not null, title text not null,
            booked_by text not null, freq text not null, step integer not null,
            days text not null, wall_time text not null, zone text not null,
            minutes integer not null, first_date text not null, count integer,
            until_date text, reminder_minutes integer not null, people text not null,
            status text not null, created_at text not null)""",
        "create index idx_series_status on series (status)",
        # The series' own lead times (JSON list, as sessions.reminders; null: each person's).
        "alter table series add column reminders text",
        "alter table sessions add column series_id text",
        "alter table sessions add column occurrence text",
        "alter table sessions add column sequence integer not null default 0",
        "create index idx_sessions_series_id on sessions (series_id, occurrence)",
        """create table app_keys (name text primary key, secret text not null)""",
    ],
]


def _version(db: Database, tx: Tx) -> int:
    if db.dialect == "sqlite":
        return tx.execute("pragma user_version")[0]["user_version"]
    tx.execute("create table if not exists schema_version (version integer not null)")
    rows = tx.execute("select version from schema_version")
    if not rows:
        tx.execute("insert into schema_version (version) values (0)")
        return 0
    return rows[0]["version"]


def _set_version(db: Database, tx: Tx, version: int) -> None:
    if db.dialect == "sqlite":
        tx.execute(f"pragma user_version = {int(version)}")
    else:
        tx.execute("update schema_version set version = ?", [version])


def migrate(db: Database) -> int:
    """Bring `db` to the newest schema; returns its version."""
    with db.transaction() as tx:
        if db.dialect == "postgresql":
            # One migrator at a time across every process; the others wait, then find it done.
            tx.execute("select pg_advisory_xact_lock(7426001)")
        version = _version(db, tx)
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                tx.execute(statement)
            _set_version(db, tx, number)
        return max(version, len(MIGRATIONS))


def schema_version(db: Database) -> int:
    with db.transaction() as tx:
        return _version(db, tx)
