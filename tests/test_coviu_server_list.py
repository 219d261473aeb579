"""The local Coviu Session API: listing sessions (paging, order, filters) and its indexes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

pytest.register_assert_rewrite("coviu_fixtures")

from coviu_fixtures import START, Api, FakeClock, LocalCoviu, error_of  # noqa: E402

from bot.coviu.dates import to_rfc1123  # noqa: E402
from bot.coviu.server.store import ListQuery, Store, db_time, list_sessions_sql  # noqa: E402

pytest_plugins = ["coviu_fixtures"]


def ids(page: dict[str, Any]) -> list[str]:
    return [session["session_id"] for session in page["content"]]


def hourly_sessions(api: Api, count: int) -> list[str]:
    """``count`` sessions starting 1, 2, ... hours from now (30 min each), in start order."""
    return [
        api.create_session(starts_in=timedelta(hours=hour))["session_id"]
        for hour in range(1, count + 1)
    ]


# -- paging ---------------------------------------------------------------------------------------


def test_pages_walk_every_session_once_in_start_order(alice: Api) -> None:
    made = hourly_sessions(alice, 7)

    pages = [alice.get("/v1/sessions", params={"page": n, "page_size": 3}).json() for n in range(3)]

    assert [ids(page) for page in pages] == [made[0:3], made[3:6], made[6:7]]
    assert [page["more"] for page in pages] == [True, True, False]
    assert [page["page"] for page in pages] == [0, 1, 2]
    assert {page["page_size"] for page in pages} == {3}


def test_a_page_past_the_end_is_empty(alice: Api) -> None:
    hourly_sessions(alice, 2)

    page = alice.get("/v1/sessions", params={"page": 5, "page_size": 2}).json()

    assert page == {"content": [], "page": 5, "page_size": 2, "more": False}


def test_page_size_defaults_to_200_and_is_capped_at_200(
    local_coviu: LocalCoviu, alice: Api
) -> None:
    insert_sessions(local_coviu.app.state.coviu.store, "clinic-a", 201)

    default = alice.get("/v1/sessions").json()
    capped = alice.get("/v1/sessions", params={"page_size": 1000}).json()

    assert (len(default["content"]), default["page_size"], default["more"]) == (200, 200, True)
    assert (len(capped["content"]), capped["page_size"], capped["more"]) == (200, 200, True)
    last = alice.get("/v1/sessions", params={"page": 1}).json()
    assert (len(last["content"]), last["more"]) == (1, False)


def test_the_seeds_singular_list_path_answers_the_same(alice: Api) -> None:
    hourly_sessions(alice, 2)

    assert alice.get("/v1/session").json() == alice.get("/v1/sessions").json()


def test_list_entries_have_the_full_session_shape(alice: Api) -> None:
    session = alice.create_session()

    assert alice.get("/v1/sessions").json()["content"] == [session]


# -- order ----------------------------------------------------------------------------------------


def test_reverse_order_lists_latest_start_first(alice: Api) -> None:
    made = hourly_sessions(alice, 4)

    forward = alice.get("/v1/sessions", params={"order": "forward"}).json()
    reverse = alice.get("/v1/sessions", params={"order": "reverse", "page_size": 3}).json()

    assert ids(forward) == made
    assert ids(reverse) == made[::-1][:3] and reverse["more"] is True


def test_sessions_starting_together_are_ordered_by_id(alice: Api) -> None:
    same = [alice.create_session(starts_in=timedelta(hours=1))["session_id"] for _ in range(4)]

    assert ids(alice.get("/v1/sessions").json()) == sorted(same)
    assert ids(alice.get("/v1/sessions", params={"order": "reverse"}).json()) == sorted(same)[::-1]


# -- filters --------------------------------------------------------------------------------------


def test_start_time_keeps_sessions_starting_at_or_after_it(
    alice: Api, coviu_clock: FakeClock
) -> None:
    made = hourly_sessions(alice, 4)
    third_start = to_rfc1123(coviu_clock.now + timedelta(hours=3))

    page = alice.get("/v1/sessions", params={"start_time": third_start}).json()

    assert ids(page) == made[2:]


def test_end_time_keeps_sessions_ending_at_or_before_it(alice: Api, coviu_clock: FakeClock) -> None:
    made = hourly_sessions(alice, 4)
    second_end = (coviu_clock.now + timedelta(hours=2, minutes=30)).isoformat()  # ISO works too

    page = alice.get("/v1/sessions", params={"end_time": second_end}).json()

    assert ids(page) == made[:2]


def test_the_seeds_example_query_string_is_understood(alice: Api) -> None:
    # Starts 04:24:29 and ends 04:44:29 on the seed's day: inside the example's window.
    inside = alice.create_session(starts_in=timedelta(minutes=24, seconds=29),
                                  length=timedelta(minutes=20))  # fmt: skip
    alice.create_session(starts_in=timedelta(hours=2))  # outside

    query = (
        "/v1/sessions?page=0&page_size=100"
        "&start_time=Wed%2C%2008%20Jun%202016%2004%3A24%3A29%20GMT"
        "&end_time=Wed%2C%2008%20Jun%202016%2004%3A44%3A29%20GMT"
    )
    assert ids(alice.get(query).json()) == [inside["session_id"]]


def test_state_keeps_sessions_with_a_participant_in_that_state(alice: Api) -> None:
    mine = alice.create_session(participants=[{"role": "guest", "state": "patient-7"}])
    alice.create_session(participants=[{"role": "guest", "state": "patient-8"}])
    alice.create_session(participants=[])

    page = alice.get("/v1/sessions", params={"state": "patient-7"}).json()

    assert ids(page) == [mine["session_id"]]


def test_cancelled_sessions_are_listed_only_with_include_canceled(alice: Api) -> None:
    kept, dropped = hourly_sessions(alice, 2)
    alice.delete(f"/v1/sessions/{dropped}")

    default = alice.get("/v1/sessions").json()
    everything = alice.get("/v1/sessions", params={"include_canceled": "true"}).json()

    assert ids(default) == [kept]
    assert ids(everything) == [kept, dropped]
    assert everything["content"][1]["canceled_time"] is not None


def test_cancelled_participants_are_listed_only_with_deleted_participants(alice: Api) -> None:
    session = alice.create_session(participants=[{"role": "host"}, {"role": "guest"}])
    host, guest = session["participants"]
    alice.delete(f"/v1/participants/{guest['participant_id']}")

    default = alice.get("/v1/sessions").json()["content"][0]["participants"]
    everyone = alice.get("/v1/sessions", params={"deleted_participants": "true"}).json()

    assert [p["participant_id"] for p in default] == [host["participant_id"]]
    listed = everyone["content"][0]["participants"]
    assert [p["participant_id"] for p in listed] == [
        host["participant_id"],
        guest["participant_id"],
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "-1"}, "page"),
        ({"page": "first"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"order": "sideways"}, "order"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"start_time": "9999-12-31T23:59:59-01:00"}, "start_time"),
        ({"end_time": "2016-06-08T04:00:00"}, "end_time"),  # no offset: not an instant
        ({"include_canceled": "perhaps"}, "include_canceled"),
    ],
)
def test_bad_list_parameters_answer_400_naming_the_parameter(
    alice: Api, params: dict[str, str], field: str
) -> None:
    answer = alice.get("/v1/sessions", params=params)

    assert answer.status_code == 400
    assert error_of(answer)["field"] == field
    assert field in error_of(answer)["message"]


# -- indexes: a page costs the same however many sessions are stored ------------------------------


def insert_sessions(store: Store, team_id: str, count: int, cancelled_every: int = 0) -> None:
    """Store ``count`` sessions (two participants each) directly: fast, for volume tests."""
    sessions, participants = [], []
    for n in range(count):
        start = START + timedelta(hours=1, minutes=n)
        session_id = str(uuid.uuid4())
        cancelled = cancelled_every and n % cancelled_every == 0
        sessions.append(
            {
                "id": session_id,
                "team_id": team_id,
                "client_id": "bulk",
                "session_name": f"bulk {n}",
                "picture": None,
                "start_time": db_time(start),
                "end_time": db_time(start + timedelta(minutes=30)),
                "canceled_time": db_time(START) if cancelled else None,
                "created_at": db_time(START),
            }
        )
        for role in ("HOST", "GUEST"):
            participants.append(
                {
                    "id": str(uuid.uuid4()),
                    "session_id": session_id,
                    "client_id": "bulk",
                    "display_name": None,
                    "picture": None,
                    "role": role,
                    "state": f"user-{n}",
                    "deleted_at": None,
                    "created_at": db_time(START),
                }
            )
    with store.transaction() as db:
        db["sessions"].insert_all(sessions)
        db["participants"].insert_all(participants)


def query_plan(store: Store, sql: str, params: list[Any]) -> str:
    rows = store.query(f"EXPLAIN QUERY PLAN {sql}", params)
    return "\n".join(row["detail"] for row in rows)


LIST_QUERIES: dict[str, ListQuery] = {
    "default": ListQuery("clinic-a", page=1, page_size=20),
    "reverse": ListQuery("clinic-a", page_size=20, reverse=True),
    "include_canceled": ListQuery("clinic-a", page_size=20, include_canceled=True),
    "time window": ListQuery(
        "clinic-a",
        page_size=20,
        start_time=START + timedelta(hours=1, minutes=10),
        end_time=START + timedelta(hours=5),
    ),
}


@pytest.mark.parametrize("query", LIST_QUERIES.values(), ids=LIST_QUERIES.keys())
def test_list_queries_walk_a_team_index_in_order_without_sorting(
    local_coviu: LocalCoviu, query: ListQuery
) -> None:
    store: Store = local_coviu.app.state.coviu.store
    insert_sessions(store, "clinic-a", 300, cancelled_every=3)
    insert_sessions(store, "clinic-b", 300)
    store.db.execute("ANALYZE")  # give the planner real statistics, as a long-lived database has

    plan = query_plan(store, *list_sessions_sql(query))

    assert "USING INDEX sessions_team_start" in plan or "USING COVERING INDEX" in plan, plan
    if not query.include_canceled:
        assert "sessions_team_start_live" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # ORDER BY served by the index


def test_participants_of_a_page_come_from_the_session_index(local_coviu: LocalCoviu) -> None:
    store: Store = local_coviu.app.state.coviu.store
    insert_sessions(store, "clinic-a", 50)

    plan = query_plan(
        store, "SELECT * FROM participants WHERE session_id IN (?, ?) ORDER BY rowid", ["a", "b"]
    )

    assert "participants_session" in plan, plan


def vm_steps(store: Store, action: Callable[[], object]) -> int:
    """SQLite virtual-machine instructions executed by ``action``: a deterministic cost."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # 0 = carry on

    store.db.conn.set_progress_handler(count, 1)
    try:
        action()
    finally:
        store.db.conn.set_progress_handler(None, 1)
    return steps


@pytest.mark.parametrize("query", LIST_QUERIES.values(), ids=LIST_QUERIES.keys())
def test_a_page_costs_the_same_with_100_or_10000_sessions_stored(
    local_coviu: LocalCoviu, query: ListQuery
) -> None:
    store: Store = local_coviu.app.state.coviu.store
    insert_sessions(store, "clinic-a", 100, cancelled_every=3)
    small = vm_steps(store, lambda: store.list_sessions(query))
    insert_sessions(store, "clinic-a", 9900, cancelled_every=3)
    insert_sessions(store, "clinic-b", 10000)

    large = vm_steps(store, lambda: store.list_sessions(query))

    # Same instructions give or take B-tree depth; a scan would be ~100 times more.
    assert large <= small * 1.5, (small, large)


def test_the_state_filter_looks_participants_up_by_state(local_coviu: LocalCoviu) -> None:
    store: Store = local_coviu.app.state.coviu.store
    insert_sessions(store, "clinic-a", 300)
    store.db.execute("ANALYZE")

    plan = query_plan(store, *list_sessions_sql(ListQuery("clinic-a", state="user-5")))

    # Cost follows the sessions of that participant state, not the sessions stored.
    assert "participants USING INDEX participants_state (state=?)" in plan, plan
    assert "SCAN" not in plan, plan
