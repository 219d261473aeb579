"""Reading Block Kit: buttons, flattened text, input fields, and Slack's validation rules.

Used by the fake's Web API (to refuse what Slack would refuse) and by its Slack side (to find
the button a test clicks, and to build ``view.state.values`` for a submission)::

    buttons(blocks)            -> [Button(action_id="join", value="p1", text="Join", ...)]
    text_content(text, blocks) -> "Physio review\\nTomorrow 3pm\\nJoin"
    inputs(blocks)             -> [Input(block_id="when", action_id="at", type="datetimepicker")]
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]

# Element types that send a block_actions payload and so carry an action_id.
INTERACTIVE_TYPES = frozenset(
    {
        "button",
        "overflow",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
        "file_input",
    }
)

BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "image",
        "actions",
        "context",
        "input",
        "header",
        "rich_text",
        "file",
        "video",
        "markdown",
    }
)


@dataclass(frozen=True)
class Button:
    """A button found in a message or view (``text`` is its label as plain text)."""

    action_id: str
    value: str | None
    text: str
    url: str | None
    block_id: str
    style: str | None = None
    confirm: dict[str, Any] | None = field(default=None, repr=False)
    element: Block | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Input:
    """One input block of a view: what a person fills in before submitting."""

    block_id: str
    action_id: str
    type: str
    label: str
    optional: bool
    element: Block
    hint: str = ""


def plain(text_object: Any) -> str:
    """The text of a text object (``{"type": "plain_text", "text": ...}``) or a string."""
    if isinstance(text_object, dict):
        return str(text_object.get("text", ""))
    return "" if text_object is None else str(text_object)


def random_id(length: int = 5) -> str:
    """A short random id, like those Slack assigns to blocks and actions sent without one."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def elements_of(block: Block) -> Iterator[Block]:
    """Every element of a block that may be interactive (accessory, element, elements)."""
    if isinstance(block.get("accessory"), dict):
        yield block["accessory"]
    if isinstance(block.get("element"), dict):
        yield block["element"]
    if block.get("type") == "actions":
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                yield element


def normalize(blocks: list[Block]) -> list[Block]:
    """Copy of `blocks` with the ids Slack fills in: a ``block_id`` on every block and an
    ``action_id`` on every interactive element. Apps see these ids in later payloads."""
    result: list[Block] = []
    for block in blocks:
        block = {**block}
        block.setdefault("block_id", random_id())
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                block[key] = _with_action_id(block[key])
        if block.get("type") == "actions" and isinstance(block.get("elements"), list):
            block["elements"] = [_with_action_id(e) for e in block["elements"]]
        result.append(block)
    return result


def _with_action_id(element: Any) -> Any:
    if isinstance(element, dict) and element.get("type") in INTERACTIVE_TYPES:
        return {"action_id": random_id(), **element}
    return element


def buttons(blocks: list[Block]) -> list[Button]:
    """All button elements in `blocks`, in reading order."""
    found: list[Button] = []
    for block in blocks:
        for element in elements_of(block):
            if element.get("type") == "button":
                found.append(
                    Button(
                        action_id=str(element.get("action_id", "")),
                        value=element.get("value"),
                        text=plain(element.get("text")),
                        url=element.get("url"),
                        block_id=str(block.get("block_id", "")),
                        style=element.get("style"),
                        confirm=element.get("confirm"),
                        element=element,
                    )
                )
    return found


def text_content(text: str, blocks: list[Block]) -> str:
    """`text` plus every piece of text in `blocks`, one per line: handy for ``in`` asserts."""
    parts: list[str] = [text] if text else []
    for block in blocks:
        parts.extend(_texts(block))
    return "\n".join(p for p in parts if p)


def _texts(node: Any) -> Iterator[str]:
    # Walk any structure: text objects, fields, elements, options, rich text sections.
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            yield str(node["text"])
            return
        if node.get("type") == "text" and "text" in node:  # rich_text leaf
            yield str(node["text"])
            return
        for key, value in node.items():
            if key in ("confirm", "placeholder"):
                continue
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def inputs(blocks: list[Block]) -> list[Input]:
    """The input blocks of a view, each with its single element."""
    found: list[Input] = []
    for block in blocks:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        found.append(
            Input(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                type=str(element.get("type", "")),
                label=plain(block.get("label")),
                optional=bool(block.get("optional", False)),
                element=element,
                hint=plain(block.get("hint")),
            )
        )
    return found


# --- validation: what Slack refuses, with messages shaped like Slack's ----------------------

_LIMITS = {"button_text": 75, "button_value": 2000, "action_id": 255, "block_id": 255}


def validate_blocks(blocks: Any, *, limit: int, pointer: str = "/blocks") -> list[str]:
    """Problems Slack would report for `blocks` (``[ERROR] ... [json-pointer:...]``)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        here = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{here}]")
            continue
        kind = block["type"]
        if kind not in BLOCK_TYPES:
            problems.append(f"[ERROR] unsupported type: {kind} [json-pointer:{here}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_block_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{here}/block_id]")
            if len(str(block_id)) > _LIMITS["block_id"]:
                problems.append(f"[ERROR] must be less than 256 characters [json-pointer:{here}]")
            seen_block_ids.add(block_id)
        problems.extend(_validate_block(block, here))
    return problems


def _validate_block(block: Block, here: str) -> list[str]:
    kind = block["type"]
    problems: list[str] = []
    if kind == "section" and not block.get("text") and not block.get("fields"):
        problems.append(f"[ERROR] must provide either text or fields [json-pointer:{here}]")
    if kind == "section" and len(plain(block.get("text"))) > 3000:
        problems.append(f"[ERROR] must be less than 3001 characters [json-pointer:{here}/text]")
    if kind == "header" and (
        not isinstance(block.get("text"), dict) or block["text"].get("type") != "plain_text"
    ):
        problems.append(f"[ERROR] must be a plain_text object [json-pointer:{here}/text]")
    if kind in ("actions", "context"):
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.append(f"[ERROR] must provide at least 1 item [json-pointer:{here}/elements]")
    if kind == "input":
        if not block.get("label"):
            problems.append(f"[ERROR] missing required field: label [json-pointer:{here}]")
        if not isinstance(block.get("element"), dict):
            problems.append(f"[ERROR] missing required field: element [json-pointer:{here}]")
    action_ids: set[str] = set()
    for element in elements_of(block):
        if not isinstance(element.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{here}]")
            continue
        action_id = element.get("action_id")
        if action_id is not None:
            if action_id in action_ids:
                problems.append(f"[ERROR] duplicate action_id [json-pointer:{here}]")
            action_ids.add(action_id)
            if len(str(action_id)) > _LIMITS["action_id"]:
                problems.append(f"[ERROR] action_id too long [json-pointer:{here}]")
        if element["type"] == "button":
            text = element.get("text")
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                problems.append(f"[ERROR] must be a plain_text object [json-pointer:{here}]")
            elif len(plain(text)) > _LIMITS["button_text"]:
                problems.append(f"[ERROR] must be less than 76 characters [json-pointer:{here}]")
            if len(str(element.get("value") or "")) > _LIMITS["button_value"]:
                problems.append(f"[ERROR] must be less than 2001 characters [json-pointer:{here}]")
            if element.get("style") not in (None, "primary", "danger"):
                problems.append(f"[ERROR] must be one of primary, danger [json-pointer:{here}]")
    return problems


def validate_view(view: Any) -> list[str]:
    """Problems Slack would report for a view sent to views.open/push/update/publish."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view [json-pointer:/view]"]
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append("[ERROR] must be one of modal, home [json-pointer:/view/type]")
    if kind == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or title.get("type") != "plain_text":
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        elif len(plain(title)) > 24:
            problems.append("[ERROR] must be less than 25 characters [json-pointer:/view/title]")
        for key in ("submit", "close"):
            if key in view and len(plain(view[key])) > 24:
                problems.append(
                    f"[ERROR] must be less than 25 characters [json-pointer:/view/{key}]"
                )
        has_inputs = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_inputs and not view.get("submit"):
            problems.append(
                "[ERROR] must provide submit when using input blocks [json-pointer:/view/submit]"
            )
    if len(str(view.get("private_metadata") or "")) > 3000:
        problems.append(
            "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
        )
    if len(str(view.get("callback_id") or "")) > 255:
        problems.append("[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]")
    problems.extend(validate_blocks(view.get("blocks", []), limit=100, pointer="/view/blocks"))
    return problems
