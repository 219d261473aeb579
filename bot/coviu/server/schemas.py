"""Request and response bodies of the Coviu Session API, as in the seed spec.

Input is forgiving where Coviu's clients differ (roles in any case, dates in RFC-1123 or
ISO-8601) and strict about types (a number is not a name). Output is exactly the seed's shapes,
plus ``canceled_time`` / ``deleted_at`` (always present, ``null`` unless cancelled) as newer Coviu
docs have them::

    >>> ParticipantIn.model_validate({"role": "Host"}).role
    'HOST'
    >>> SessionCreate.model_validate(
    ...     {"start_time": "Wed, 08 Jun 2016 04:07:11 GMT", "end_time": "2016-06-08T04:17:11Z"}
    ... ).end_time.isoformat()
    '2016-06-08T04:17:11+00:00'
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from bot.coviu.dates import parse_date

ROLES = ("HOST", "GUEST")


def _parse_date_value(value: Any) -> datetime:
    if isinstance(value, datetime):  # already parsed (model_validate from Python)
        return parse_date(value.isoformat())
    if value is None:
        raise ValueError("may not be null: send a date string, or leave the field out")
    if not isinstance(value, str):
        raise ValueError("expected a date string (RFC-1123 or ISO-8601 with offset)")
    # parse_date is strict: right weekday, real day, offset required, years 1 to 9999 in UTC.
    # Whole seconds: RFC-1123 cannot say more, so what is stored is what is shown.
    return parse_date(value).replace(microsecond=0)


def _normalise_role(value: str) -> str:
    role = value.upper()
    if role not in ROLES:
        raise ValueError(f"must be 'host' or 'guest' (any case), not {value!r}")
    return role


# What the document says a date string looks like: the two shapes parse_date reads. JSON
# Schema cannot say "the weekday of that day" or "a day that month has"; the descriptions do.
DATE_PATTERN = (
    r"^((Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-2]?[1-9]|[123]0|31) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT"
    r"|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))$"
)
DATE_SCHEMA = {
    "type": "string",
    "pattern": DATE_PATTERN,
    "maxLength": 64,
    "description": "RFC-1123 with the right weekday (Wed, 08 Jun 2016 04:07:11 GMT) or "
    "ISO-8601 with an offset (2016-06-08T04:07:11Z); a real calendar day, in years 1 to 9999",
    "examples": ["Wed, 08 Jun 2039 04:07:11 GMT", "2039-06-08T04:17:11Z"],
}


DateIn = Annotated[datetime, PlainValidator(_parse_date_value), WithJsonSchema(DATE_SCHEMA)]
# A date that may be left out (PUT keeps the stored one) but not sent as null.
OptionalDateIn = Annotated[
    datetime | None, PlainValidator(_parse_date_value), WithJsonSchema(DATE_SCHEMA)
]
RoleIn = Annotated[
    str,
    AfterValidator(_normalise_role),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([Hh][Oo][Ss][Tt]|[Gg][Uu][Ee][Ss][Tt])$",
            "description": "host or guest, in any case",
        }
    ),
]
Name = Annotated[str, Field(max_length=1000)]
Url = Annotated[str, Field(max_length=4096)]
State = Annotated[str, Field(max_length=4096)]


class _In(BaseModel):
    # Unknown fields are ignored (a newer client may send more); pydantic does not turn
    # numbers into strings, so a wrongly typed field is refused rather than guessed at.
    model_config = ConfigDict(extra="ignore")


class ParticipantIn(_In):
    """A participant to add (on create, or ``POST /v1/sessions/{id}/participants``)."""

    display_name: Name | None = None
    picture: Url | None = None
    role: RoleIn
    state: State | None = None


class ParticipantUpdate(ParticipantIn):
    """``PUT /v1/participants/{id}``: role is required; other fields absent are kept."""


class SessionCreate(_In):
    session_name: Name | None = None
    start_time: DateIn
    end_time: DateIn
    picture: Url | None = None
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=1000)


class SessionUpdate(_In):
    """``PUT /v1/sessions/{id}``: every field optional; absent fields are kept."""

    session_name: Name | None = None
    start_time: OptionalDateIn = None
    end_time: OptionalDateIn = None
    picture: Url | None = None


class ParticipantOut(BaseModel):
    client_id: str
    display_name: str | None
    entry_url: str
    participant_id: str
    picture: str | None
    role: Literal["HOST", "GUEST"]
    session_id: str
    state: str | None
    deleted_at: str | None = Field(description="RFC-1123 when cancelled, else null")


class SessionOut(BaseModel):
    session_id: str
    session_name: str | None
    start_time: str = Field(description="RFC-1123")
    end_time: str = Field(description="RFC-1123")
    picture: str | None
    team_id: str
    client_id: str
    participants: list[ParticipantOut]
    canceled_time: str | None = Field(description="RFC-1123 when cancelled, else null")


class SessionPage(BaseModel):
    content: list[SessionOut]
    page: int
    page_size: int = Field(description="the page size used (requested, capped at 200)")
    more: bool


class Ok(BaseModel):
    ok: bool = True


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"
    scope: str


class TokenIn(_In):
    """``POST /session/{id}/admit`` and ``/remove``: whom, by their per-entry token."""

    token: Annotated[str, Field(min_length=1, max_length=200)]


class SummaryEvent(BaseModel):
    event: Literal["entered", "admitted", "removed", "left"]
    time: str = Field(description="RFC-1123")
    by_participant_id: str | None = Field(description="the host who admitted or removed")
    reason: str | None = Field(
        description="for 'left': left, timed_out, session_ended, session_cancelled or "
        "participant_cancelled"
    )


class SessionSummaryEvent(SummaryEvent):
    participant_id: str


class ParticipantSummary(BaseModel):
    participant_id: str
    display_name: str | None
    role: Literal["HOST", "GUEST"]
    picture: str | None
    deleted_at: str | None
    status: Literal["never_entered", "waiting", "in", "left", "removed"]
    entered_time: str | None = Field(description="first arrival (a guest's, in the waiting room)")
    joined_time: str | None = Field(description="first time in the call: entry or admission")
    left_time: str | None = Field(description="last exit or removal; null while present")
    events: list[SummaryEvent]


class SessionSummary(BaseModel):
    """``GET /v1/sessions/{id}/summary``: who entered, was let in, removed and left, when."""

    session_id: str
    session_name: str | None
    start_time: str = Field(description="scheduled start, RFC-1123")
    end_time: str = Field(description="scheduled end, RFC-1123")
    canceled_time: str | None
    actual_start_time: str | None = Field(
        description="when the call really began: the first host in, or the first guest let "
        "in; null if nobody ever was"
    )
    actual_end_time: str | None = Field(
        description="when the last person in the call left; null while anyone is in or if "
        "nobody ever was"
    )
    participants: list[ParticipantSummary]
    events: list[SessionSummaryEvent]
