"""Builders for what Slack sends an app: slash commands, interactions, events.

Field names, nesting and value shapes follow Slack's documented payloads, so a Bolt app reads
them unchanged. Values typed into inputs are converted to Slack's state shapes::

    element_state({"type": "datepicker", "action_id": "day"}, "2025-03-01")
    -> {"type": "datepicker", "selected_date": "2025-03-01"}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from . import blockkit
from .blockkit import Block, Input
from .users import FakeUser

_UNSET: Any = object()


class InvalidInput(ValueError):
    """A value Slack's client would not let a person submit (wrong shape, missing, too long)."""


# --- typed values --------------------------------------------------------------------------


def _options(element: Block) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option(element: Block, choice: Any) -> dict[str, Any]:
    """The option of `element` chosen by value (or by its label, or given as an option)."""
    if isinstance(choice, dict):
        return choice
    options = _options(element)
    for option in options:
        if option.get("value") == str(choice):
            return option
    for option in options:
        if blockkit.plain(option.get("text")) == str(choice):
            return option
    values = ", ".join(repr(o.get("value")) for o in options)
    raise InvalidInput(f"{choice!r} is not an option of {element.get('action_id')!r}: {values}")


def _user_id(value: Any, users: Mapping[str, FakeUser]) -> str:
    """A user id from an id, a handle or ``@handle``; pickers only offer real people."""
    text = str(value).lstrip("@")
    if text in users:
        return text
    for user in users.values():
        if user.name == text:
            return user.id
    raise InvalidInput(f"no such user: {value!r}")


def _epoch(value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput("a datetimepicker needs an aware datetime (with a zone)")
        return int(value.timestamp())
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        return _epoch(datetime.fromisoformat(value))
    return int(value)


def initial_value(element: Block) -> Any:
    """The value an element shows before anyone touches it (None when empty)."""
    kind = element.get("type")
    keys = {
        "plain_text_input": "initial_value",
        "number_input": "initial_value",
        "email_text_input": "initial_value",
        "url_text_input": "initial_value",
        "rich_text_input": "initial_value",
        "datepicker": "initial_date",
        "timepicker": "initial_time",
        "datetimepicker": "initial_date_time",
        "static_select": "initial_option",
        "external_select": "initial_option",
        "radio_buttons": "initial_option",
        "multi_static_select": "initial_options",
        "multi_external_select": "initial_options",
        "checkboxes": "initial_options",
        "users_select": "initial_user",
        "multi_users_select": "initial_users",
        "conversations_select": "initial_conversation",
        "multi_conversations_select": "initial_conversations",
        "channels_select": "initial_channel",
        "multi_channels_select": "initial_channels",
    }
    key = keys.get(str(kind))
    return element.get(key) if key else None


def element_state(
    element: Block, value: Any = _UNSET, users: Mapping[str, FakeUser] | None = None
) -> dict[str, Any]:
    """Slack's state entry for `element` holding `value` (its initial value when omitted)."""
    if value is _UNSET:
        value = initial_value(element)
    kind = str(element.get("type"))
    users = users or {}
    state: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "email_text_input", "url_text_input"):
        text = None if value in (None, "") else str(value)
        _check_length(element, text)
        state["value"] = text
    elif kind == "number_input":
        state["value"] = _number(element, value)
    elif kind == "rich_text_input":
        state["rich_text_value"] = value
    elif kind == "datepicker":
        state["selected_date"] = value.isoformat() if isinstance(value, date) else value
    elif kind == "timepicker":
        state["selected_time"] = value.strftime("%H:%M") if isinstance(value, time) else value
        if element.get("timezone"):
            state["timezone"] = element["timezone"]
    elif kind == "datetimepicker":
        state["selected_date_time"] = None if value in (None, "") else _epoch(value)
    elif kind in ("static_select", "external_select", "radio_buttons", "overflow"):
        state["selected_option"] = None if value is None else _option(element, value)
    elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        state["selected_options"] = [_option(element, v) for v in _listed(value)]
    elif kind == "users_select":
        state["selected_user"] = None if value in (None, "") else _user_id(value, users)
    elif kind == "multi_users_select":
        state["selected_users"] = [_user_id(v, users) for v in _listed(value)]
    elif kind == "conversations_select":
        state["selected_conversation"] = value
    elif kind == "multi_conversations_select":
        state["selected_conversations"] = _listed(value)
    elif kind == "channels_select":
        state["selected_channel"] = value
    elif kind == "multi_channels_select":
        state["selected_channels"] = _listed(value)
    else:
        state["value"] = value
    return state


def _listed(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return [value]


def _check_length(element: Block, text: str | None) -> None:
    length = len(text or "")
    if text is not None and "min_length" in element and length < int(element["min_length"]):
        raise InvalidInput(
            f"{element.get('action_id')!r} needs at least {element['min_length']} characters"
        )
    if "max_length" in element and length > int(element["max_length"]):
        raise InvalidInput(
            f"{element.get('action_id')!r} takes at most {element['max_length']} characters"
        )


def _number(element: Block, value: Any) -> str | None:
    if value in (None, ""):
        return None
    decimal = bool(element.get("is_decimal_allowed", False))
    try:
        number = float(value) if decimal else int(str(value))
    except ValueError:
        kind = "a number" if decimal else "a whole number"
        raise InvalidInput(f"{element.get('action_id')!r} needs {kind}, not {value!r}") from None
    low, high = element.get("min_value"), element.get("max_value")
    if (low is not None and number < float(low)) or (high is not None and number > float(high)):
        raise InvalidInput(f"{element.get('action_id')!r} is out of range: {value!r}")
    return str(value)  # Slack sends numbers as typed, as strings


def _is_empty(state: dict[str, Any]) -> bool:
    values = [v for k, v in state.items() if k not in ("type", "timezone")]
    return all(v in (None, "", []) for v in values)


def state_values(
    inputs: list[Input], overrides: Mapping[str, Any] | None, users: Mapping[str, FakeUser]
) -> dict[str, dict[str, Any]]:
    """``view.state.values`` for a submission: block_id → action_id → typed value.

    `overrides` are keyed by block_id, or by action_id when that is unique in the view.
    Raises `InvalidInput` for unknown keys or a required input left empty, since Slack's
    client would not submit such a form.
    """
    overrides = dict(overrides or {})
    by_key: dict[str, Input] = {i.block_id: i for i in inputs}
    action_ids = [i.action_id for i in inputs]
    for i in inputs:
        if action_ids.count(i.action_id) == 1:
            by_key.setdefault(i.action_id, i)
    unknown = [key for key in overrides if key not in by_key]
    if unknown:
        known = ", ".join(sorted({i.block_id for i in inputs}))
        raise InvalidInput(f"no input {', '.join(map(repr, unknown))} in this view: {known}")
    chosen: dict[str, Any] = {}
    for key, value in overrides.items():
        chosen[by_key[key].block_id] = value
    values: dict[str, dict[str, Any]] = {}
    for i in inputs:
        state = element_state(i.element, chosen.get(i.block_id, _UNSET), users)
        if not i.optional and _is_empty(state):
            raise InvalidInput(f"{i.label or i.block_id!r} is required")
        values[i.block_id] = {i.action_id: state}
    return values


# --- envelopes -----------------------------------------------------------------------------


def user_ref(user: FakeUser, team_id: str) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": team_id}


def team_ref(team_id: str, domain: str) -> dict[str, Any]:
    return {"id": team_id, "domain": domain}


def slash_command_form(
    *,
    token: str,
    team_id: str,
    team_domain: str,
    channel_id: str,
    channel_name: str,
    user: FakeUser,
    command: str,
    text: str,
    api_app_id: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The fields of a slash command request, form-encoded by `form_body`."""
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def form_body(fields: Mapping[str, str]) -> bytes:
    return urlencode(fields).encode()


def interactive_body(payload: dict[str, Any]) -> bytes:
    """Interactions arrive as a form with one ``payload`` field holding JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def action(
    element: Block, block_id: str, value: Any, action_ts: str, users: Mapping[str, FakeUser]
) -> dict[str, Any]:
    """One entry of a block_actions payload's ``actions`` list."""
    base: dict[str, Any] = {"action_id": element.get("action_id"), "block_id": block_id}
    if element.get("type") == "button":
        base.update(text=element.get("text"), value=element.get("value"), type="button")
        if element.get("style"):
            base["style"] = element["style"]
        if element.get("url"):
            base["url"] = element["url"]
    else:
        base.update(element_state(element, value, users))
        if element.get("placeholder"):
            base["placeholder"] = element["placeholder"]
    base["action_ts"] = action_ts
    return base


def block_actions(
    *,
    user: FakeUser,
    team_id: str,
    team_domain: str,
    api_app_id: str,
    token: str,
    trigger_id: str,
    actions: list[dict[str, Any]],
    container: dict[str, Any],
    channel: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(user, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_ref(team_id, team_domain),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = actions
    return payload


def view_submission(
    *,
    user: FakeUser,
    team_id: str,
    team_domain: str,
    api_app_id: str,
    token: str,
    trigger_id: str,
    view: dict[str, Any],
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": team_ref(team_id, team_domain),
        "user": user_ref(user, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(
    *,
    user: FakeUser,
    team_id: str,
    team_domain: str,
    api_app_id: str,
    token: str,
    view: dict[str, Any],
    is_cleared: bool = False,
) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": team_ref(team_id, team_domain),
        "user": user_ref(user, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "view": view,
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(
    *,
    event: dict[str, Any],
    token: str,
    team_id: str,
    api_app_id: str,
    event_id: str,
    event_time: int,
    bot_user_id: str,
) -> dict[str, Any]:
    return {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
