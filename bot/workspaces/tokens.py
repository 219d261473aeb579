"""Each workspace's bot token, for the workspace whose work is in hand.

The Web API client asks for a token on every call (`bot.slack.pacing.PacedWebClient`); in
multi-workspace mode that is `WorkspaceTokens`: the installation of the current workspace
(`bot.workspaces.current`), its token refreshed first when it expires within
`REFRESH_MINUTES` (Slack's token rotation: the refresh token is good once, so a process that
loses the race to refresh reads the winner's token back instead)::

    tokens = WorkspaceTokens(installations, client_id, client_secret, api_url)
    with using(Workspace(None, "T0KIWI")):
        tokens()    # T0KIWI's bot token
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.workspaces import Workspace, current
from bot.workspaces.store import Installations

log = logging.getLogger(__name__)

REFRESH_MINUTES = 10
# How long a token read from the store is used without reading it again: a burst of calls
# (a booking's DMs) reads it once. An uninstall revokes the token at Slack at once anyway.
CACHE_SECONDS = 30.0


class NotInstalled(LookupError):
    """No installation for the workspace (never installed, or removed since)."""

    def __init__(self, workspace: Workspace | None) -> None:
        label = workspace.label if workspace else "no workspace"
        super().__init__(f"the app is not installed in {label}")
        self.workspace = workspace


class WorkspaceTokens:
    def __init__(
        self, installations: Installations, client_id: str, client_secret: str, api_url: str
    ) -> None:
        self.installations = installations
        self.rotator = TokenRotator(
            client_id=client_id,
            client_secret=client_secret,
            client=WebClient(base_url=api_url),
        )
        self._refreshing = threading.Lock()
        self._cache: dict[Workspace, tuple[float, Bot]] = {}

    def bot(self, workspace: Workspace | None, *, fresh: bool = False) -> Bot:
        if workspace is not None and not fresh:
            cached = self._cache.get(workspace)
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
        found = workspace and self.installations.find_bot(
            enterprise_id=workspace.enterprise_id, team_id=workspace.team_id
        )
        if not found:
            raise NotInstalled(workspace)
        self._cache[workspace] = (time.monotonic(), found)
        return found

    def __call__(self) -> str:
        workspace = current()
        bot = self.bot(workspace)
        expires = bot.bot_token_expires_at
        if bot.bot_refresh_token and expires and expires < time.time() + REFRESH_MINUTES * 60:
            bot = self._fresh(workspace, bot)  # only then the lock: calls stay side by side
        return bot.bot_token

    def _fresh(self, workspace: Workspace | None, bot: Bot) -> Bot:
        with self._refreshing:  # one refresh per process at a time: the token is good once
            # Read afresh: another thread or process may have refreshed it meanwhile.
            bot = self.bot(workspace, fresh=True)
            try:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=REFRESH_MINUTES
                )
            except SlackApiError as error:
                # Another process used the refresh token first: its new token is stored.
                log.warning("refreshing a bot token failed (%s)", error.response.get("error"))
                return self.bot(workspace, fresh=True)
            if refreshed is None:
                return bot
            self.installations.save_bot(refreshed)
            if workspace is not None:
                self._cache[workspace] = (time.monotonic(), refreshed)
            return refreshed
