"""Misspelt day and month names: "blursday", "thrusday", "on smarch 3".

A leftover word close to a weekday or month name is a day the text failed to say, not part of
the title: booking "blursday at noonish" for tomorrow would be a silent wrong guess. The
parser reads the corrected text instead and says so (`guess`), with the corrected text as a
`Suggestion` the app can offer as a button. Names are safe: only words ending in "day" (or one
edit away) count as weekdays, and a month needs a day number beside it ("smarch 3"), so "Mark",
"Freddy" and "Marco 3pm" stay titles.

    >>> distance("thrusday", "thursday"), distance("blursday", "thursday")
    (1, 2)
    >>> nearest_weekday("blursday"), nearest_weekday("freddy"), nearest_weekday("mondy")
    ('thursday', None, 'monday')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.when import grammar as g
from bot.when.text import DIGITS, Scan, gate

_DIGIT = re.compile(r"\d")
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
# Words worth the edit distance, found by one scan in C rather than a Python loop over every
# word: a weekday misspelt by up to two edits keeps two letters of "day" together (or "dy");
# a month counts only beside a day number.
_WEEKDAY_LIKE = gate(re.compile(r"\b(?=[a-z]{5,11}\b)[a-z]*?(?:da|ay|dy)[a-z]*"), "da", "ay", "dy")
_MONTH_LIKE = gate(
    re.compile(
        r"\b[a-z]{3,11}(?=\s+\d{1,2}(?:st|nd|rd|th)?\b)"
        r"|(?<=\d\s)[a-z]{3,11}\b|(?<=\d(?:st|nd|rd|th)\s)[a-z]{3,11}\b|(?<=\bof\s)[a-z]{3,11}\b"
    ),
    *DIGITS,
)
# A day number beside the word, not a clock time: "smarch 3", "smarch 3rd", "3rd of smarch".
_DAY_AFTER = re.compile(r"\s+\d{1,2}(?:st|nd|rd|th)?\b(?!\s*(?:[ap]\.?m\b|[ap]\b|:|h\b|oclock))")
_DAY_BEFORE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?$")


@dataclass(frozen=True)
class Correction:
    """A word as written, what it should be, and where it sits in the original text."""

    written: str
    meant: str
    start: int
    end: int

    def apply(self, original: str) -> str:
        """`original` with the word replaced."""
        return original[: self.start] + self.meant + original[self.end :]


def distance(a: str, b: str, limit: int = 3) -> int:
    """Edits (insert, delete, substitute, swap neighbours) from `a` to `b`, capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return min(previous[-1], limit)


def _nearest(word: str, names: tuple[str, ...], most: int) -> str | None:
    """The one name within `most` edits of `word` (not `word` itself); None if none or a tie."""
    letters = set(word)
    # Each edit changes at most two letters of the set: a cheap bound that skips most words
    # before the quadratic distance, so long texts of ordinary words stay fast.
    near = [n for n in names if len(letters.symmetric_difference(n)) <= 2 * most]
    if not near:
        return None
    scored = [*sorted((distance(word, n), n) for n in near), (most + 1, "")]
    best, name = scored[0]
    if not 0 < best <= most or scored[1][0] == best:
        return None
    return name


def nearest_weekday(word: str) -> str | None:
    """The weekday `word` misspells, if it is plainly one."""
    if not 5 <= len(word) <= 11:
        return None
    name = _nearest(word, g.WEEKDAYS, 2)
    if name is None or (not word.endswith("day") and distance(word, name) > 1):
        return None
    return name


def correction(scan: Scan, has_day: bool, has_date: bool) -> Correction | None:
    """The first misspelt day or month among the words nobody claimed, if any.

    Weekdays only when the text gives no day otherwise (`has_day` False): with "tomorrow" said,
    a day-like word is more likely part of the title. Months only when no full date was read
    (`has_date` False); a day of the month alone ("the 20th of smarch") still wants one.
    """
    if has_date:
        return None
    found: list[tuple[int, str, re.Match[str]]] = []
    if not has_day and ("da" in scan.text or "ay" in scan.text or "dy" in scan.text):
        for m in scan.free_words(_WEEKDAY_LIKE):
            if (meant := nearest_weekday(m.group())) is not None:
                found.append((m.start(), meant, m))
                break
    for m in scan.free_words(_MONTH_LIKE) if _DIGIT.search(scan.text) else ():
        if _date_shaped(scan.text, *m.span()) and (meant := _nearest(m.group(), _MONTHS, 2)):
            found.append((m.start(), meant, m))
            break
    if not found:
        return None
    _, meant, m = min(found, key=lambda f: f[0])  # the first in the text
    a, b = scan.src[m.start()][0], scan.src[m.end() - 1][1]
    return Correction(scan.original[a:b], meant, a, b)


def _date_shaped(text: str, start: int, end: int) -> bool:
    return bool(_DAY_AFTER.match(text, end) or _DAY_BEFORE.search(text, max(0, start - 12), start))


# An ordinal day beside a word is a date whatever the word: "the 3rd of blorp", "on blorp 3rd".
# ("level 3", "room 45" have no ordinal and stay titles.)
_ORDINAL_DATES = (
    re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)\s+of\s+(?P<w>[a-z]{3,12})\b"),
    re.compile(r"\bon\s+(?:the\s+)?(?P<w>[a-z]{3,12})\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b"),
)


def unknown_month(scan: Scan) -> tuple[str, int] | None:
    """An ordinal date whose month word is unknown ("the 3rd of blorp"): (the words, the day).

    Called when no correction was found: booking "3pm on the 3rd of blorp" for the 3rd of this
    month would drop the month the person meant.
    """
    # Both patterns hold an ordinal ("3rd"): text without one has nothing to ask about.
    if _ORDINAL.search(scan.text) is None:
        return None
    for pattern in _ORDINAL_DATES:
        for m in pattern.finditer(scan.text):
            word = m["w"]
            # The day may be claimed already ("the 3rd"); the word must be nobody's.
            if word in _NOT_MONTHS or word[:3] in _SHORT or not scan.is_free(*m.span("w")):
                continue
            if not scan.claimed_original(*m.span("w")):
                return scan.original_of(*m.span()), int(m["d"])
    return None


_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)")
_SHORT = frozenset(name[:3] for name in _MONTHS)
# "the 3rd of the month", "of next month", "on each 3rd...": words, not months.
_NOT_MONTHS = frozenset({"the", "this", "next", "each", "every", "last", "month", "week"})
