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
#
# Slack answers a refused message with ``invalid_blocks`` (a view with ``invalid_arguments``)
# and one ``response_metadata.messages`` line per problem, each ``[ERROR] <what>
# [json-pointer:<where>]``. The limits below are Block Kit's documented ones; each is checked
# where it applies, so a test learns which field of which block is at fault.

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

LIMITS: dict[str, int] = {
    "section_text": 3000,
    "section_fields": 10,
    "section_field_text": 2000,
    "header_text": 150,
    "context_elements": 10,
    "actions_elements": 25,
    "button_text": 75,
    "button_value": 2000,
    "url": 3000,
    "accessibility_label": 75,
    "confirm_title": 100,
    "confirm_text": 300,
    "confirm_button": 30,
    "option_text": 75,
    "option_value": 150,
    "option_description": 75,
    "options": 100,
    "option_groups": 100,
    "option_group_label": 75,
    "choices": 10,  # radio buttons and checkboxes
    "overflow_min": 2,
    "overflow_max": 5,
    "placeholder": 150,
    "input_label": 2000,
    "input_hint": 2000,
    "text_input_length": 3000,
    "image_url": 3000,
    "alt_text": 2000,
    "image_title": 2000,
    "markdown_text": 12000,
    "action_id": 255,
    "block_id": 255,
    "view_title": 24,
    "view_button": 24,
    "private_metadata": 3000,
    "callback_id": 255,
    "external_id": 255,
}

# Elements allowed inside an input block (the rest only work in section/actions).
INPUT_ELEMENT_TYPES = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
        "file_input",
        "checkboxes",
        "radio_buttons",
        "datepicker",
        "timepicker",
        "datetimepicker",
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
    }
)

_SELECTS_WITH_OPTIONS = frozenset({"static_select", "multi_static_select"})
_CHOICES = frozenset({"radio_buttons", "checkboxes"})


class _Problems:
    """Collects Slack-style problem lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, what: str, pointer: str) -> None:
        self.lines.append(f"[ERROR] {what} [json-pointer:{pointer}]")

    def too_long(self, value: str, limit: int, pointer: str) -> None:
        if len(value) > limit:
            self.add(f"must be less than {limit + 1} characters", pointer)

    def count(self, items: Any, pointer: str, *, most: int, least: int = 0) -> list[Any]:
        """Check a list's length; return its items (empty when it isn't a list)."""
        if not isinstance(items, list):
            self.add("must be an array", pointer)
            return []
        if len(items) < least:
            self.add(f"must provide at least {least} item{'s' if least > 1 else ''}", pointer)
        if len(items) > most:
            self.add(f"no more than {most} items allowed", pointer)
        return items

    def text(
        self, obj: Any, pointer: str, limit: int, *, plain_only: bool = False, required: bool = True
    ) -> None:
        """A text object: ``{"type": "plain_text"|"mrkdwn", "text": "…"}`` of 1..limit chars."""
        if obj is None:
            if required:
                field_name = pointer.rsplit("/", 1)[-1]
                parent = pointer.rsplit("/", 1)[0]
                self.add(f"missing required field: {field_name}", parent)
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.add("must be a text object (plain_text or mrkdwn)", pointer)
            return
        if plain_only and obj["type"] != "plain_text":
            self.add("must be a plain_text object", pointer + "/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.add("missing required field: text", pointer)
            return
        if not value:
            self.add("must be more than 0 characters", pointer + "/text")
        self.too_long(value, limit, pointer + "/text")


def validate_blocks(blocks: Any, *, limit: int, pointer: str = "/blocks") -> list[str]:
    """Problems Slack would report for `blocks` (``[ERROR] ... [json-pointer:...]``).

    >>> validate_blocks([{"type": "header", "text": {"type": "mrkdwn", "text": "Hi"}}],
    ...                 limit=MAX_MESSAGE_BLOCKS)
    ['[ERROR] must be a plain_text object [json-pointer:/blocks/0/text/type]']
    """
    report = _Problems()
    _check_blocks(report, blocks, limit, pointer)
    return report.lines


def _check_blocks(report: _Problems, blocks: Any, limit: int, pointer: str) -> None:
    items = report.count(blocks, pointer, most=limit)
    seen_block_ids: set[str] = set()
    for index, block in enumerate(items):
        here = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            report.add("missing required field: type", here)
            continue
        kind = block["type"]
        if kind not in BLOCK_TYPES:
            report.add(f"unsupported type: {kind}", here + "/type")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_block_ids:
                report.add("duplicate block_id", here + "/block_id")
            seen_block_ids.add(block_id)
            report.too_long(str(block_id), LIMITS["block_id"], here + "/block_id")
        _check_block(report, block, here)


def _check_block(report: _Problems, block: Block, here: str) -> None:
    kind = block["type"]
    if kind == "section":
        if block.get("text") is None and block.get("fields") is None:
            report.add("must provide either text or fields", here)
        if block.get("text") is not None:
            report.text(block["text"], here + "/text", LIMITS["section_text"])
        if block.get("fields") is not None:
            fields = report.count(block["fields"], here + "/fields", most=LIMITS["section_fields"])
            for i, item in enumerate(fields):
                report.text(item, f"{here}/fields/{i}", LIMITS["section_field_text"])
        if block.get("accessory") is not None:
            _check_element(report, block["accessory"], here + "/accessory")
    elif kind == "header":
        report.text(block.get("text"), here + "/text", LIMITS["header_text"], plain_only=True)
    elif kind == "actions":
        elements = report.count(
            block.get("elements"), here + "/elements", most=LIMITS["actions_elements"], least=1
        )
        for i, element in enumerate(elements):
            _check_element(report, element, f"{here}/elements/{i}")
    elif kind == "context":
        elements = report.count(
            block.get("elements"), here + "/elements", most=LIMITS["context_elements"], least=1
        )
        for i, element in enumerate(elements):
            at = f"{here}/elements/{i}"
            if isinstance(element, dict) and element.get("type") == "image":
                _check_image(report, element, at)
            else:
                report.text(element, at, LIMITS["section_text"])
    elif kind == "input":
        report.text(block.get("label"), here + "/label", LIMITS["input_label"], plain_only=True)
        if block.get("hint") is not None:
            report.text(block["hint"], here + "/hint", LIMITS["input_hint"], plain_only=True)
        element = block.get("element")
        if not isinstance(element, dict):
            report.add("missing required field: element", here)
        elif element.get("type") not in INPUT_ELEMENT_TYPES:
            report.add(f"unsupported type: {element.get('type')}", here + "/element/type")
        else:
            _check_element(report, element, here + "/element")
    elif kind == "image":
        _check_image(report, block, here)
        if block.get("title") is not None:
            report.text(block["title"], here + "/title", LIMITS["image_title"], plain_only=True)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str):
            report.add("missing required field: text", here)
        else:
            report.too_long(text, LIMITS["markdown_text"], here + "/text")
    # Two elements of one block can't share an action_id: Slack couldn't tell them apart.
    action_ids: set[str] = set()
    for element in elements_of(block):
        action_id = element.get("action_id")
        if action_id is not None:
            if action_id in action_ids:
                report.add("duplicate action_id", here)
            action_ids.add(action_id)


def _check_image(report: _Problems, image: Block, here: str) -> None:
    url = image.get("image_url")
    if not isinstance(url, str) and image.get("slack_file") is None:
        report.add("missing required field: image_url", here)
    elif isinstance(url, str):
        report.too_long(url, LIMITS["image_url"], here + "/image_url")
    alt = image.get("alt_text")
    if not isinstance(alt, str):
        report.add("missing required field: alt_text", here)
    else:
        report.too_long(alt, LIMITS["alt_text"], here + "/alt_text")


def _check_element(report: _Problems, element: Any, here: str) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        report.add("missing required field: type", here)
        return
    kind = element["type"]
    if kind == "image":
        _check_image(report, element, here)
        return
    if kind not in INTERACTIVE_TYPES:
        report.add(f"unsupported type: {kind}", here + "/type")
        return
    action_id = element.get("action_id")
    if action_id is not None:
        report.too_long(str(action_id), LIMITS["action_id"], here + "/action_id")
    if element.get("placeholder") is not None:
        report.text(
            element["placeholder"], here + "/placeholder", LIMITS["placeholder"], plain_only=True
        )
    if element.get("confirm") is not None:
        _check_confirm(report, element["confirm"], here + "/confirm")
    if kind == "button":
        report.text(element.get("text"), here + "/text", LIMITS["button_text"], plain_only=True)
        if element.get("value") is not None:
            report.too_long(str(element["value"]), LIMITS["button_value"], here + "/value")
        if element.get("url") is not None:
            report.too_long(str(element["url"]), LIMITS["url"], here + "/url")
        if element.get("accessibility_label") is not None:
            report.too_long(
                str(element["accessibility_label"]),
                LIMITS["accessibility_label"],
                here + "/accessibility_label",
            )
        if element.get("style") not in (None, "primary", "danger"):
            report.add("must be one of primary, danger", here + "/style")
    elif kind in _SELECTS_WITH_OPTIONS:
        _check_select_options(report, element, here)
    elif kind == "overflow":
        options = report.count(
            element.get("options"),
            here + "/options",
            most=LIMITS["overflow_max"],
            least=LIMITS["overflow_min"],
        )
        for i, option in enumerate(options):
            _check_option(report, option, f"{here}/options/{i}", url_allowed=True)
    elif kind in _CHOICES:
        options = report.count(
            element.get("options"), here + "/options", most=LIMITS["choices"], least=1
        )
        for i, option in enumerate(options):
            _check_option(report, option, f"{here}/options/{i}", mrkdwn_allowed=True)
        for key in ("initial_option",):
            if element.get(key) is not None:
                _check_option(report, element[key], f"{here}/{key}", mrkdwn_allowed=True)
    elif kind == "plain_text_input":
        for key in ("min_length", "max_length"):
            value = element.get(key)
            if value is not None and not (0 <= int(value) <= LIMITS["text_input_length"]):
                report.add(f"must be at most {LIMITS['text_input_length']}", f"{here}/{key}")
        if element.get("initial_value") is not None:
            report.too_long(
                str(element["initial_value"]),
                LIMITS["text_input_length"],
                here + "/initial_value",
            )
    elif kind == "number_input" and "is_decimal_allowed" not in element:
        report.add("missing required field: is_decimal_allowed", here)


def _check_select_options(report: _Problems, element: Block, here: str) -> None:
    has_options = element.get("options") is not None
    has_groups = element.get("option_groups") is not None
    if has_options == has_groups:
        report.add("must provide exactly one of options or option_groups", here)
    if has_options:
        options = report.count(
            element["options"], here + "/options", most=LIMITS["options"], least=1
        )
        for i, option in enumerate(options):
            _check_option(report, option, f"{here}/options/{i}")
    if has_groups:
        groups = report.count(
            element["option_groups"], here + "/option_groups", most=LIMITS["option_groups"],
            least=1,
        )  # fmt: skip
        for g, group in enumerate(groups):
            at = f"{here}/option_groups/{g}"
            if not isinstance(group, dict):
                report.add("must be an object", at)
                continue
            report.text(
                group.get("label"), at + "/label", LIMITS["option_group_label"], plain_only=True
            )
            options = report.count(
                group.get("options"), at + "/options", most=LIMITS["options"], least=1
            )
            for i, option in enumerate(options):
                _check_option(report, option, f"{at}/options/{i}")
    if element.get("initial_option") is not None:
        _check_option(report, element["initial_option"], here + "/initial_option")
    for i, option in enumerate(element.get("initial_options") or []):
        _check_option(report, option, f"{here}/initial_options/{i}")


def _check_option(
    report: _Problems,
    option: Any,
    here: str,
    *,
    mrkdwn_allowed: bool = False,
    url_allowed: bool = False,
) -> None:
    """An option object: text ≤ 75 (plain_text except in radio buttons and checkboxes),
    value ≤ 150, description ≤ 75, url (overflow menus only) ≤ 3,000."""
    if not isinstance(option, dict):
        report.add("must be an object", here)
        return
    report.text(
        option.get("text"), here + "/text", LIMITS["option_text"], plain_only=not mrkdwn_allowed
    )
    value = option.get("value")
    if value is None:
        report.add("missing required field: value", here)
    else:
        report.too_long(str(value), LIMITS["option_value"], here + "/value")
    if option.get("description") is not None:
        report.text(
            option["description"],
            here + "/description",
            LIMITS["option_description"],
            plain_only=not mrkdwn_allowed,
        )
    if option.get("url") is not None:
        if not url_allowed:
            report.add("url is only allowed in overflow menus", here + "/url")
        report.too_long(str(option["url"]), LIMITS["url"], here + "/url")


def _check_confirm(report: _Problems, confirm: Any, here: str) -> None:
    """A confirmation dialog: title ≤ 100, text ≤ 300, confirm and deny ≤ 30 (all required;
    title, confirm and deny plain_text only)."""
    if not isinstance(confirm, dict):
        report.add("must be an object", here)
        return
    report.text(confirm.get("title"), here + "/title", LIMITS["confirm_title"], plain_only=True)
    report.text(confirm.get("text"), here + "/text", LIMITS["confirm_text"])
    for key in ("confirm", "deny"):
        report.text(confirm.get(key), f"{here}/{key}", LIMITS["confirm_button"], plain_only=True)
    if confirm.get("style") not in (None, "primary", "danger"):
        report.add("must be one of primary, danger", here + "/style")


def validate_message(blocks: Any) -> list[str]:
    """Problems Slack would report for a message's `blocks` (chat.*, response_url, acks)."""
    return validate_blocks(blocks, limit=MAX_MESSAGE_BLOCKS)


def validate_view(view: Any) -> list[str]:
    """Problems Slack would report for a view sent to views.open/push/update/publish.

    >>> validate_view({"type": "modal", "title": {"type": "plain_text", "text": "Book a Coviu "
    ...                "video session"}, "blocks": []})
    ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']
    """
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view [json-pointer:/view]"]
    report = _Problems()
    kind = view.get("type")
    if kind not in ("modal", "home"):
        report.add("must be one of modal, home", "/view/type")
    if kind == "modal":
        report.text(view.get("title"), "/view/title", LIMITS["view_title"], plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                report.text(view[key], f"/view/{key}", LIMITS["view_button"], plain_only=True)
        has_inputs = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_inputs and not view.get("submit"):
            report.add("must provide submit when using input blocks", "/view/submit")
    report.too_long(
        str(view.get("private_metadata") or ""),
        LIMITS["private_metadata"],
        "/view/private_metadata",
    )
    report.too_long(str(view.get("callback_id") or ""), LIMITS["callback_id"], "/view/callback_id")
    report.too_long(str(view.get("external_id") or ""), LIMITS["external_id"], "/view/external_id")
    _check_blocks(report, view.get("blocks", []), MAX_VIEW_BLOCKS, "/view/blocks")
    return report.lines
