"""The stand-in as over a real network: latency per call and Slack's rate-limit tiers.

Nothing here reads a stopwatch: overlap is judged from the stand-in's own record of when each
call arrived and left, and the rate limiter runs on a clock the test moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slackfake import DEMO_USERS, FakeSlack, FakeUser, RateLimits

BOT_TOKEN = "xoxb-test"


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def slack(clock: Clock) -> Iterator[FakeSlack]:
    limits = RateLimits(clock=clock)
    with FakeSlack(bot_token=BOT_TOKEN, users=DEMO_USERS, rate_limits=limits) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    # slack_sdk's default client retries connection errors only: a 429 reaches the test.
    return WebClient(BOT_TOKEN, base_url=slack.api_url)


def status_of(call: Callable[[], SlackResponse]) -> tuple[int, str | None]:
    """(HTTP status, Retry-After) of a Web API call made through slack_sdk."""
    try:
        response = call()
    except SlackApiError as error:
        return error.response.status_code, error.response.headers.get("Retry-After")
    return response.status_code, None


# --- latency ---------------------------------------------------------------------------------


def test_calls_under_latency_are_served_side_by_side() -> None:
    with FakeSlack(bot_token=BOT_TOKEN, latency=0.5) as slack:
        client = WebClient(BOT_TOKEN, base_url=slack.api_url)
        people = [u.id for u in DEMO_USERS] * 3
        with ThreadPoolExecutor(len(people)) as pool:
            answers = list(pool.map(lambda u: client.users_info(user=u)["ok"], people))

        calls = slack.calls_to("users.info")
    assert answers == [True] * len(people)
    assert len(calls) == len(people)
    # Every call arrived before any was answered: none waited for another's latency.
    assert max(c.started for c in calls) < min(c.finished for c in calls)


def test_latency_can_be_set_while_the_stand_in_runs() -> None:
    with FakeSlack(bot_token=BOT_TOKEN) as slack:
        client = WebClient(BOT_TOKEN, base_url=slack.api_url)
        client.auth_test()
        slack.latency = 0.3
        client.auth_test()

        quick, slow = slack.calls_to("auth.test")
    assert slack.latency == 0.3
    # The stand-in's own record (the event loop may wake a clock tick early).
    assert slow.finished - slow.started >= 0.29
    assert quick.ok and slow.ok


def test_a_response_url_post_waits_out_the_latency_too() -> None:
    with FakeSlack(bot_token=BOT_TOKEN, latency=0.3) as slack:
        url = slack.issue_response_url("U0ALICE", "C0GENERAL")
        assert requests.post(url, json={"text": "done"}, timeout=5).status_code == 200
        assert [m.text for m in slack.ephemerals("U0ALICE")] == ["done"]


# --- rate limits -----------------------------------------------------------------------------


def test_rate_limits_are_off_unless_asked_for() -> None:
    with FakeSlack(bot_token=BOT_TOKEN) as slack:
        client = WebClient(BOT_TOKEN, base_url=slack.api_url)
        for _ in range(30):  # users.list is Tier 2: 20 a minute when limits are on
            client.users_list()
        assert slack.rate_limits is None
        assert slack.rate_limited_calls() == []


def test_a_tier_2_method_answers_429_past_20_a_minute_until_retry_after(
    slack: FakeSlack, client: WebClient, clock: Clock
) -> None:
    answers = [status_of(client.users_list) for _ in range(21)]

    assert answers[:20] == [(200, None)] * 20
    assert answers[20] == (429, "3")  # a token comes back every 60 / 20 seconds
    [refused] = slack.rate_limited_calls()
    assert (refused.method, refused.response) == (
        "users.list",
        {"ok": False, "error": "ratelimited"},
    )

    clock.advance(3)
    assert status_of(client.users_list) == (200, None)
    assert status_of(client.users_list) == (429, "3")


def test_tier_3_and_4_budgets_are_50_and_100_a_minute(
    slack: FakeSlack, client: WebClient, clock: Clock
) -> None:
    info = [status_of(lambda: client.users_info(user="U0BOB"))[0] for _ in range(101)]
    opened = [status_of(lambda: client.conversations_open(users="U0BOB"))[0] for _ in range(51)]

    assert info == [200] * 100 + [429]
    assert opened == [200] * 50 + [429]


def test_budgets_are_per_method(slack: FakeSlack, client: WebClient) -> None:
    for _ in range(20):
        client.users_list()

    assert status_of(client.users_list)[0] == 429
    assert status_of(lambda: client.users_info(user="U0BOB")) == (200, None)


def test_budgets_are_per_workspace(slack: FakeSlack, client: WebClient) -> None:
    slack.add_workspace(
        "T0OTHER", [FakeUser("U0ZOE", "zoe", "Zoe Park", "UTC")], bot_token="xoxb-other"
    )
    other = WebClient("xoxb-other", base_url=slack.api_url)
    for _ in range(20):
        client.users_list()

    assert status_of(client.users_list)[0] == 429
    assert status_of(other.users_list) == (200, None)


def test_a_tier_can_be_overridden_to_tier_1(clock: Clock) -> None:
    limits = RateLimits(tiers={"users.list": 1}, clock=clock)
    with FakeSlack(bot_token=BOT_TOKEN, rate_limits=limits) as slack:
        client = WebClient(BOT_TOKEN, base_url=slack.api_url)

        assert status_of(client.users_list) == (200, None)
        assert status_of(client.users_list) == (429, "60")
        clock.advance(60)
        assert status_of(client.users_list) == (200, None)


def test_post_message_allows_a_short_burst_per_channel_then_one_a_second(
    slack: FakeSlack, client: WebClient, clock: Clock
) -> None:
    to_alice = [
        status_of(lambda: client.chat_postMessage(channel="U0ALICE", text="hi")) for _ in range(6)
    ]

    assert to_alice == [(200, None)] * 5 + [(429, "1")]
    # Another channel has its own budget; the DM by user id and by D… id share one.
    assert status_of(lambda: client.chat_postMessage(channel="U0BOB", text="hi"))[0] == 200
    assert status_of(lambda: client.chat_postMessage(channel="D0ALICE", text="hi"))[0] == 429
    clock.advance(1)
    assert status_of(lambda: client.chat_postMessage(channel="D0ALICE", text="hi"))[0] == 200
    assert len(slack.dms("U0ALICE")) == 6


def test_post_message_has_a_workspace_cap_across_channels(clock: Clock) -> None:
    limits = RateLimits(post_message_per_minute=30, clock=clock)
    people = [FakeUser(f"U0P{i:03d}", f"p{i:03d}", f"P {i}", "UTC") for i in range(31)]
    with FakeSlack(bot_token=BOT_TOKEN, users=people, rate_limits=limits) as slack:
        client = WebClient(BOT_TOKEN, base_url=slack.api_url)
        sent = [
            status_of(lambda p=p: client.chat_postMessage(channel=p.id, text="hi"))[0]
            for p in people
        ]

    assert sent == [200] * 30 + [429]


def test_a_429_changes_nothing_and_costs_no_budget(
    slack: FakeSlack, client: WebClient, clock: Clock
) -> None:
    for _ in range(5):
        client.chat_postMessage(channel="U0CAROL", text="hi")
    for _ in range(3):
        assert status_of(lambda: client.chat_postMessage(channel="U0CAROL", text="no"))[0] == 429

    clock.advance(1)
    assert status_of(lambda: client.chat_postMessage(channel="U0CAROL", text="yes"))[0] == 200
    assert [m.text for m in slack.dms("U0CAROL")] == ["hi"] * 5 + ["yes"]


def test_limits_can_be_switched_on_and_off_while_running(
    slack: FakeSlack, client: WebClient
) -> None:
    for _ in range(20):
        client.users_list()
    assert status_of(client.users_list)[0] == 429

    slack.rate_limits = None
    assert status_of(client.users_list)[0] == 200
    slack.rate_limits = True  # Slack's defaults on the real clock, budgets full again
    assert status_of(client.users_list)[0] == 200
