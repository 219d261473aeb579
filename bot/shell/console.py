"""The shell's conversation: read a line, act as a workspace user, show what the app did.

Lines come from a terminal or a pipe. Each acts through the local Slack stand-in exactly as a
person in Slack would (a slash command, a button press, a form submission), and the shell waits
until the app has finished with it before reading on, so a piped script gives a complete,
ordered transcript.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TextIO

import requests

from bot.shell.pages import Link, PageError, Pages
from bot.shell.render import Renderer, indent
from bot.slackfake import FakeSlack, FakeSlackError, FakeUser

HELP = """Type as the current user, as you would in Slack:
  /coviu help                    what the app understands
  /coviu book "Physio review" with @bob tomorrow 3pm for 45 min
  /coviu                         the booking form (answer each field; Enter keeps the default)
  /coviu list | cancel | reschedule ... | add @carol | remove @carol
Shell commands:
  as NAME         act as another person (users lists them)
  users           the people in this workspace and their time zones
  home            open your App Home tab
  press N         press button [N] from the output (a Join button opens the entry link);
                  `press Join` presses the newest button with that label
  dms [NAME]      the bot's direct messages to you (or to NAME)
  open my link    open your entry link to your next session, as a browser would: a host is
                  in, a guest waits (`open pat's link`, `open @bob's link`: someone else's,
                  e.g. a guest without Slack)
  let pat in      a host with their page open lets a waiting guest in
  leave [NAME]    close your page (or NAME's): they leave the session
  skip 10m        move time forward (e.g. 50m, 2h, 1d) to see reminders, nudges and the end
                  of a call arrive; open pages keep polling as browsers do
  help            this text
  quit            leave (Ctrl-D too)"""

DURATION = re.compile(r"^(\d+)\s*([mhd])$")
OPEN_LINK = re.compile(r"^open\s+(?:(my)|(?:@?(.+?)(?:'s|’s|s')))\s+link$|^open\s+link$", re.I)
LET_IN = re.compile(r"^let\s+(.+?)\s+in$", re.I)
# While pages are open, `skip` moves time a minute at a time and each page polls in between:
# Coviu counts someone silent for two minutes as gone.
PAGE_STEP = timedelta(minutes=1)
POLL_SECONDS = 20.0  # how often open pages poll at a terminal (Coviu's patience: 2 minutes)
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class Console:
    def __init__(
        self,
        slack: FakeSlack,
        users: list[FakeUser],
        idle: Callable[[], None],
        skip: Callable[[timedelta], int],
        out: TextIO = sys.stdout,
        pages: Pages | None = None,
    ) -> None:
        self.slack = slack
        self.users = {u.name: u for u in users if not u.is_bot}
        self.by_id = {u.id: u for u in users}
        self.user = next(iter(self.users.values()))
        self.idle = idle
        self.skip_time = skip
        self.out = out
        self.pages = pages
        self._pages_lock = threading.Lock()
        self._stopping = threading.Event()
        self.renderer = Renderer({u.id: u.name for u in users})
        self._print_lock = threading.RLock()
        self._modal_seen: set[tuple[str, str]] = set()
        # What each message and each person's App Home last showed: updates show what changed.
        self._shown: dict[tuple[str, str], list[str]] = {}
        self._homes: dict[str, list[str]] = {}
        slack.subscribe(self._on_change)

    # -- output -------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        with self._print_lock:
            print(text, file=self.out, flush=True)

    def _label(self, message: Any) -> str | None:
        if message.ephemeral_to:
            if message.ephemeral_to == self.user.id:
                return "only visible to you"
            return f"only visible to @{self.by_id[message.ephemeral_to].name}"
        if message.channel.startswith("D"):
            owner = self._dm_owner(message)
            return f"DM to @{owner.name}" if owner else f"DM {message.channel}"
        return f"#{message.channel}"

    def _on_change(self, change: Any) -> None:
        if change.kind in ("message_posted", "ephemeral", "message_updated") and change.message:
            message = change.message
            if message.user != self.slack.bot_user_id:
                return
            label = self._label(message)
            reader = self.by_id.get(message.ephemeral_to or "") or self._dm_owner(message)
            tz = (reader or self.user).tz
            updated = " · updated" if change.kind == "message_updated" else ""
            lines = self.renderer.blocks(message.blocks, tz, message, message.text)
            before = self._shown.get((message.channel, message.ts))
            self._shown[(message.channel, message.ts)] = lines
            if before is not None and updated and lines and _same(before[0], lines[0]):
                # A live card: only what changed (who is in now), not the whole card again.
                old = {_unnumbered(line) for line in before}
                lines = [lines[0], *(ln for ln in lines[1:] if _unnumbered(ln) not in old)]
                if len(lines) == 1:
                    return
            self.say(f"[{label}{updated}] " + (lines[0].strip() if lines else ""))
            if len(lines) > 1:
                self.say(indent(lines[1:]))
        elif change.kind == "message_deleted" and change.message and change.message.ephemeral_to:
            pass  # a progress line taken away; the answer that replaces it is shown instead
        elif change.kind == "home_published" and change.view and change.user_id == self.user.id:
            lines = self.renderer.blocks(change.view.blocks, self.user.tz, change.view)
            seen = [_unnumbered(line) for line in lines]
            if self._homes.get(self.user.id, seen) == seen:
                # Republished as it was (the room changed elsewhere), or by the app to a Home
                # you have not looked at in this shell (`home`): nothing to show.
                return
            self._homes[self.user.id] = seen
            self.say("[your App Home]")
            self.say(indent(lines))

    def _dm_owner(self, message: Any) -> FakeUser | None:
        for user in self.by_id.values():
            if self.slack.im_channel(user.id) == message.channel:
                return user
        return None

    # -- input --------------------------------------------------------------------------------

    def run(self, lines: Iterator[str], echo: bool) -> None:
        self.say(
            f"You are @{self.user.name} ({self.user.tz}). Type `help` for what you can do, "
            "`quit` to leave."
        )
        self._lines = lines
        self._echo = echo
        if not echo:
            import readline  # noqa: F401  (line editing and history for input())

            # At a terminal real time passes while you type: open pages keep polling, as a
            # browser's do, so Coviu does not count their people as gone.
            threading.Thread(target=self._keep_polling, name="pages", daemon=True).start()
        while True:
            line = self._read(f"{self.user.name}> ")
            if line is None or line.strip() in ("quit", "exit"):
                self._stopping.set()
                return
            self.handle(line.strip())

    def _read(self, prompt: str) -> str | None:
        if not self._echo:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = next(self._lines, None)
        if line is None:
            return None
        self.say(prompt + line.rstrip("\n"))
        return line.rstrip("\n")

    def _confirmed(self, title: str, text: str, yes: str, no: str) -> bool:
        """Slack's confirmation dialog: the press counts only on a yes."""
        self.say(f"  ┌ {title}\n  │ {self.renderer.text(text, self.user.tz)}")
        answer = self._read(f"  └ {yes} / {no}? [y/n] ")
        return (answer or "").strip().lower() in ("y", "yes", yes.lower())

    def handle(self, line: str) -> None:
        if not line or line.startswith("#"):
            return
        word, _, rest = line.partition(" ")
        self._poll_pages()  # the open pages polled while the line was typed
        if line.startswith("/"):
            self._slash(line)
        elif OPEN_LINK.match(line):
            match = OPEN_LINK.match(line)
            assert match is not None
            mine = match.group(1) or not match.group(2)
            self._open_page(self.user.name if mine else match.group(2))
        elif LET_IN.match(line):
            match = LET_IN.match(line)
            assert match is not None
            self._let_in(match.group(1))
        elif word == "leave":
            self._leave(rest.strip() or self.user.name)
        elif word in ("as", "user"):
            self._switch(rest.strip())
        elif word == "users":
            for user in self.users.values():
                mark = " (you)" if user is self.user else ""
                mark += " (another organisation)" if user.external else ""
                self.say(f"  @{user.name:<8} {user.real_name:<14} {user.tz}{mark}")
        elif word == "home":
            self._homes[self.user.id] = []  # you look at it now: show it, and its changes
            self.slack.open_home(self.user.id)
            self.idle()
            self._forms()
        elif word in ("press", "click", "open") or word.isdigit():
            self._press(rest.strip() if not word.isdigit() else word)
        elif word == "dms":
            self._dms(rest.strip().lstrip("@") or self.user.name)
        elif word == "skip":
            self._skip(rest.strip())
        elif word == "help":
            self.say(HELP)
        else:
            self.say(
                "The app listens for /coviu here. Try `/coviu help`, or `help` for the shell's "
                "own commands."
            )

    def _slash(self, line: str) -> None:
        command, _, text = line.partition(" ")
        if command != "/coviu":
            self.say(f"{command} is not a command in this workspace. Try `/coviu help`.")
            return
        self.slack.slash_command(self.user.id, command, text)
        self.idle()
        self._forms()

    def _switch(self, name: str) -> None:
        user = self.users.get(name.lstrip("@").lower())
        if user is None:
            self.say(f"No one called {name!r} here. `users` lists them, e.g. `as bob`.")
            return
        self.user = user
        self.say(f"You are now @{user.name} ({user.tz}).")

    def _press(self, which: str) -> None:
        """Press button [N], or the newest with that label that you can see (`press Join`)."""
        buttons = self.renderer.buttons
        if which.isdigit():
            number = int(which) if int(which) in buttons else None
        else:
            labelled = [
                n
                for n, (b, source) in buttons.items()
                if b.label.lower() == which.lower() and self._owner(source) in (None, self.user)
            ]
            number = max(labelled, default=None)
        if number is None:
            self.say("Press a numbered button from above, e.g. `press 1` or `press Join`.")
            return
        button, source = buttons[number]
        owner = self._owner(source)
        if owner is not None and owner is not self.user:
            self.say(
                f"[{number}] {button.label} was shown to @{owner.name}; `as {owner.name}` first."
            )
            return
        if button.confirm and not self._confirmed(*button.confirm):
            self.say("Nothing was done.")
            return
        if button.url:
            self._open_link(button.url)
            self._enter_at(button.url)
        try:
            self.slack.click(self.user.id, source, button.action_id, button.value)
        except FakeSlackError as error:
            self.say(f"Slack wouldn't let you press that: {error}")
            return
        self.idle()
        self._forms()

    def _owner(self, source: Any) -> FakeUser | None:
        """Who alone can see `source` (a DM's owner, an ephemeral's reader), if anyone."""
        if getattr(source, "ephemeral_to", None):
            return self.by_id.get(source.ephemeral_to)
        if getattr(source, "channel", "").startswith("D"):
            return self._dm_owner(source)
        return self.by_id.get(getattr(source, "user_id", "") or "")

    def _open_link(self, url: str) -> None:
        self.say(f"(opening {url})")
        try:
            page = requests.get(url, timeout=10)
        except requests.RequestException as error:
            self.say(f"  could not open it: {error.__class__.__name__}")
            return
        title = re.search(r"<title>(.*?)</title>", page.text, re.S)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", page.text, re.S)
        summary = " — ".join(
            re.sub(r"<[^>]+>|\s+", " ", m.group(1)).strip() for m in (title, heading) if m
        )
        self.say(f"  HTTP {page.status_code}: {summary or page.reason}")

    # -- entry pages: people in the session -----------------------------------------------------

    def _names(self) -> dict[str, str]:
        return {u.id: u.name for u in self.by_id.values()}

    def _open_page(self, name: str) -> None:
        if self.pages is None:
            self.say("Entry pages can't be opened here.")
            return
        link = self.pages.link_of(name, self._names())
        if link is None:
            self.say(
                f"{name} has no session to join that is not over. Book one first, e.g. "
                '`/coviu book "Check-in" with @bob "Pat Smith" in 5 minutes`, then '
                "`open pat's link`."
            )
            return
        self._enter(link, f"({_whose(link)} link to “{link.session.title}” opens in a browser)")

    def _enter_at(self, url: str) -> None:
        """A Join button opened the page: its script enters, as in a browser."""
        link = self.pages.link_at(url, self.user.name) if self.pages else None
        if link is not None:
            self._enter(link)

    def _on_page(self, act: Callable[[Pages], Any], heading: str = "") -> Any:
        """Do something on a page and print what it says, before anything the app does about
        it: Coviu's webhooks reach the app at once, and its DMs would otherwise interleave.
        (The app's output waits on the print lock meanwhile; the page's call never waits on
        the app.) None when the page refused, having said why."""
        assert self.pages is not None
        with self._print_lock:
            if heading:
                self.say(heading)
            try:
                with self._pages_lock:
                    return act(self.pages)
            except PageError as error:
                self.say(f"  the page says: {error}")
                return None

    def _enter(self, link: Link, heading: str = "") -> None:
        with self._print_lock:
            state = self._on_page(lambda pages: pages.enter(link), heading)
            if state is None:
                return
            self.say(f"  the page says: {state.get('message')}")
            waiting = [p.get("display_name") for p in state.get("waiting") or []]
            if waiting:
                first = str(waiting[0]).split(" ")[0].lower()
                self.say(f"  waiting: {', '.join(map(str, waiting))} (`let {first} in`)")
        self.idle()

    def _let_in(self, guest: str) -> None:
        host = self._open_of(self.user.name)
        if host is None or not host.is_host:
            self.say(
                "Only a host with their page open can let people in: `open my link` first "
                "(as a host), then e.g. `let pat in`."
            )
            return
        with self._print_lock:
            name = self._on_page(lambda pages: pages.let_in(host, guest))
            if name is None:
                return
            self.say(f"  the page says: {name} is in the session with you.")
        self.idle()

    def _leave(self, name: str) -> None:
        link = self._open_of(name.lstrip("@"))
        if link is None:
            self.say(
                f"{name} has no page open. `open {name.lstrip('@')}'s link` opens one; "
                "`leave` alone closes yours."
            )
            return
        with self._print_lock:
            heading = f"({link.who} leaves “{link.session.title}”)"
            state = self._on_page(lambda pages: pages.leave(link), heading)
            if state is None:
                return
            self.say(f"  the page says: {state.get('message')}")
        self.idle()

    def _open_of(self, name: str) -> Link | None:
        """The page `name` has open (a Slack name, or a guest's name or first name)."""
        wanted = name.strip().lower()
        if self.pages is None:
            return None
        for link in list(self.pages.open.values()):
            who = link.who.lower()
            if wanted in (who, who.split(" ")[0]):
                return link
        return None

    def _poll_pages(self) -> None:
        """Every open page polls Coviu, as browsers do; say which closed (the call ended)."""
        if self.pages is None or not self.pages.open:
            return
        with self._print_lock:  # the closing said before what the app does about it
            with self._pages_lock:
                closed = self.pages.heartbeat()
            for link, said in closed:
                self.say(f"({_whose(link)} page for “{link.session.title}” closed: {said})")
        if closed:
            self.idle()

    def _keep_polling(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                self._poll_pages()
            except Exception as error:  # a page that can't poll is reported, never fatal
                self.say(f"(a page could not poll: {type(error).__name__})")

    def _dms(self, name: str) -> None:
        user = self.users.get(name.lower())
        if user is None:
            self.say(f"No one called {name!r} here. `users` lists them.")
            return
        messages = self.slack.dms(user.id)
        if not messages:
            self.say(f"No DMs to @{user.name} yet.")
        for message in messages:
            lines = self.renderer.blocks(message.blocks, user.tz, message, message.text)
            self.say(f"[DM to @{user.name}] " + (lines[0].strip() if lines else ""))
            if len(lines) > 1:
                self.say(indent(lines[1:]))

    def _skip(self, text: str) -> None:
        match = DURATION.match(text.replace(" ", ""))
        if not match:
            self.say("Say how far to skip, e.g. `skip 50m`, `skip 2h` or `skip 1d`.")
            return
        delta = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
        sent = 0
        while delta > timedelta():
            step = min(delta, PAGE_STEP) if self.pages and self.pages.open else delta
            sent += self.skip_time(step)
            delta -= step
            self._poll_pages()
            self.idle()  # what fell due in this step (a nudge, a call's end) shows in order
        self.say(f"(skipped {text}; {sent} reminder{'s' if sent != 1 else ''} sent)")

    # -- modals as forms ----------------------------------------------------------------------

    def _forms(self) -> None:
        """Show the modal the app opened for the current user, if any, and fill it in."""
        while True:
            stack = self.slack.view_stack(self.user.id)
            if not stack:
                return
            view = stack[-1]
            key = (view.id, view.hash)
            if key in self._modal_seen:
                return
            self._modal_seen.add(key)
            if not view.inputs():
                self._show_result(view)
                return
            if not self._fill(view):
                return

    def _show_result(self, view: Any) -> None:
        self.say(f"┌ {view.title}")
        self.say(indent(self.renderer.blocks(view.blocks, self.user.tz, view), "│ "))
        self.say("└")
        self.slack.close_view(self.user.id, view)
        self.idle()

    def _fill(self, view: Any) -> bool:
        self.say(f"┌ {view.title}  (Enter keeps [the default]; `cancel` closes the form)")
        notes = [b for b in view.blocks if b.get("type") in ("context", "section")]
        if notes:
            self.say(indent(self.renderer.blocks(notes, self.user.tz, view), "│ "))
        answers: dict[str, Any] = {}
        ask = list(view.inputs())
        while True:
            for field in ask:
                answer = self._ask(field)
                if answer is _CANCEL:
                    self.slack.close_view(self.user.id, view)
                    self.idle()
                    self.say("└ form closed")
                    return False
                if answer is not _KEEP:
                    answers[field.block_id] = answer
            try:
                result = self.slack.submit(self.user.id, view, answers)
            except ValueError as error:  # the form itself refuses, as Slack's client would
                self.say(f"│ ⚠ {error}")
                continue
            self.idle()
            if not result.errors:
                self.say("└ submitted")
                return True
            for block_id, message in result.errors.items():
                self.say(f"│ ⚠ {_label(view, block_id)}: {message}")
            ask = [f for f in view.inputs() if f.block_id in result.errors]

    def _ask(self, field: Any) -> Any:
        element = field.element
        kind = element.get("type")
        default = _describe_default(element, self.renderer, self.user.tz)
        hint = {
            "datetimepicker": " (YYYY-MM-DD HH:MM, your time)",
            "multi_users_select": " (names, e.g. @bob @carol)",
            "users_select": " (a name, e.g. @carol)",
            "static_select": " ("
            + " / ".join(o["text"]["text"] for o in element.get("options", []))
            + ")",
        }.get(str(kind), "")
        optional = " (optional)" if field.optional else ""
        prompt = f"│ {field.label}{optional}{hint} [{default}]: "
        line = self._read(prompt)
        if line is None or line.strip() == "cancel":
            return _CANCEL
        line = line.strip()
        if not line:
            return _KEEP
        if line == "-":
            return None
        if kind == "datetimepicker":
            return _local_epoch(line, self.user.tz)
        if kind == "static_select":
            return _choose(element, line)
        if kind == "plain_text_input" and element.get("multiline"):
            return "\n".join(part.strip() for part in line.split(","))
        return line


BUTTON_NUMBER = re.compile(r"\[\d+\] ")


def _unnumbered(line: str) -> str:
    """A rendered line without its button numbers (they are new at every showing)."""
    return BUTTON_NUMBER.sub("[] ", line)


def _same(a: str, b: str) -> bool:
    return _unnumbered(a) == _unnumbered(b)


def _whose(link: Link) -> str:
    return f"{link.who}'" if link.who.endswith("s") else f"{link.who}'s"


_KEEP = object()
_CANCEL = object()


def _label(view: Any, block_id: str) -> str:
    for field in view.inputs():
        if field.block_id == block_id:
            return str(field.label)
    return block_id


def _describe_default(element: dict[str, Any], renderer: Renderer, tz: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    kind = element.get("type")
    if kind == "datetimepicker" and element.get("initial_date_time"):
        moment = datetime.fromtimestamp(element["initial_date_time"], ZoneInfo(tz))
        return moment.strftime("%Y-%m-%d %H:%M")
    if kind == "static_select" and element.get("initial_option"):
        return str(element["initial_option"]["text"]["text"])
    if kind == "multi_users_select":
        return " ".join(renderer.text(f"<@{u}>", tz) for u in element.get("initial_users", []))
    if kind == "users_select" and element.get("initial_user"):
        return renderer.text(f"<@{element['initial_user']}>", tz)
    return str(element.get("initial_value") or "")


def _local_epoch(text: str, tz: str) -> Any:
    """A typed date and time, in the user's zone, as the picker's epoch (or the text itself,
    which the form then refuses with a clear message)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return text
    return int(moment.timestamp())


def _choose(element: dict[str, Any], text: str) -> str:
    for option in element.get("options", []):
        label = option["text"]["text"]
        if text.lower() in (label.lower(), str(option["value"]).lower()):
            return str(option["value"])
    if text.isdigit():  # "45" for "45 minutes"
        for option in element.get("options", []):
            if option["value"] == text:
                return text
    return text
