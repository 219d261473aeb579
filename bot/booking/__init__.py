"""The booking rules, in plain Python: book, cancel, reschedule, add and remove people.

Nothing here knows Slack payloads or Block Kit. The service is given a Coviu client, the store,
a directory (who a Slack user is: name and time zone), a notifier (how to tell people) and a
clock, and keeps them in step::

    service = BookingService(coviu, store, directory, outbox)
    booked = service.book(BookingRequest(team_id="T1", booked_by="U1", title="Physio review",
                                         start=start, end=end, guests=("U2",)),
                          key="command:T1:U1:trigger")

Every change is made under a `key` (the job's: Slack's identity of the request) and may be
run again with the same key after a crash: each step records that it was done in the same
transaction as its effect, and a rerun does only what is left. The Coviu create is the step
that can't be undone by a transaction: its first participant carries a tag of the key, so a
rerun finds a session created by an attempt that died and records it instead of booking
twice. The DMs a change owes are queued with it and sent by the outbox, once each.

Every refusal is a `BookingError` whose message is fit to show the person, with an example of
what works. A session Coviu created but the store could not record is cancelled again, and a
create whose answer was lost (Coviu timed out) is looked for and cancelled, so Coviu and the
store never disagree about what is booked.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from bot.coviu.client import CoviuClient
from bot.coviu.errors import CoviuError, NotFound, StateConflict
from bot.coviu.models import NewParticipant, Participant, Session
from bot.storage import ParticipantRecord, SessionRecord, Store
from bot.storage.store import Message

log = logging.getLogger(__name__)

MAX_LENGTH = timedelta(hours=12)
DEFAULT_TITLE = "Coviu session"  # when nobody names the session
EXAMPLE = '`/coviu book "Physio review" with @alice tomorrow 3pm for 45 min`'


class BookingError(Exception):
    """A refusal to show the person as it is. `field` names the modal input it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Directory(Protocol):
    def display_name(self, team_id: str, user_id: str) -> str:
        """The name to show for a Slack user; LookupError if there is no such person."""
        ...

    def home_team(self, team_id: str, user_id: str) -> str | None:
        """Another organisation's team id for a Slack Connect member (who can be booked but
        not DMed); None for the workspace's own people."""
        ...


class Outbox(Protocol):
    def deliver(self, key: str) -> list[Message]:
        """Send the DMs a change queued under `key`; those Slack would not take."""
        ...

    def refresh(self, session_id: str) -> None:
        """Bring the DMs already sent about a session up to date with it."""
        ...


@dataclass(frozen=True)
class BookingRequest:
    team_id: str
    booked_by: str
    title: str
    start: datetime
    end: datetime
    hosts: tuple[str, ...] = ()
    guests: tuple[str, ...] = ()
    external_guests: tuple[str, ...] = ()
    reminder_minutes: int = 10
    booker_is_host: bool = True
    # The booking's own lead times (`remind 1 day and 10 min before`, the form's picker);
    # () for no reminder; None: each person's default (App Home), else `reminder_minutes`.
    reminders: tuple[int, ...] | None = None
    # An occurrence of a series (`bot.booking.recurring`): the series and the date it stands for.
    series_id: str | None = None
    occurrence: date | None = None
    # Whether everyone is DMed an invitation: a series invites once, with its first session;
    # each later one comes with its reminder's Join button.
    invite: bool = True


@dataclass(frozen=True)
class Booked:
    session: SessionRecord
    participants: list[ParticipantRecord]
    # People whose DM could not be delivered: the booking stands; the booker is told.
    undelivered: list[ParticipantRecord] = field(default_factory=list)


def participant_state(team_id: str, user_id: str | None, booking: str | None = None) -> str:
    """The participant's Coviu `state`: who they are in Slack, so Coviu's records map back."""
    data = {"team": team_id, "user": user_id}
    if booking:
        data["booking"] = booking
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def check_times(start: datetime, end: datetime, now: datetime) -> None:
    """The time rules every booking and move must keep.

    >>> check_times(datetime(2030, 1, 1, 15, tzinfo=UTC), datetime(2030, 1, 1, 14, tzinfo=UTC),
    ...             datetime(2029, 1, 1, tzinfo=UTC))
    Traceback (most recent call last):
    bot.booking.BookingError: The session must end after it starts. Try "3pm for 45 min".
    """
    if start <= now:
        raise BookingError(
            'That time has already passed. Pick a time in the future, e.g. "tomorrow 3pm".',
            field="when",
        )
    if end <= start:
        raise BookingError(
            'The session must end after it starts. Try "3pm for 45 min".', field="length"
        )
    if end - start > MAX_LENGTH:
        raise BookingError(
            'A session can last at most 12 hours. Try "tomorrow 9am for 2 hours".',
            field="length",
        )


def problems(request: BookingRequest, now: datetime) -> dict[str, str]:
    """Every rule a booking request breaks, keyed by the form field it is about; empty when
    it may be booked. The booking form shows them inline; `BookingService.book` refuses with
    the first."""
    found: dict[str, str] = {}
    people = _people(request)
    if not any(role == "HOST" for _, role in people):
        found["hosts"] = (
            "A session needs at least one host. Add yourself or someone else as host, "
            'e.g. "host @bob".'
        )
    if len(people) + len(request.external_guests) < 2:
        found["guests"] = (
            "A session needs someone to meet: add a guest on Slack (mention them, e.g. "
            '"with @their-name") or a guest without Slack by name.'
        )
    try:
        check_times(request.start, request.end, now)
    except BookingError as error:
        found[error.field or "when"] = error.message
    return found


class BookingService:
    def __init__(
        self,
        coviu: CoviuClient,
        store: Store,
        directory: Directory,
        outbox: Outbox,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        schedule_changed: Callable[[], None] = lambda: None,
        fanout: Executor | None = None,
    ) -> None:
        """`schedule_changed` is called whenever reminders were added, moved or dropped
        (the worker's `wake`); `fanout` runs look-ups side by side (one at a time without)."""
        self.fanout = fanout or _Inline()
        self.coviu = coviu
        self.store = store
        self.directory = directory
        self.outbox = outbox
        self.clock = clock
        self.schedule_changed = schedule_changed

    # -- reading ------------------------------------------------------------------------------

    def upcoming(self, team_id: str, user_id: str) -> list[SessionRecord]:
        return self.store.upcoming_for(team_id, user_id, self.clock())

    def hosting(self, team_id: str, user_id: str) -> list[SessionRecord]:
        """Sessions this person hosts that have not started: the ones they may change."""
        return self.store.upcoming_for(team_id, user_id, self.clock(), hosting=True)

    def participants(self, session_id: str) -> list[ParticipantRecord]:
        return self.store.participants(session_id)

    def own_participant(
        self, session_id: str, team_id: str, user_id: str
    ) -> ParticipantRecord | None:
        for participant in self.store.participants(session_id):
            if participant.team_id == team_id and participant.slack_user == user_id:
                return participant
        return None

    def _name(self, team_id: str, user_id: str) -> str:
        try:
            return self.directory.display_name(team_id, user_id)
        except LookupError:
            raise BookingError(
                f"<@{user_id}> isn't a person I can invite in this workspace. "
                'Mention people with @, e.g. "with @alice".',
                field="guests",
            ) from None

    def _with_home(self, participant: ParticipantRecord) -> ParticipantRecord:
        """Marked with their organisation's team when they are from another one (from the
        look-up their name came from: no extra call)."""
        if not participant.slack_user:
            return participant
        try:
            home = self.directory.home_team(participant.team_id, participant.slack_user)
        except Exception:
            # Not knowing only costs a DM attempt Slack will refuse: never the booking.
            log.warning("could not tell which organisation a participant is from")
            return participant
        return replace(participant, home_team=home) if home else participant

    def _deliver(self, key: str) -> list[ParticipantRecord]:
        """Send what `key` owes; the people Slack would not take a DM for."""
        failed = {m.args.get("participant_id") for m in self.outbox.deliver(key)}
        if not failed:
            return []
        return [p for p in self.store.participants_by_id(failed) if p.participant_id in failed]

    # -- booking ------------------------------------------------------------------------------

    def book(self, request: BookingRequest, key: str) -> Booked:
        """Book a session once per `key`, however often the request is run."""
        session_id = self.store.step(key, "booked")
        if session_id is None:
            session_id = self._book(request, key)
        session = self.store.session(session_id)
        if session is None:  # recorded in the same transaction as the step: can't happen
            raise BookingError("Something went wrong saving the booking. Please try again.")
        undelivered = self._deliver(key)
        return Booked(session, self.store.participants(session_id), undelivered)

    def _book(self, request: BookingRequest, key: str) -> str:
        now = self.clock()
        tag = hashlib.sha256(key.encode()).hexdigest()[:16]
        people = _people(request)
        tagged_state = participant_state(request.team_id, people[0][0], tag) if people else ""
        # An attempt that died after asking Coviu may have left a session tagged with this key.
        created = None
        if self.store.step(key, "creating") is not None:
            created = self._find_created(tagged_state, request)
        else:
            self.store.record_step(key, "creating")
        if created is None:
            if found := problems(request, now):
                field, message = next(iter(found.items()))
                raise BookingError(message, field=field)
            created = self._create(request, tagged_state, tag, people)
        session = SessionRecord(
            session_id=created.session_id,
            team_id=request.team_id,
            title=request.title,
            start=request.start,
            end=request.end,
            booked_by=request.booked_by,
            reminder_minutes=request.reminder_minutes,
            status="booked",
            reminders=request.reminders,
            series_id=request.series_id,
            occurrence=request.occurrence,
        )
        participants = [
            self._with_home(_record(participant, request.team_id, request.booked_by))
            for participant in created.participants
        ]
        invitations = [
            _message(key, "invite", p) for p in participants if p.slack_user and request.invite
        ]
        try:
            self.store.add_session(
                session,
                participants,
                now,
                messages=invitations,
                step=(key, "booked", session.session_id),
            )
        except Exception as error:
            log.exception("could not record a session; cancelling it at Coviu")
            self._cancel_quietly(session.session_id)
            raise BookingError(
                "Something went wrong saving the booking, so nothing was booked. Please try again."
            ) from error
        self.schedule_changed()
        return session.session_id

    def _find_created(self, tagged_state: str, request: BookingRequest) -> Session | None:
        try:
            # By the tag alone: it names this request and nothing else.
            for found in self.coviu.iter_sessions(state=tagged_state):
                if not found.canceled:
                    return found
        except CoviuError as error:
            raise _coviu_refusal(error, "book the session") from error
        return None

    def _create(
        self, request: BookingRequest, tagged_state: str, tag: str, people: list[tuple[str, str]]
    ) -> Session:
        # Everyone's name at once, and a Coviu token meanwhile: one round trip, not many.
        token = self.fanout.submit(self.coviu.warm)
        names = list(self.fanout.map(lambda person: self._name(request.team_id, person[0]), people))
        with contextlib.suppress(CoviuError):
            token.result()  # a failure shows again, and is answered, at the create
        slack_people = [
            NewParticipant(
                display_name=name,
                role=role,
                state=tagged_state if index == 0 else participant_state(request.team_id, user),
            )
            for index, ((user, role), name) in enumerate(zip(people, names, strict=True))
        ]
        external_people = [
            NewParticipant(
                display_name=name, role="GUEST", state=participant_state(request.team_id, None)
            )
            for name in request.external_guests
        ]
        try:
            return self.coviu.create_session(
                start=request.start,
                end=request.end,
                name=request.title,
                participants=slack_people + external_people,
            )
        except CoviuError as error:
            if error.maybe_applied:
                self._cancel_lost_creates(tagged_state, request.start, request.end)
            raise _coviu_refusal(error, "book the session") from error

    def _cancel_lost_creates(self, tagged_state: str, start: datetime, end: datetime) -> None:
        """A create whose answer never came may still have happened: find it and undo it."""
        try:
            for session in self.coviu.iter_sessions(state=tagged_state, start=start, end=end):
                self._cancel_quietly(session.session_id)
        except CoviuError:
            log.warning("could not look for a lost create; Coviu is not answering")

    def _cancel_quietly(self, session_id: str) -> None:
        try:
            self.coviu.cancel_session(session_id)
        except CoviuError:
            log.warning("could not cancel a session at Coviu")

    # -- changing -----------------------------------------------------------------------------

    def session_for_host(self, session_id: str, team_id: str, user_id: str) -> SessionRecord:
        """The session, if `user_id` may change it; a clear refusal otherwise."""
        session = self.store.session(session_id)
        if session is None or session.team_id != team_id:
            raise BookingError(
                "I can't find that session. `/coviu list` shows your upcoming sessions."
            )
        if session.cancelled:
            raise BookingError(
                f"“{session.title}” was cancelled, so it can't be changed. "
                f"Book a new one with {EXAMPLE}."
            )
        if session.end <= self.clock():
            raise BookingError(f"“{session.title}” has already ended.")
        me = self.own_participant(session_id, team_id, user_id)
        if me is None or not me.is_host:
            raise BookingError(
                f"Only a host of “{session.title}” can change or cancel it. "
                "Ask one of its hosts, or see `/coviu list` for sessions you host."
            )
        return session

    def follow_up(self, session_id: str, team_id: str, user_id: str) -> BookingRequest:
        """What a follow-up to a session starts from: the same title, length, reminder and
        people (the hosts, the guests on Slack, the guests without Slack), with no time yet.
        Only the session's hosts may book one from it: the after-call summary goes to them.
        The returned request's `start`/`end` are the original's: the form asks for a new time.
        """
        session = self.store.session(session_id)
        if session is None or session.team_id != team_id:
            raise BookingError(f"I can't find that session. Book a new one with {EXAMPLE}.")
        me = self.own_participant(session_id, team_id, user_id)
        if me is None or not me.is_host:
            raise BookingError(
                f"Only a host of “{session.title}” can book a follow-up from it. "
                f"Book a new one with {EXAMPLE}."
            )
        people = self.store.participants(session_id)
        slack_hosts = [p.slack_user for p in people if p.is_host and p.slack_user]
        return BookingRequest(
            team_id=team_id,
            booked_by=user_id,
            title=session.title,
            start=session.start,
            end=session.end,
            # The clicker first: the form lists the booker as a host, as a new booking would.
            hosts=tuple(dict.fromkeys([user_id, *slack_hosts])),
            guests=tuple(p.slack_user for p in people if not p.is_host and p.slack_user),
            external_guests=tuple(
                p.display_name for p in people if not p.slack_user and not p.is_host
            ),
            reminder_minutes=session.reminder_minutes,
            reminders=session.reminders,
        )

    def _told(
        self, key: str, change: str, by: str, people: Sequence[ParticipantRecord]
    ) -> list[Message]:
        return [
            _message(key, "changed", p, change=change, by=by)
            for p in people
            if p.slack_user and p.slack_user != by
        ]

    def cancel(
        self, session_id: str, team_id: str, user_id: str, key: str | None = None
    ) -> SessionRecord:
        key = key or _once()
        if self.store.step(key, "cancelled") is None:
            session = self.session_for_host(session_id, team_id, user_id)
            if session.start <= self.clock():
                raise BookingError(
                    f"“{session.title}” has already started, so it can't be cancelled."
                )
            try:
                self.coviu.cancel_session(session_id)
            except NotFound:
                pass  # gone at Coviu already: record it as cancelled here too
            except CoviuError as error:
                if not self._cancelled_at_coviu(session_id, error):
                    raise _coviu_refusal(error, "cancel the session") from error
            self.store.cancel_session(
                session_id,
                self.clock(),
                messages=self._told(key, "cancelled", user_id, self.store.participants(session_id)),
                step=(key, "cancelled", session_id),
            )
            self.schedule_changed()
        self._deliver(key)
        self.outbox.refresh(session_id)
        return self._session(session_id)

    def _cancelled_at_coviu(self, session_id: str, error: CoviuError) -> bool:
        """A refusal because an earlier attempt already cancelled it counts as done."""
        if not isinstance(error, StateConflict):
            return False
        try:
            return self.coviu.get_session(session_id).canceled
        except CoviuError:
            return False

    def _session(self, session_id: str) -> SessionRecord:
        session = self.store.session(session_id)
        if session is None:
            raise BookingError("I can't find that session any more.")
        return session

    def reschedule(
        self,
        session_id: str,
        team_id: str,
        user_id: str,
        start: datetime,
        end: datetime | None = None,
        *,
        key: str | None = None,
        tell: bool = True,
    ) -> SessionRecord:
        """Move a session; without an end it keeps its length. `tell=False`: nobody is DMed
        about this move (a series move tells everyone once, itself)."""
        key = key or _once()
        if self.store.step(key, "moved") is None:
            session = self.session_for_host(session_id, team_id, user_id)
            if session.start <= self.clock():
                raise BookingError(
                    f"“{session.title}” has already started, so it can't be moved. "
                    f"Book a new one with {EXAMPLE}."
                )
            end = end or start + (session.end - session.start)
            check_times(start, end, self.clock())
            try:
                self.coviu.update_session(session_id, start=start, end=end)
            except CoviuError as error:
                raise _coviu_refusal(error, "move the session") from error
            self.store.move_session(
                session_id,
                start,
                end,
                self.clock(),
                messages=self._told(
                    key, "rescheduled", user_id, self.store.participants(session_id)
                )
                if tell
                else [],
                step=(key, "moved", session_id),
            )
            self.schedule_changed()
        self._deliver(key)
        self.outbox.refresh(session_id)
        return self._session(session_id)

    def add_person(
        self,
        session_id: str,
        team_id: str,
        user_id: str,
        *,
        key: str | None = None,
        slack_user: str | None = None,
        external_name: str | None = None,
        role: str = "GUEST",
    ) -> ParticipantRecord:
        """Add a Slack user (DMed their link) or an external guest (link returned, to forward)."""
        key = key or _once()
        added = self.store.step(key, "added")
        if added is None:
            added = self._add(session_id, team_id, user_id, key, slack_user, external_name, role)
        self._deliver(key)
        self.outbox.refresh(session_id)  # everyone's invitation names who is in it
        return next(p for p in self.store.participants_by_id({added}) if p.participant_id == added)

    def _add(
        self,
        session_id: str,
        team_id: str,
        user_id: str,
        key: str,
        slack_user: str | None,
        external_name: str | None,
        role: str,
    ) -> str:
        session = self.session_for_host(session_id, team_id, user_id)
        tag = hashlib.sha256(key.encode()).hexdigest()[:16]
        state = participant_state(team_id, slack_user, tag)
        created = None
        if self.store.step(key, "adding") is not None:
            created = self._find_added(session_id, state)
        else:
            self.store.record_step(key, "adding")
        if created is None:
            if slack_user and self.own_participant(session_id, team_id, slack_user):
                raise BookingError(f"<@{slack_user}> is already in “{session.title}”.")
            name = external_name or self._name(team_id, slack_user or "")
            try:
                created = self.coviu.add_participant(
                    session_id, NewParticipant(display_name=name, role=role, state=state)
                )
            except CoviuError as error:
                raise _coviu_refusal(error, "add them") from error
        participant = self._with_home(_record(created, team_id, user_id))
        invitation = [_message(key, "invite", participant)] if participant.slack_user else []
        try:
            self.store.add_participant(
                participant,
                self.clock(),
                messages=invitation,
                step=(key, "added", participant.participant_id),
            )
        except Exception as error:
            log.exception("could not record a participant; cancelling it at Coviu")
            try:
                self.coviu.cancel_participant(created.participant_id)
            except CoviuError:
                log.warning("could not cancel a participant at Coviu")
            raise BookingError("Something went wrong saving that; nobody was added.") from error
        self.schedule_changed()
        return participant.participant_id

    def _find_added(self, session_id: str, state: str) -> Participant | None:
        """A participant an attempt that died already added under this key's tag."""
        try:
            return next(
                (p for p in self.coviu.list_participants(session_id) if p.state == state), None
            )
        except CoviuError as error:
            raise _coviu_refusal(error, "add them") from error

    def remove_person(
        self,
        session_id: str,
        team_id: str,
        user_id: str,
        *,
        key: str | None = None,
        slack_user: str | None = None,
        external_name: str | None = None,
    ) -> ParticipantRecord:
        """Remove a Slack user, or a guest without Slack by the name they were added with."""
        key = key or _once()
        removed = self.store.step(key, "removed")
        if removed is None:
            removed = self._remove(session_id, team_id, user_id, key, slack_user, external_name)
        self._deliver(key)
        self.outbox.refresh(session_id)
        return next(
            p for p in self.store.participants_by_id({removed}) if p.participant_id == removed
        )

    def _remove(
        self,
        session_id: str,
        team_id: str,
        user_id: str,
        key: str,
        slack_user: str | None,
        external_name: str | None,
    ) -> str:
        session = self.session_for_host(session_id, team_id, user_id)
        everyone = self.store.participants(session_id)
        if slack_user:
            label = f"<@{slack_user}>"
            target = self.own_participant(session_id, team_id, slack_user)
        else:
            label = f"*{external_name}*"
            wanted = (external_name or "").casefold()
            target = next(
                (p for p in everyone if not p.slack_user and p.display_name.casefold() == wanted),
                None,
            )
        if target is None:
            raise BookingError(f"{label} isn't in “{session.title}”.")
        if target.is_host and sum(p.is_host for p in everyone) == 1:
            raise BookingError(
                f"{label} is the only host of “{session.title}”. "
                "Add another host first, or cancel the session."
            )
        try:
            self.coviu.cancel_participant(target.participant_id)
        except (NotFound, StateConflict):
            pass  # gone at Coviu already (an earlier attempt): record it here too
        except CoviuError as error:
            raise _coviu_refusal(error, "remove them") from error
        self.store.remove_participant(
            target.participant_id,
            self.clock(),
            messages=self._told(key, "removed", user_id, [target]),
            step=(key, "removed", target.participant_id),
        )
        self.schedule_changed()
        return target.participant_id


class _Inline(Executor):
    """An executor that runs each call at once, in the caller's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def _once() -> str:
    """A key for a change made once, outside any job (nothing will run it again)."""
    return f"once:{secrets.token_hex(8)}"


def _message(key: str, kind: str, to: ParticipantRecord, **args: str) -> Message:
    """A DM owed to `to` because of the change made under `key`."""
    return Message(
        key=f"{key}/{kind}/{to.participant_id}",
        job_key=key,
        team_id=to.team_id,
        user_id=to.slack_user or "",
        kind=kind,
        session_id=to.session_id,
        args={"participant_id": to.participant_id, **args},
    )


def _people(request: BookingRequest) -> list[tuple[str, str]]:
    """(Slack user, role) for everyone in a request, each once; a host mention wins."""
    roles: dict[str, str] = {}
    if request.booker_is_host:
        roles[request.booked_by] = "HOST"
    for user in request.hosts:
        roles[user] = "HOST"
    for user in request.guests:
        roles.setdefault(user, "GUEST")
    return list(roles.items())


def _record(participant: Participant, team_id: str, added_by: str) -> ParticipantRecord:
    slack_user = None
    try:
        slack_user = json.loads(participant.state or "{}").get("user")
    except (ValueError, AttributeError):
        slack_user = None
    return ParticipantRecord(
        participant_id=participant.participant_id,
        session_id=participant.session_id,
        team_id=team_id,
        slack_user=slack_user,
        display_name=participant.display_name or "Guest",
        role=participant.role,
        entry_url=participant.entry_url,
        added_by=added_by,
        status="active",
    )


def _coviu_refusal(error: CoviuError, doing: str) -> BookingError:
    """What to tell the person when Coviu said no, or said nothing."""
    if isinstance(error, StateConflict):
        return BookingError(f"Coviu wouldn't {doing}: {error.server_message or 'not allowed now'}.")
    if error.status is None or error.status >= 500 or error.status == 429:
        return BookingError(
            f"Coviu isn't answering right now, so I couldn't {doing}. Nothing was changed; "
            "please try again in a minute."
        )
    return BookingError(f"Coviu refused to {doing}: {error.server_message or error}.")
