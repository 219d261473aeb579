"""Several workspaces on one stand-in, and installing the app through oauth.v2.access.

Each workspace answers only its own tokens; `authorize` is a person clicking *Allow* on
Slack's install page, and ``oauth.v2.access`` answers in Slack's documented shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slackfake_fixtures import bolt_app_for
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.httpserve import ServerThread
from bot.slackfake import DEMO_USERS, Channel, FakeSlack, FakeUser
from bot.slackfake.api import DEFAULT_SCOPES

BOT_TOKEN = "xoxb-test"
ZOE = FakeUser("U0ZOE", "zoe", "Zoe Park", "Pacific/Auckland")
YUSUF = FakeUser("U0YUSUF", "yusuf", "Yusuf Ali", "Pacific/Auckland")


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, users=DEMO_USERS) as fake:
        yield fake


@pytest.fixture
def other(slack: FakeSlack) -> FakeSlack:
    """A second clinic's workspace, the app not installed there yet."""
    return slack.add_workspace(
        "T0KIWI", [ZOE, YUSUF], team_name="Kiwi Physio", channels=[Channel("C0KIWI", "kiwi")]
    )


@pytest.fixture
def web(slack: FakeSlack) -> WebClient:
    """A client without a token, as an app's OAuth redirect handler has."""
    return WebClient(base_url=slack.api_url)


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as failed:
        call()
    return str(failed.value.response["error"])


def install(slack: FakeSlack, web: WebClient, team_id: str, user_id: str, **kw: Any) -> Any:
    code = slack.authorize(team_id, user_id, **kw)
    return web.oauth_v2_access(
        client_id=slack.client_id, client_secret=slack.client_secret, code=code
    )


def test_oauth_v2_access_answers_in_slacks_shape(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    answer = install(slack, web, "T0KIWI", "U0ZOE").data

    token = answer.pop("access_token")
    assert token.startswith("xoxb-")
    assert answer == {
        "ok": True,
        "app_id": "A0COVIU",
        "authed_user": {"id": "U0ZOE"},
        "scope": DEFAULT_SCOPES,
        "token_type": "bot",
        "bot_user_id": other.bot_user_id,
        "team": {"id": "T0KIWI", "name": "Kiwi Physio"},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    assert other.bot_token == token


def test_an_installed_token_works_in_its_own_workspace_only(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    token = install(slack, web, "T0KIWI", "U0ZOE")["access_token"]
    kiwi = WebClient(token, base_url=slack.api_url)
    clinic = WebClient(BOT_TOKEN, base_url=slack.api_url)

    me = kiwi.auth_test()
    assert (me["team_id"], me["team"], me["user_id"]) == (
        "T0KIWI",
        "Kiwi Physio",
        other.bot_user_id,
    )
    assert clinic.auth_test()["team_id"] == "T0CLINIC"
    # Neither token reaches the other workspace's people or channels.
    assert error_of(lambda: kiwi.users_info(user="U0ALICE")) == "user_not_found"
    assert error_of(lambda: kiwi.chat_postMessage(channel="C0GENERAL", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: clinic.users_info(user="U0ZOE")) == "user_not_found"
    posted = kiwi.chat_postMessage(channel="U0ZOE", text="Kia ora")
    assert posted["channel"] == "D0ZOE"
    assert [m.text for m in other.dms("U0ZOE")] == ["Kia ora"]
    assert slack.messages() == []
    # Each workspace records its own calls.
    assert [c.method for c in other.calls] == [
        "oauth.v2.access",
        "auth.test",
        "users.info",
        "chat.postMessage",
        "chat.postMessage",
    ]


def test_a_code_is_good_once_and_only_with_the_apps_credentials(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    code = slack.authorize("T0KIWI", "U0ZOE")
    exchange = web.oauth_v2_access

    assert (
        error_of(lambda: exchange(client_id="nope", client_secret=slack.client_secret, code=code))
        == "invalid_client_id"
    )
    assert (
        error_of(lambda: exchange(client_id=slack.client_id, client_secret="wrong", code=code))
        == "bad_client_secret"
    )
    assert error_of(
        lambda: exchange(
            client_id=slack.client_id, client_secret=slack.client_secret, code="made-up"
        )
    ) == ("invalid_code")
    assert exchange(client_id=slack.client_id, client_secret=slack.client_secret, code=code)["ok"]
    assert error_of(
        lambda: exchange(client_id=slack.client_id, client_secret=slack.client_secret, code=code)
    ) == ("invalid_code")


def test_credentials_may_come_in_the_form_instead_of_basic_auth(
    slack: FakeSlack, other: FakeSlack
) -> None:
    code = slack.authorize("T0KIWI", "U0YUSUF")
    body = {"client_id": slack.client_id, "client_secret": slack.client_secret, "code": code}

    answer = requests.post(slack.api_url + "oauth.v2.access", data=body, timeout=5).json()

    assert answer["ok"] and answer["authed_user"] == {"id": "U0YUSUF"}


def test_a_code_expires_after_ten_minutes(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    now = [1_700_000_000.0]
    slack.clock = lambda: now[0]  # the workspaces share the clock
    code = slack.authorize("T0KIWI", "U0ZOE")
    now[0] += 601

    assert error_of(
        lambda: web.oauth_v2_access(
            client_id=slack.client_id, client_secret=slack.client_secret, code=code
        )
    ) == ("invalid_code")


def test_the_redirect_uri_must_match_the_one_asked_for(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    code = slack.authorize("T0KIWI", "U0ZOE", redirect_uri="https://app.test/slack/oauth_redirect")

    assert (
        error_of(
            lambda: web.oauth_v2_access(
                client_id=slack.client_id,
                client_secret=slack.client_secret,
                code=code,
                redirect_uri="https://evil.test/",
            )
        )
        == "bad_redirect_uri"
    )


def test_user_scopes_also_give_a_user_token(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    answer = install(slack, web, "T0KIWI", "U0ZOE", user_scopes="users:read")

    person = answer["authed_user"]
    assert (person["id"], person["scope"], person["token_type"]) == ("U0ZOE", "users:read", "user")
    me = WebClient(person["access_token"], base_url=slack.api_url).auth_test()
    assert (me["user_id"], me["team_id"], "bot_id" in me) == ("U0ZOE", "T0KIWI", False)


def test_with_token_rotation_tokens_expire_and_refresh_once() -> None:
    now = [1_700_000_000.0]
    with FakeSlack(bot_token=None, token_rotation=True, clock=lambda: now[0]) as slack:
        web = WebClient(base_url=slack.api_url)
        answer = install(slack, web, "T0CLINIC", "U0ALICE")
        assert answer["access_token"].startswith("xoxe.xoxb-")
        assert answer["expires_in"] == 43200
        first = WebClient(answer["access_token"], base_url=slack.api_url)
        assert first.auth_test()["expires_in"] == 43200

        now[0] += 43200
        assert error_of(first.auth_test) == "token_expired"
        refreshed = web.oauth_v2_access(
            client_id=slack.client_id,
            client_secret=slack.client_secret,
            grant_type="refresh_token",
            refresh_token=answer["refresh_token"],
        )
        assert (
            refreshed["token_type"] == "bot"
            and refreshed["refresh_token"] != (answer["refresh_token"])
        )
        assert WebClient(refreshed["access_token"], base_url=slack.api_url).auth_test()["ok"]
        assert (
            error_of(
                lambda: web.oauth_v2_access(
                    client_id=slack.client_id,
                    client_secret=slack.client_secret,
                    grant_type="refresh_token",
                    refresh_token=answer["refresh_token"],
                )
            )
            == "invalid_refresh_token"
        )


def test_without_a_bot_token_the_app_is_not_installed_until_oauth() -> None:
    with FakeSlack(bot_token=None) as slack:
        assert slack.bot_token is None
        assert error_of(WebClient("xoxb-test", base_url=slack.api_url).auth_test) == (
            "invalid_auth"
        )
        token = install(slack, WebClient(base_url=slack.api_url), "T0CLINIC", "U0ALICE")[
            "access_token"
        ]
        assert slack.bot_token == token


def test_reinstalling_keeps_the_bot_token(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    first = install(slack, web, "T0KIWI", "U0ZOE")["access_token"]
    again = install(slack, web, "T0KIWI", "U0YUSUF")["access_token"]

    assert again == first


def test_after_uninstall_the_tokens_are_revoked(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    token = install(slack, web, "T0KIWI", "U0ZOE")["access_token"]
    other.app_url = None  # nobody to tell here; see the Bolt tests for the events

    slack.uninstall("T0KIWI")

    assert error_of(WebClient(token, base_url=slack.api_url).auth_test) == "token_revoked"
    assert WebClient(BOT_TOKEN, base_url=slack.api_url).auth_test()["ok"]


def test_oauth_redirect_follows_an_install_link(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    link = "https://slack.com/oauth/v2/authorize?" + urlencode(
        {
            "state": "st-123",
            "client_id": slack.client_id,
            "scope": "commands,chat:write",
            "redirect_uri": "https://app.test/slack/oauth_redirect",
        }
    )

    redirect = slack.oauth_redirect(link, "T0KIWI", "U0ZOE")

    parts = urlsplit(redirect)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert (parts.netloc, parts.path, query["state"]) == (
        "app.test",
        "/slack/oauth_redirect",
        "st-123",
    )
    answer = web.oauth_v2_access(
        client_id=slack.client_id,
        client_secret=slack.client_secret,
        code=query["code"],
        redirect_uri="https://app.test/slack/oauth_redirect",
    )
    assert answer["scope"] == "commands,chat:write"
    with pytest.raises(Exception, match="isn't this app's"):
        slack.oauth_redirect(link.replace(slack.client_id, "someone-else"), "T0KIWI", "U0ZOE")


def test_every_workspace_acts_through_its_own_fake(slack: FakeSlack, other: FakeSlack) -> None:
    assert slack.workspace("T0KIWI") is other
    assert other.workspace("T0CLINIC") is slack
    assert other.api_url == slack.api_url
    slack.app_url = "http://127.0.0.1:9/slack/events"
    assert other.app_url == slack.app_url  # the same app serves both


# --- a real Bolt app installed through Slack's OAuth flow -------------------------------------


def test_a_bolt_app_installs_through_the_stand_in_and_answers_per_workspace(
    tmp_path: Path, slack: FakeSlack, other: FakeSlack
) -> None:
    client = WebClient(base_url=slack.api_url)  # no token: each team's comes from its install
    settings = OAuthSettings(
        client_id=slack.client_id,
        client_secret=slack.client_secret,
        scopes=["commands", "chat:write"],
        installation_store=FileInstallationStore(base_dir=str(tmp_path / "installs")),
        state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "st")),
        install_page_rendering_enabled=False,
    )
    app = App(signing_secret=slack.signing_secret, client=client, oauth_settings=settings)

    @app.command("/coviu")
    def hello(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_postMessage(channel=command["user_id"], text=f"Hello {command['team_id']}")

    handler = SlackRequestHandler(app)

    async def serve(request: Request) -> Response:
        return await handler.handle(request)

    paths = ["/slack/events", "/slack/install", "/slack/oauth_redirect"]
    routes = [Route(path, serve, methods=["GET", "POST"]) for path in paths]
    with ServerThread(Starlette(routes=routes)) as server:
        slack.app_url = server.url + "/slack/events"
        browser = requests.Session()
        install_page = browser.get(server.url + "/slack/install", allow_redirects=False)
        assert install_page.status_code == 302
        redirect = slack.oauth_redirect(
            install_page.headers["Location"],
            "T0KIWI",
            "U0ZOE",
            redirect_uri=server.url + "/slack/oauth_redirect",
        )

        # Bolt's state cookie is Secure; the browser here speaks plain HTTP, so carry it.
        cookie = install_page.headers["Set-Cookie"].split(";")[0]
        finished = browser.get(redirect, headers={"Cookie": cookie}, timeout=10)

        assert finished.status_code == 200, finished.text
        assert other.bot_token is not None
        assert [c.method for c in other.calls] == ["oauth.v2.access", "auth.test"]
        assert other.slash_command("U0ZOE", "/coviu", "hi", channel_id="C0KIWI").ok
        dm = other.wait_for(lambda: other.dms("U0ZOE"))[-1]
        assert dm.text == "Hello T0KIWI"
        assert slack.messages() == []  # nothing leaked into the first workspace


def test_a_dm_by_user_id_needs_only_chat_write_and_conversations_open_needs_im_write(
    slack: FakeSlack, other: FakeSlack, web: WebClient
) -> None:
    token = install(slack, web, "T0KIWI", "U0ZOE", scopes="commands,chat:write,users:read")[
        "access_token"
    ]
    kiwi = WebClient(token, base_url=slack.api_url)

    assert kiwi.chat_postMessage(channel="U0ZOE", text="Your link")["channel"] == "D0ZOE"
    with pytest.raises(SlackApiError) as refused:
        kiwi.conversations_open(users="U0ZOE")
    assert refused.value.response.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "im:write",
        "provided": "commands,chat:write,users:read",
    }


def test_uninstalling_tells_the_app_as_slack_does(slack: FakeSlack) -> None:
    heard: list[dict[str, Any]] = []
    with bolt_app_for(slack) as bolt:
        for kind in ("tokens_revoked", "app_uninstalled"):
            bolt.app.event(kind)(lambda event: heard.append(event))

        slack.uninstall()

        slack.wait_for(lambda: len(heard) == 2)
    assert heard[0] == {
        "type": "tokens_revoked",
        "tokens": {"oauth": [], "bot": ["U0COVIUBOT"]},
        "event_ts": heard[0]["event_ts"],
    }
    assert heard[1]["type"] == "app_uninstalled"
    assert slack.bot_token is None
