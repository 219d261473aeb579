"""Socket Mode's stand-in for webhooks: poll Coviu's session summaries, so alerts still arrive.

A Socket Mode app has no public URL for Coviu to call. Instead, every `INTERVAL` this reads
the summary of each booked session that is open now (its links open 10 minutes before the
start) and turns the entries and exits it has not seen into the events Coviu's webhooks would
have sent — with the same job keys, so an event seen both ways (a relay in front of Socket
Mode, or HTTP mode with polling on) has one effect::

    poller = SummaryPoller(store, coviu, receiver, clock)
    poller.poll_once()      # one pass; `start()` runs passes on a thread until `stop()`
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from bot.coviu.client import CoviuClient
from bot.coviu.errors import CoviuError
from bot.coviu.models import HOST, CallSummary
from bot.storage import Store
from bot.storage.store import to_text
from bot.waiting.webhooks import Event, WebhookReceiver

log = logging.getLogger(__name__)

INTERVAL = 15.0  # seconds: alerts within 30 s of the guest's arrival
EARLY = timedelta(minutes=10)  # entry links open this long before the start
LATE = timedelta(minutes=5)  # and the call's end is looked for this long after the end


def events_of(summary: CallSummary) -> Iterator[Event]:
    """The webhook events a summary implies, as Coviu would have sent them.

    An entry is ``participant:join`` (a host "in", a guest "waiting"), an admission
    ``waitingarea:answer``, an exit or removal ``participant:leave``, and the call emptying
    after the start ``call:end``.
    """
    roles = {p.participant_id: p.role for p in summary.participants}
    for e in summary.events:
        role = roles.get(e.participant_id, "GUEST")
        payload: dict[str, str] = {
            "sessionId": summary.session_id,
            "participantId": e.participant_id,
            "role": role,
        }
        if e.event == "entered":
            kind = "participant:join"
            payload["status"] = "in" if role == HOST else "waiting"
        elif e.event == "admitted":
            kind = "waitingarea:answer"
            if e.by:
                payload["byParticipantId"] = e.by
        elif e.event in ("left", "removed"):
            kind = "participant:leave"
            payload["reason"] = "removed" if e.event == "removed" else (e.reason or "left")
        else:
            continue
        yield Event(kind, int(e.time.timestamp()), summary.session_id, e.participant_id, payload)
    end = summary.actual_end
    if end is not None and end >= summary.start:
        yield Event(
            "call:end",
            int(end.timestamp()),
            summary.session_id,
            None,
            {"sessionId": summary.session_id},
        )


class SummaryPoller:
    def __init__(
        self,
        store: Store,
        coviu: CoviuClient,
        receiver: WebhookReceiver,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        interval: float = INTERVAL,
    ) -> None:
        self.store = store
        self.coviu = coviu
        self.receiver = receiver
        self.clock = clock
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def open_sessions(self) -> list[str]:
        """The booked sessions whose links are open now, or whose call may just have ended."""
        now = self.clock()
        rows = self.store.db.query(
            "select session_id from sessions where status = 'booked'"
            " and start_at <= ? and end_at >= ? order by start_at, session_id",
            [to_text(now + EARLY), to_text(now - LATE)],
        )
        return [row["session_id"] for row in rows]

    def poll_once(self) -> int:
        """One pass; how many events were new (recorded as jobs)."""
        new = 0
        for session_id in self.open_sessions():
            try:
                summary = self.coviu.summary(session_id)
            except CoviuError as error:  # one session's trouble must not stop the others
                log.warning("could not read a session summary (%s)", type(error).__name__)
                continue
            for event in events_of(summary):
                if self.receiver.record(event):
                    new += 1
        return new

    def start(self) -> SummaryPoller:
        self._thread = threading.Thread(target=self._run, name="summary-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                log.exception("summary poll failed")
