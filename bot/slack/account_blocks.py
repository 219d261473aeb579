"""Block Kit for a workspace's Coviu account: its line on App Home, and the admin's form.

The form never shows a secret: the secret input starts empty every time, and what is shown
after connecting is the key and the API's address only.
"""

from __future__ import annotations

from typing import Any

from bot.coviu.client import PRODUCTION_URL
from bot.slack.blocks import _button, _input, _modal, context, section
from bot.workspaces.store import CoviuAccount

Block = dict[str, Any]

CONNECT = "connect_coviu"


def home_section(account: CoviuAccount | None, default: bool) -> list[Block]:
    """The Coviu account line on App Home (multi-workspace mode)."""
    if account is not None and not account.embedded:
        line = f"*Coviu account*: connected (API key `{account.api_key}` at {account.api_url})."
        label = "Change Coviu account"
    elif account is not None:
        line = (
            "*Coviu account*: a local trial Coviu team, made for this workspace (its links open "
            "only on the app's own machine) until an admin connects the clinic's account."
        )
        label = "Connect Coviu"
    elif default:
        line = "*Coviu account*: using the app's shared account until an admin connects yours."
        label = "Connect Coviu"
    else:
        line = "*Coviu account*: not connected yet, so nobody here can book."
        label = "Connect Coviu"
    return [
        section(line, accessory=_button(label, CONNECT)),
        context("Only a workspace admin can connect the clinic's Coviu API key and secret."),
    ]


def connect_modal() -> Block:
    blocks = [
        section(
            "Connect this workspace to your clinic's Coviu account. I check the key and secret "
            "with Coviu before saving them; the secret is stored encrypted and never shown again."
        ),
        _input("key", "Coviu API key", {"type": "plain_text_input", "action_id": "value"}),
        _input(
            "secret",
            "Coviu API secret",
            {"type": "plain_text_input", "action_id": "value"},
            hint="Shown by Coviu once, when the key was made.",
        ),
        _input(
            "url",
            "Coviu API URL",
            {"type": "plain_text_input", "action_id": "value", "initial_value": PRODUCTION_URL},
            optional=True,
            hint="Leave as it is unless Coviu gave you another address.",
        ),
    ]
    return _modal(CONNECT, "Connect Coviu", "Connect", blocks, {})
