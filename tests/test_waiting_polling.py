"""Socket Mode's fallback: with no webhooks arriving, polling Coviu's session summaries turns
the entries and exits into the same events, under the same keys, so alerts still come, and an
event seen both ways has one effect."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ALICE, DAVE
from test_waiting import alerts, page, physio  # noqa: F401  (physio is a fixture)

from bot.storage import ParticipantRecord
from bot.waiting.polling import SummaryPoller


def poller(bot: Any) -> SummaryPoller:
    return SummaryPoller(bot.services.store, bot.services.coviu, bot.app.webhooks, bot.clock)


@pytest.mark.both_databases
def test_polling_the_summary_alerts_the_hosts_when_no_webhook_arrives(
    bot: Any, coviu: Any, slack: Any, physio: dict[str, ParticipantRecord]  # noqa: F811
) -> None:
    coviu.webhooks.url = coviu.url + "/nowhere"  # as in Socket Mode: nothing reaches the app
    page(physio["pat"], "enter")
    bot.idle()
    assert alerts(slack, DAVE) == []

    assert poller(bot).poll_once() == 1
    bot.idle()
    [alert] = alerts(slack, DAVE)
    assert "Pat Smith is waiting" in alert.text

    assert poller(bot).poll_once() == 0  # nothing new: nothing more
    bot.idle()
    assert len(alerts(slack, DAVE)) == 1 and len(alerts(slack, ALICE)) == 1


def test_an_event_seen_by_webhook_and_by_polling_has_one_effect(
    bot: Any, slack: Any, physio: dict[str, ParticipantRecord]  # noqa: F811
) -> None:
    page(physio["pat"], "enter")
    page(physio["alice"], "enter")
    bot.idle()
    jobs = bot.services.store.job_counts()

    assert poller(bot).poll_once() == 0
    bot.idle()
    assert bot.services.store.job_counts() == jobs


def test_only_sessions_open_now_are_polled(
    bot: Any, physio: dict[str, ParticipantRecord]  # noqa: F811
) -> None:
    bot.command(ALICE, 'book "Later" tomorrow 3pm')
    assert poller(bot).open_sessions() == [physio["pat"].session_id]
