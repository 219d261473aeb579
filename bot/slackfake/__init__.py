"""A local stand-in for Slack, shared by the tests and the offline shell.

    from bot.slackfake import FakeSlack, DEMO_USERS

    with FakeSlack(bot_token="xoxb-test", signing_secret="s3cret", users=DEMO_USERS) as slack:
        client = WebClient("xoxb-test", base_url=slack.api_url)   # the app's side
        slack.app_url = "http://127.0.0.1:3000/slack/events"     # where Slack's requests go
        slack.slash_command("U0ALICE", "/coviu", "help")

    FakeSlack(latency=0.1, rate_limits=True)                 # over a "real network"
    other = slack.add_workspace("T0OTHER", users)            # a second workspace
    code = slack.authorize("T0OTHER", "U0ZOE")               # ... installs the app: a code
                                                             # for oauth.v2.access

See `bot.slackfake.fake` for the whole interface, `bot.slackfake.network` for latency and
rate limits, `bot.slackfake.hub` for workspaces and OAuth.
"""

from .blockkit import Button, Input
from .fake import DEFAULT_CHANNELS, FakeSlack, FakeSlackError, SlackResult
from .hub import OAuthApp
from .network import METHOD_TIERS, TIER_PER_MINUTE, RateLimits
from .payloads import InvalidInput
from .signing import sign, verify
from .state import ApiCall, Change, Channel, Message, View
from .users import BOT_USER, CONNECT_USER, DEMO_USERS, FakeUser, escape_mentions, user_object

__all__ = [
    "BOT_USER",
    "CONNECT_USER",
    "DEFAULT_CHANNELS",
    "DEMO_USERS",
    "METHOD_TIERS",
    "TIER_PER_MINUTE",
    "ApiCall",
    "Button",
    "Change",
    "Channel",
    "FakeSlack",
    "FakeSlackError",
    "FakeUser",
    "Input",
    "InvalidInput",
    "Message",
    "OAuthApp",
    "RateLimits",
    "SlackResult",
    "View",
    "escape_mentions",
    "sign",
    "user_object",
    "verify",
]
