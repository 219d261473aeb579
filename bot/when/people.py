"""Who and what: Slack mentions as guests or hosts, and the title.

>>> from bot.when.text import Scan
>>> scan = Scan('"Physio review" host <@U0BOB> with <@U0ALICE|alice>')
>>> read_people(scan)
('Physio review', ('U0ALICE',), ('U0BOB',))
"""

from __future__ import annotations

import re

from bot.when.text import Scan

# Slack sends ids in upper case; a hand-typed "<@u1>" means the same user, so case is ignored
# and ids are upper-cased.
MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>", re.IGNORECASE)
# "host <@U1>" makes one host; "hosts <@U1>, <@U2> and <@U3>" (or "hosted by ...") makes a run.
_HOSTS = re.compile(
    r"\b(?P<kw>hosts|hosted\s+by|host)\b\s*:?\s*"
    r"(?P<run><@[UW][A-Z0-9]+(?:\|[^>]*)?>(?:\s*(?:,|&|\band\b)?\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>)*)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r'"(?P<a>[^"]*)"|\u201c(?P<b>[^\u201d]*)\u201d')
# Words that only join the parts of a booking; dropped from the edges of leftover pieces so
# "Team sync 2-3pm thursday with <@U0DAVE>" is titled "Team sync", while "Lunch and learn" stays.
_EDGE_WORDS = frozenset({"with", "and", "at", "on", "for", "from", "by", "about", "around"})
# One step of trimming each: a run of punctuation, or one joining word. The steps are looped in
# Python rather than nested in one pattern: "(a+|b)+$" backtracks exponentially on a run of dots.
_HEAD_JUNK = re.compile(r"[^\w\"']+")
_HEAD_WORD = re.compile(r"(?:with|and|at|on|for|from|by|about|around)(?=\s|$)", re.IGNORECASE)
_WORD_CHAR = re.compile(r"[\w']")


def read_people(scan: Scan) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """Claim the quoted title and the mentions in `scan`; return (quoted title, guests, hosts).

    Call before `scan.normalise()`: it works on the original text.
    """
    text = scan.original
    hosts: list[str] = []
    guests: list[str] = []
    # Every mention (so every host run) holds "<@": most booking text has none, and skips both
    # scans. `in` is exact, so this only ever skips a scan that would find nothing.
    if "<@" in text:
        _read_mentions(scan, hosts, guests)
    title: str | None = None
    quoted = _QUOTED.search(text) if '"' in text or "\u201c" in text else None
    if quoted is not None:
        scan.claim_original(*quoted.span())
        title = " ".join((quoted["a"] if quoted["a"] is not None else quoted["b"]).split()) or None
    return title, tuple(guests), tuple(hosts)


def _read_mentions(scan: Scan, hosts: list[str], guests: list[str]) -> None:
    """Claim the hosts' runs and the mentions, adding their ids to `hosts` and `guests`."""
    text = scan.original
    for match in _HOSTS.finditer(text):
        ids = [m["id"].upper() for m in MENTION.finditer(match["run"])]
        if match["kw"].lower() == "host":
            # A singular "host" takes the first mention only; the rest stay guests.
            first = MENTION.search(match["run"])
            if first is None:  # the run's pattern and MENTION disagree: leave it to MENTION
                continue
            scan.claim_original(match.start(), match.start("run") + first.end())
            ids = ids[:1]
        else:
            scan.claim_original(*match.span())
        hosts.extend(i for i in ids if i not in hosts)
    seen = set(hosts)  # a set: hundreds of mentions must not cost a list scan each
    for match in MENTION.finditer(text):
        scan.claim_original(*match.span())
        user = match["id"].upper()
        if user not in seen:
            seen.add(user)
            guests.append(user)


def leftover_title(scan: Scan) -> str | None:
    """The title made of the words nobody claimed, joining words trimmed from each piece's edges.

    >>> scan = Scan("Team sync 2-3pm thursday with <@U0DAVE>")
    >>> _ = read_people(scan)
    >>> scan.claim_original(10, 15); scan.claim_original(16, 24)
    >>> leftover_title(scan)
    'Team sync'
    """
    words: list[str] = []
    for piece in scan.leftovers():
        if piece := piece.strip():  # the spaces between claimed phrases, mostly
            words.extend(_trim_tail(_trim_head(piece)).split())
    return " ".join(words) or None


def _trim_head(piece: str) -> str:
    """`piece` without leading punctuation and joining words ("with", "at"...)."""
    pos = 0
    while (m := _HEAD_JUNK.match(piece, pos) or _HEAD_WORD.match(piece, pos)) and m.end() > pos:
        pos = m.end()
    return piece[pos:]


def _trim_tail(piece: str) -> str:
    """`piece` without trailing punctuation (but ? ! ) and quotes) and joining words."""
    end = len(piece)
    while end:
        cut = end
        while cut and not _WORD_CHAR.match(piece[cut - 1]) and piece[cut - 1] not in '"?!)':
            cut -= 1
        if cut < end:
            end = cut
            continue
        while cut and _WORD_CHAR.match(piece[cut - 1]):
            cut -= 1
        if piece[cut:end].lower() in _EDGE_WORDS and "'" not in piece[cut:end]:
            end = cut
            continue
        break
    return piece[:end]
