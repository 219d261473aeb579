"""Modal submissions: book, reschedule, add a person.

Fields are checked while Slack waits (no network needed: the date-time picker gives an epoch),
so mistakes come back inline next to the field (`response_action: errors`). A valid form is
swapped for a "working on it" view at once; the result replaces it when the work is done. Only
a valid form becomes work: a form sent back with errors is still open and nothing runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.booking import DEFAULT_TITLE, BookingError, BookingRequest, problems
from bot.booking.series import from_choice
from bot.slack import blocks
from bot.slack.context import Context
from bot.slack.intake import Answer, Router
from bot.slack.listeners.common import answering, change_people, team_and_user
from bot.slack.reminder_blocks import leads_from_options

if TYPE_CHECKING:
    from bot.app import Services


def field(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The submitted state of one input block ({} when absent)."""
    return view["state"]["values"].get(block_id, {}).get("value", {})


def booking_form(view: dict[str, Any]) -> dict[str, Any]:
    """The booking form's values as plain data."""
    when = field(view, "when").get("selected_date_time")
    length = (field(view, "length").get("selected_option") or {}).get("value")
    picked = field(view, "reminder").get("selected_options") or []
    external = field(view, "external").get("value") or ""
    count = field(view, "repeat_count").get("value")
    return {
        "title": (field(view, "title").get("value") or "").strip() or DEFAULT_TITLE,
        "start": datetime.fromtimestamp(when, UTC) if when else None,
        "minutes": int(length) if length else 30,
        "hosts": tuple(field(view, "hosts").get("selected_users") or ()),
        "guests": tuple(field(view, "guests").get("selected_users") or ()),
        "external": tuple(line.strip() for line in external.splitlines() if line.strip()),
        "reminders": leads_from_options([option.get("value", "") for option in picked]),
        "repeat": (field(view, "repeat").get("selected_option") or {}).get("value"),
        "repeat_count": int(count) if count else None,
    }


def repeat_problems(view: dict[str, Any]) -> dict[str, str]:
    """What the form's series fields are missing: a count goes with a choice, and back."""
    form = booking_form(view)
    if form["repeat"] and not form["repeat_count"]:
        return {"repeat_count": "Say how many sessions the series has, e.g. 6."}
    if form["repeat_count"] and not form["repeat"]:
        return {"repeat": "Pick how often it repeats, e.g. Every week, or clear the number."}
    if form["repeat"] and form["external"]:
        return {
            "external": "Guests without Slack can't be in a series yet (each session would "
            "give them a new link): book it with guests on Slack, or book one session."
        }
    return {}


def booking_request(
    view: dict[str, Any], team_id: str, user_id: str, reminder_minutes: int = 10
) -> BookingRequest | None:
    """The form as a booking request; None while no date and time is picked.
    `reminder_minutes` is the app's default lead time, for people who chose none."""
    form = booking_form(view)
    if form["start"] is None:
        return None
    return BookingRequest(
        team_id=team_id,
        booked_by=user_id,
        title=form["title"],
        start=form["start"],
        end=form["start"] + timedelta(minutes=form["minutes"]),
        hosts=form["hosts"],
        guests=form["guests"],
        external_guests=form["external"],
        reminders=form["reminders"],
        reminder_minutes=reminder_minutes,
        booker_is_host=user_id in form["hosts"],
    )


def _show_refusal(client: WebClient, view: dict[str, Any], title: str) -> Any:
    """Where a modal's work ends in a refusal or failure: in the modal, with the reason."""
    return lambda message: client.views_update(
        view_id=view["id"], view=blocks.result_modal(title, blocks.error(message))
    )


def _working(title: str, message: str) -> Answer:
    """Accept the form and show progress in its place; the result replaces it later."""
    return Answer(
        {"response_action": "update", "view": blocks.result_modal(title, blocks.progress(message))}
    )


def _errors(errors: dict[str, str]) -> Answer:
    """Send the form back with these messages against their fields; no work follows."""
    return Answer({"response_action": "errors", "errors": errors}, work=False)


def _book_series(
    services: Services,
    client: WebClient,
    view: dict[str, Any],
    request: BookingRequest,
    form: dict[str, Any],
    key: str,
) -> None:
    """The form's series: its rule from the start, in the booker's own zone."""
    tz = services.people.timezone(request.team_id, request.booked_by)
    try:
        rule = from_choice(form["repeat"], form["repeat_count"], request.start.astimezone(
            ZoneInfo(tz)
        ))  # fmt: skip
    except ValueError:
        raise BookingError(
            "An every-weekday series has to start on a weekday: pick a Monday to Friday.",
            field="when",
        ) from None
    booked = services.series.book(request, rule, key=key)
    first = booked.first
    _, body_blocks = blocks.booked_series(
        first.session, first.participants, booked.series, booked.created, first.undelivered
    )
    client.views_update(view_id=view["id"], view=blocks.result_modal("Booked", body_blocks[:-1]))


def register(router: Router, services: Services) -> None:
    default_lead = services.settings.reminder_minutes

    def form_problems(request: BookingRequest | None) -> dict[str, str]:
        if request is None:
            return {"when": "Pick a date and time."}
        return problems(request, services.clock())

    def check_booking(body: dict[str, Any]) -> Answer:
        request = booking_request(body["view"], *team_and_user(body), default_lead)
        if errors := form_problems(request) | repeat_problems(body["view"]):
            return _errors(errors)
        return _working("Booking…", "Booking your session…")

    def book(body: dict[str, Any], ctx: Context) -> None:
        view, client = body["view"], ctx.client
        request = booking_request(view, *team_and_user(body), default_lead)
        if request is None:
            return
        with answering(_show_refusal(client, view, "Not booked")):
            form = booking_form(view)
            if form["repeat"] and form["repeat_count"]:
                _book_series(services, client, view, request, form, ctx.key)
                return
            booked = services.booking.book(request, key=ctx.key)
            _, body_blocks = blocks.booked(
                booked.session, booked.participants, booked.undelivered, buttons=False
            )
            # The buttons stay in the DM; the result view is a place to read, not to act.
            result = blocks.result_modal("Booked", body_blocks[:-1])
            client.views_update(view_id=view["id"], view=result)

    router.view("book", ack=check_booking, work=book)

    def check_reschedule(body: dict[str, Any]) -> Answer:
        when = field(body["view"], "when").get("selected_date_time")
        if not when or datetime.fromtimestamp(when, UTC) <= services.clock():
            return _errors({"when": "Pick a date and time in the future."})
        return _working("Rescheduling…", "Moving the session…")

    def reschedule(body: dict[str, Any], ctx: Context) -> None:
        view, client = body["view"], ctx.client
        team_id, user_id = team_and_user(body)
        session_id = json.loads(view["private_metadata"])["session_id"]
        start = datetime.fromtimestamp(field(view, "when")["selected_date_time"], UTC)
        minutes = int(field(view, "length")["selected_option"]["value"])
        which = (field(view, "which").get("selected_option") or {}).get("value")
        end = start + timedelta(minutes=minutes)
        with answering(_show_refusal(client, view, "Not moved")):
            if which == "following":
                moved, count = services.series.reschedule_following(
                    session_id, team_id, user_id, start, end, key=ctx.key
                )
                result = blocks.result_modal("Rescheduled", blocks.moved_following(moved, count)[1])
                client.views_update(view_id=view["id"], view=result)
                return
            moved = services.booking.reschedule(
                session_id, team_id, user_id, start, end, key=ctx.key
            )
            outside = [p for p in services.booking.participants(session_id) if p.external]
            result = blocks.result_modal("Rescheduled", blocks.moved(moved, outside=outside)[1])
            client.views_update(view_id=view["id"], view=result)

    router.view("reschedule", ack=check_reschedule, work=reschedule)

    def check_add(body: dict[str, Any]) -> Answer:
        view = body["view"]
        if (
            not field(view, "user").get("selected_user")
            and not (field(view, "external").get("value") or "").strip()
        ):
            return _errors({"user": "Pick someone on Slack, or type a guest's name below."})
        return _working("Adding…", "Adding them…")

    def add(body: dict[str, Any], ctx: Context) -> None:
        view, client = body["view"], ctx.client
        team_id, user_id = team_and_user(body)
        session_id = json.loads(view["private_metadata"])["session_id"]
        role = (field(view, "role").get("selected_option") or {}).get("value", "GUEST")
        person: dict[str, str] = {"role": role}
        if user := field(view, "user").get("selected_user"):
            person["user"] = user
        else:
            person["name"] = field(view, "external")["value"].strip()
        with answering(_show_refusal(client, view, "Not added")):
            lines = change_people(
                services, "add", session_id, team_id, user_id, [person], key=ctx.key
            )
            client.views_update(
                view_id=view["id"],
                view=blocks.result_modal("Add a person", [blocks.section("\n".join(lines))]),
            )

    router.view("add_person", ack=check_add, work=add)
