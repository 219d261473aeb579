"""HTML of the entry pages: the page behind each ``entry_url`` and its refusals.

Plain server-rendered HTML with one stylesheet and one script from ``static/`` (no build step,
served at ``/session-assets/...``). The server renders what is true when the page is opened
(greeting, session, times in UTC, pictures); ``static/entry.js`` turns the times into the
browser's zone, enters, and keeps the page live by polling its state::

    html = entry_page(entry, base="/session/<participant id>")
    html = refusal_page(error, entry=None)        # 404, 410 or 403 "not open yet"

Every page is sent with ``PAGE_HEADERS``: no caching, no referrer (the page's URL is a
participant's secret and must not leak to the hosts of avatar pictures), no indexing, and a
content security policy that allows only our own script and style.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from importlib import resources

from bot.coviu.server.entry import EARLY_OPEN, Entry, safe_picture
from bot.coviu.server.errors import ApiError
from bot.coviu.server.store import from_db_time

ASSETS_PATH = "/session-assets"
EARLY_MINUTES = int(EARLY_OPEN.total_seconds() // 60)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src http: https:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}

# Pages that are not open yet reload themselves at opening time when that is this close; a
# page opened days early would otherwise sit reloading for nothing.
_AUTO_RELOAD_WITHIN = 3600


def asset(name: str) -> bytes:
    """The bytes of ``static/<name>`` (package data: ``entry.css``, ``entry.js``)."""
    return resources.files("bot.coviu.server").joinpath("static", name).read_bytes()


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_text(moment: datetime, with_date: bool = True) -> str:
    """The no-script fallback: ``Wed, 8 Jun 2016, 04:07 UTC``; the script shows local time."""
    time = moment.strftime("%H:%M UTC")
    if not with_date:
        return time
    return f"{moment.strftime('%a')}, {moment.day} {moment.strftime('%b %Y')}, {time}"


def time_tag(moment: datetime, with_date: bool = True) -> str:
    kind = "datetime" if with_date else "time"
    return (
        f'<time datetime="{_iso(moment)}" data-local="{kind}">'
        f"{_e(_utc_text(moment, with_date))}</time>"
    )


def _avatar(picture: str | None, name: str, css: str = "avatar") -> str:
    """A picture when one is given, else initials. Decorative either way (``alt=""``): the
    name always stands next to it."""
    url = safe_picture(picture)
    if url:
        return f'<img class="{css}" src="{_e(url)}" alt="" width="56" height="56">'
    initials = "".join(word[0] for word in name.split()[:2]).upper() or "?"
    return f'<span class="{css} initials" aria-hidden="true">{_e(initials)}</span>'


def _layout(title: str, body: str, head_extra: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{_e(title)}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/entry.css">
{head_extra}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="bar"><span class="brand">Coviu</span></header>
{body}
<footer class="foot"><p>Session links open {EARLY_MINUTES} minutes before the start time.
Your link is personal: please don't share it.</p></footer>
<script src="{ASSETS_PATH}/entry.js" defer></script>
</body>
</html>
"""


def _session_lines(entry: Entry) -> str:
    session = entry.session
    start = from_db_time(session["start_time"])
    end = from_db_time(session["end_time"])
    name = session["session_name"] or "Coviu session"
    picture = safe_picture(session["picture"])
    image = (
        f'<img class="room" src="{_e(picture)}" alt="" width="96" height="96">' if picture else ""
    )
    return f"""<div class="session">{image}<div>
<p class="session-name" id="session-name">{_e(name)}</p>
<p class="when">{time_tag(start)} to {time_tag(end, with_date=False)}</p>
</div></div>"""


def entry_page(entry: Entry, base: str) -> str:
    """The page of one participant whose link is open. ``base`` is the page's own path, which
    its script calls ``/enter``, ``/state``, ``/admit``, ``/remove`` and ``/leave`` under."""
    name = entry.display_name
    role = "the host" if entry.is_host else "a guest"
    host_part = ""
    if entry.is_host:
        host_part = """
<section id="waiting" class="panel" aria-labelledby="waiting-heading" hidden>
<h2 id="waiting-heading">Waiting room <span id="waiting-count" class="count"></span></h2>
<p id="waiting-empty">Nobody is waiting.</p>
<ul id="waiting-list" class="people"></ul>
</section>"""
    role_code = entry.participant["role"]
    body = f"""<main id="main" class="entry" data-base="{_e(base)}" data-role="{_e(role_code)}"
data-status="not_entered">
<section class="card" aria-labelledby="greeting">
<div class="me">{_avatar(entry.participant["picture"], name)}
<div><h1 id="greeting">Hello, {_e(name)}</h1>
<p class="role">You are joining as {role}.</p></div></div>
{_session_lines(entry)}
<p id="status" class="status" role="status" aria-live="polite">Joining…</p>
<noscript><p class="status">This page needs JavaScript to let you in.</p></noscript>
<div class="actions">
<button id="leave" type="button" class="secondary" hidden>Leave</button>
<button id="rejoin" type="button" hidden>Join again</button>
</div>
</section>{host_part}
<section id="call" class="panel" aria-labelledby="call-heading" hidden>
<h2 id="call-heading">In the session</h2>
<p class="note">This local Coviu server shows who is here; it carries no video.</p>
<ul id="people" class="people"></ul>
</section>
<div id="announce" class="visually-hidden" aria-live="assertive"></div>
</main>"""
    title = f"{entry.session['session_name'] or 'Coviu session'} · Coviu"
    return _layout(title, body)


_REFUSALS = {
    "unknown_link": (
        "Link not found",
        "This link does not lead to any session. Check that you have the whole link, or ask "
        "whoever sent it for a new one.",
    ),
    "session_cancelled": (
        "Session cancelled",
        "This session was cancelled, so it cannot be entered. Contact whoever booked it if "
        "you need a new time.",
    ),
    "participant_cancelled": (
        "Link cancelled",
        "This link was cancelled and no longer lets anyone in. Ask whoever sent it for a "
        "new one if you still need to join.",
    ),
    "session_ended": ("Session ended", "This session has ended, so it cannot be entered."),
}


def refusal_page(error: ApiError, entry: Entry | None = None) -> str:
    """The page for a link that cannot be entered now. Says no more than the link's holder
    may know: nothing about a cancelled participant's session, nothing for unknown links."""
    head = ""
    if error.code == "not_open_yet" and entry is not None:
        start = from_db_time(entry.session["start_time"])
        title = "Not open yet"
        wait = int(error.headers.get("Retry-After", "0"))
        if 0 < wait <= _AUTO_RELOAD_WITHIN:
            # Reload when the door opens; no script needed.
            head = f'<meta http-equiv="refresh" content="{wait}">\n'
        text = (
            f"<p>Hello, {_e(entry.display_name)}. This session starts at {time_tag(start)}. "
            f"It opens {EARLY_MINUTES} minutes before, at {time_tag(entry.opens_at)}: "
            "come back then"
            + (", or keep this page open and it will let you in." if head else ".")
            + "</p>"
        )
        details = _session_lines(entry)
    else:
        title, message = _REFUSALS.get(error.code, ("Cannot enter", error.message))
        text = f"<p>{_e(message)}</p>"
        details = ""
        if error.code == "session_ended" and entry is not None:
            details = _session_lines(entry)
    body = f"""<main id="main" class="refusal" data-code="{_e(error.code)}">
<section class="card" aria-labelledby="refusal-heading">
<h1 id="refusal-heading">{_e(title)}</h1>
{details}
<div class="status" role="status">{text}</div>
</section>
</main>"""
    return _layout(f"{title} · Coviu", body, head)
