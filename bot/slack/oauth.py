"""Installing into many workspaces: Bolt's OAuth flow on our stores, and its pages.

`GET /slack/install` offers the *Add to Slack* link (with a one-time state, also set as a
cookie), `GET /slack/oauth_redirect` is where Slack sends the browser back: the state is
checked, the code exchanged (``oauth.v2.access``), the installation sealed into the app's
database, and the person sees a page saying what happened and what to do next. `GET /` is the
landing page: what the app does, *Add to Slack*, and what it keeps and for how long::

    pages = OAuthPages.create(settings, installations, states)
    status, headers, html = pages.install(query, headers)

Bolt's `OAuthFlow` does the flow; only its request and response are translated here (the
app's web face is not Bolt's, see `bot.web`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.config import Settings
from bot.workspaces.store import Installations, OAuthStates

log = logging.getLogger(__name__)

# No im:write: DMs go to the user id (see bot.slack.notify).
BOT_SCOPES = ["commands", "chat:write", "im:history", "users:read"]
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

Page = tuple[int, list[tuple[str, str]], str]

# What the failure page says for each of Bolt's reasons: what happened and what to do.
REASONS = {
    "access_denied": "The install was cancelled on Slack's page, so nothing was installed.",
    "invalid_browser": (
        "This link was opened in a different browser from the one that started the install "
        "(or its cookie was blocked)."
    ),
    "invalid_state": "This install link has expired or was already used.",
    "missing_code": "Slack's answer had no authorization code.",
    "invalid_code": "Slack did not accept the authorization code (it expires after 10 minutes).",
    "storage_error": "The installation could not be saved.",
}


def _page(title: str, body: str, status: int = 200) -> Page:
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}} a.button{{display:inline-block;padding:.6rem 1rem;border-radius:6px;
background:#4a154b;color:#fff;text-decoration:none}}</style></head>
<body><h1>{html.escape(title)}</h1>{body}</body></html>"""
    return status, [("content-type", "text/html; charset=utf-8")], document


PRIVACY = """<h2>Privacy</h2>
<p><strong>What is stored</strong>: your workspace's bot token (encrypted), your clinic's
Coviu API key and secret if an admin connects them (the secret encrypted), the sessions booked
from Slack with each participant's Slack user id and private entry link, reminders not yet
sent, and each participant's display name and time zone as Slack reports them.</p>
<p><strong>For how long</strong>: cached names and time zones are read again after a day;
reminders go when they are sent; the rest stays while the app is installed.</p>
<p><strong>How to remove it</strong>: remove the app from your workspace (Slack: <em>Apps →
Coviu → Remove app</em>). Its token, Coviu connection and everything above are deleted at
once, and reminders not yet sent never go. Sessions already booked at Coviu are left as they
are there: cancel them in Coviu if they should not happen.</p>"""


@dataclass
class OAuthPages:
    flow: OAuthFlow

    @classmethod
    def create(
        cls, settings: Settings, installations: Installations, states: OAuthStates
    ) -> OAuthPages:
        oauth = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=BOT_SCOPES,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            redirect_uri=settings.slack_redirect_uri,
            installation_store=installations,
            installation_store_bot_only=True,
            state_store=states,
            callback_options=CallbackOptions(success=_success, failure=_failure),
            logger=log,
        )
        client = WebClient(base_url=settings.slack_api_url)
        return cls(OAuthFlow(client=client, settings=oauth))

    def _request(self, query: str, headers: Mapping[str, str]) -> BoltRequest:
        # Bolt reads the cookie from a header list; nothing else of the request matters.
        return BoltRequest(
            body="", query=parse_qs(query), headers={k: [v] for k, v in headers.items()}
        )

    def landing(self) -> Page:
        return _page(
            "Coviu for Slack",
            f"""<p>Book Coviu telehealth video sessions from Slack: <code>/coviu book
"Physio review" with @alice tomorrow 3pm</code>. Everyone gets their own private entry
link by DM, and a reminder before it starts.</p>
<p><a class="button" href="{INSTALL_PATH}">Add to Slack</a></p>
<p>After installing, a workspace admin connects the clinic's Coviu account from the app's
Home tab in Slack.</p>
{PRIVACY}""",
        )

    def install(self, query: str, headers: Mapping[str, str]) -> Page:
        try:
            return _translate(self.flow.handle_installation(self._request(query, headers)))
        except Exception:  # the database away, say: a page that says so, not a traceback
            log.exception("starting an install failed")
            return _page(
                "Coviu can't be installed just now",
                f'<p>Something went wrong on our side. <a href="{INSTALL_PATH}">Try again</a> '
                "in a minute.</p>",
                503,
            )

    def redirect(self, query: str, headers: Mapping[str, str]) -> Page:
        try:
            return _translate(self.flow.handle_callback(self._request(query, headers)))
        except Exception:  # never a traceback page: say it failed and how to retry
            log.exception("an OAuth callback failed")
            return _translate(_failure_page("storage_error", 500))


def _translate(response: BoltResponse) -> Page:
    headers: list[tuple[str, str]] = []
    for name, values in response.headers.items():
        for value in values if isinstance(values, (list, tuple, set)) else [values]:
            headers.append((name.lower(), str(value)))
    return response.status, headers, response.body


def _success(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    where = installation.enterprise_name if installation.is_enterprise_install else None
    where = where or installation.team_name or "your workspace"
    status, headers, body = _page(
        "Coviu is installed",
        f"""<p>Coviu was added to <strong>{html.escape(where)}</strong>.</p>
<p>Next: open the <strong>Coviu</strong> app's Home tab in Slack. A workspace admin connects
the clinic's Coviu API key and secret there; then anyone can type <code>/coviu book</code>.</p>
<p><a href="https://slack.com/app_redirect?app={html.escape(installation.app_id or '')}">Open
Slack</a></p>""",
    )
    return BoltResponse(status=status, body=body, headers=dict(headers))


def _failure_page(reason: str, status: int) -> BoltResponse:
    why = REASONS.get(reason, "Slack reported a problem with the install.")
    code, headers, body = _page(
        "Coviu was not installed",
        f"""<p>{html.escape(why)}</p>
<p>Nothing was changed in your workspace. <a href="{INSTALL_PATH}">Start the install
again</a>; if it keeps failing, tell us this reason: <code>{html.escape(reason)}</code>.</p>""",
        status,
    )
    return BoltResponse(status=code, body=body, headers=dict(headers))


def _failure(args: FailureArgs) -> BoltResponse:
    return _failure_page(args.reason, args.suggested_status_code)
