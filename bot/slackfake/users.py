"""Workspace people: the demo users, Slack's user object, and mention escaping.

>>> alice = DEMO_USERS[0]
>>> alice.id, alice.tz
('U0ALICE', 'Australia/Sydney')
>>> escape_mentions("with @alice tomorrow", DEMO_USERS)
'with <@U0ALICE|alice> tomorrow'
>>> CONNECT_USER.external, user_object(CONNECT_USER, "T0CLINIC", 0)["team_id"]
(True, 'T0KIWI')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class FakeUser:
    """One member of the fake workspace. `name` is the handle (``@alice``).

    `home_team` is set for a Slack Connect member from another organisation: someone the
    workspace's people meet in a shared channel, whose account lives in `home_team`. Slack
    shows them in ``users.info`` with that team's id; the app can't DM them (see `WebApi`).
    `stranger`: they share no channel the app can see (Slack's ``is_stranger``).
    `enterprise_id`: their organisation is an Enterprise Grid org (``enterprise_user``).
    """

    id: str
    name: str
    real_name: str
    tz: str
    is_bot: bool = False
    home_team: str | None = None
    stranger: bool = False
    enterprise_id: str | None = None

    @property
    def external(self) -> bool:
        """From another organisation (Slack Connect)."""
        return self.home_team is not None

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        # Slack never shows another organisation's people's email addresses.
        return "" if self.is_bot or self.external else f"{self.name}@clinic.example"


DEMO_USERS: tuple[FakeUser, ...] = (
    FakeUser("U0ALICE", "alice", "Alice Nguyen", "Australia/Sydney"),
    FakeUser("U0BOB", "bob", "Bob Smith", "Europe/London"),
    FakeUser("U0CAROL", "carol", "Carol Diaz", "America/New_York"),
    FakeUser("U0DAVE", "dave", "Dave Lee", "Australia/Sydney"),
)
"""People of the demo clinic, spread over three zones (two share Sydney on purpose)."""

CONNECT_USER = FakeUser("U0ZOE", "zoe", "Zoe Park", "Pacific/Auckland", home_team="T0KIWI")
"""A physio at Kiwi Physio, another organisation, met in a Slack Connect channel."""

BOT_USER = FakeUser("U0COVIUBOT", "coviu", "Coviu", "America/Los_Angeles", is_bot=True)
"""The app's bot user: what ``auth.test`` reports as ``user_id`` and authors bot messages."""

# Slack reports a long zone name in `tz_label`; zoneinfo only knows abbreviations.
_TZ_LABELS = {
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "ACST": "Australian Central Standard Time",
    "ACDT": "Australian Central Daylight Time",
    "AWST": "Australian Western Standard Time",
    "NZST": "New Zealand Standard Time",
    "NZDT": "New Zealand Daylight Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "UTC": "Coordinated Universal Time",
}


def tz_fields(tz: str, now: float) -> dict[str, Any]:
    """Slack's ``tz``, ``tz_label`` and ``tz_offset`` (seconds east of UTC) at instant `now`."""
    local = datetime.fromtimestamp(now, ZoneInfo(tz))
    offset = local.utcoffset()
    abbreviation = local.tzname() or tz
    return {
        "tz": tz,
        "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
    }


def user_object(user: FakeUser, team_id: str, now: float) -> dict[str, Any]:
    """The ``user`` object of ``users.info`` / ``users.list``, as Slack returns it.

    A Slack Connect member carries their own organisation's team id (in ``team_id`` and
    ``profile.team``), no email, ``is_stranger`` when they share no channel the app can see,
    and ``enterprise_user`` when their organisation is an Enterprise Grid org."""
    team_id = user.home_team or team_id
    image = f"https://avatars.example/{user.name}"
    profile: dict[str, Any] = {
        "avatar_hash": f"g{user.id.lower()[-6:]}",
        "status_text": "",
        "status_emoji": "",
        "real_name": user.real_name,
        "display_name": user.display_name,
        "real_name_normalized": user.real_name,
        "display_name_normalized": user.display_name,
        "first_name": user.real_name.split(" ")[0],
        "last_name": " ".join(user.real_name.split(" ")[1:]),
        "image_24": f"{image}_24.png",
        "image_32": f"{image}_32.png",
        "image_48": f"{image}_48.png",
        "image_72": f"{image}_72.png",
        "image_192": f"{image}_192.png",
        "image_512": f"{image}_512.png",
        "team": team_id,
    }
    if user.email:
        profile["email"] = user.email
    body: dict[str, Any] = {
        "id": user.id,
        "team_id": team_id,
        "name": user.name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": user.real_name,
        **tz_fields(user.tz, now),
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1700000000,
        "is_email_confirmed": not user.is_bot,
        "who_can_share_contact_card": "EVERYONE",
    }
    if user.stranger:
        body["is_stranger"] = True
    if user.enterprise_id:
        body["enterprise_user"] = {
            "id": user.id,
            "enterprise_id": user.enterprise_id,
            "enterprise_name": user.home_team or team_id,
            "is_admin": False,
            "is_owner": False,
            "teams": [team_id],
        }
    return body


_MENTION = re.compile(r"(?<![<\w])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


def escape_mentions(text: str, users: Iterable[FakeUser]) -> str:
    """Rewrite ``@name`` of known users as ``<@U…|name>``, as Slack does for a slash command
    whose manifest sets ``should_escape: true``. Unknown names are left as typed."""
    by_name = {user.name.lower(): user for user in users}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        # Handles may not end in punctuation: "@alice." means alice followed by a full stop.
        stripped = name.rstrip("._-")
        user = by_name.get(stripped.lower())
        if user is None:
            return match.group(0)
        return f"<@{user.id}|{user.name}>" + name[len(stripped) :]

    return _MENTION.sub(replace, text)
