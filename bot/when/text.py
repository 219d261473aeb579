"""The booking text as it is read: a normalised copy for the patterns, the original for the title.

Patterns run over a lower-cased copy in which chat spellings are spelled out ("tmrw" → "tomorrow")
and number words are digits ("three twenty" → "3 20"). Every character of that copy remembers
which characters of the original it came from, so whatever a pattern claims can be struck from
the original, and the title is what is left, in the user's own spelling.

    >>> scan = Scan("Sync TMRW at three")
    >>> scan.normalise()
    >>> scan.text
    'sync tomorrow at 3'
    >>> scan.claim(5, 18)
    >>> scan.leftovers()
    ['Sync ']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from bot.when.result import MAX_TEXT, BookingTextError

# Candidate matches one text may offer the patterns. A booking has a handful; thousands ("1 1 1
# ...", "3-3-3-...") cost linear but large time, so such text is refused instead of read.
MAX_CANDIDATES = 200
# Numbers one text may hold: each is somewhere every clock-time pattern must try, so a text of
# thousands ("1 1 1 ...", "3-3-3-...") is refused up front, before any of them runs.
MAX_NUMBERS = 60
_DIGITS = re.compile(r"\d+")
_TOO_MANY = (
    "That text has too many numbers and time words to read. Keep to the booking, e.g. "
    '"Physio review tomorrow 3pm for 30 min".'
)


# Words a pattern cannot match without (any one of them): on long text, checked with `in`
# before the pattern scans, so a long text without "tomorrow" costs the day-word pattern a few
# substring searches (`in` is ten times quicker there than one search for all the words as a
# pattern). A gate is only ever a necessary condition: it never changes what a pattern finds.
# On short text a gate costs about what the scan it saves does, so none is tried there.
# Keyed by id(pattern): a compiled pattern's hash digests its whole program on every call
# (4 µs for the range pattern), and these patterns are module constants that live as long.
GATES: dict[int, tuple[str, ...]] = {}
_WORD_GATES: dict[tuple[str, ...], tuple[str, ...]] = {}  # one per word list, shared
DIGITS = tuple("0123456789")
GATED_LENGTH = 160


def gate(pattern: re.Pattern[str], *words: str) -> re.Pattern[str]:
    """Register `words`, one of which every match of `pattern` contains; returns `pattern`."""
    # Patterns gated by the same words share one tuple: its answer is found once per text.
    GATES[id(pattern)] = _WORD_GATES.setdefault(words, words)
    return pattern


def _words(text: str) -> list[str]:
    return text.split()


_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(
        _words(
            "tmrw tmr tmw tmrow tmoro tmorow tomoz tomorow tommorow tommorrow tomorrw 2moro "
            "2morrow 2mrw"
        ),
        "tomorrow",
    ),
    "2day": "today",
    **dict.fromkeys(_words("tonite 2nite 2night"), "tonight"),
    "nite": "night",
    "arvo": "afternoon",
    "mon": "monday",
    **dict.fromkeys(_words("tue tues"), "tuesday"),
    **dict.fromkeys(_words("wed weds wednes wensday wednsday"), "wednesday"),
    **dict.fromkeys(_words("thu thur thurs thrs"), "thursday"),
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}
# One pass for all the word swaps; the optional dot eats "thurs." and the like.
_SPELLING = re.compile(r"\b(?:" + "|".join(sorted(_SPELLINGS, key=len, reverse=True)) + r")\b\.?")
_UNITS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_NUMBER = re.compile(
    r"\b(?:(?P<tens>twenty|thirty|forty|fifty)(?:[\s-](?P<unit>one|two|three|four|five|six|seven"
    r"|eight|nine)\b)?|(?<!-)(?P<single>"
    + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")(?!-))\b"  # "one-on-one" is a word, not two times
)
# Shapes that mean one thing whatever the spacing: "o'clock", "mid-day", "12 noon", dashes.
# Each with a piece of text every match holds: the pattern only scans text that has it, and
# most booking text has none of them (the usual "tomorrow 3pm" skips all five scans). The
# dashes are all outside ASCII, so for them the test is that the text is not all ASCII.
_NOT_ASCII = ""
_SHAPES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (_NOT_ASCII, re.compile(r"[\u2010-\u2015\u2212]"), "-"),
    ("clock", re.compile(r"\bo\s?['\u2019]?\s?clock\b"), "oclock"),
    ("mid", re.compile(r"\bmid[\s-]?day\b"), "midday"),
    ("12", re.compile(r"\b12\s*(noon|midnight)\b"), r"\1"),
    (":", re.compile(r"(?<=\d)t(?=\d{2}:)"), " "),  # ISO 8601 "2026-03-25T14:00"
)
# The whole words `_SPELLING` and `_NUMBER` can replace. Both patterns match only a whole run of
# word characters (`\b` on both sides), so text whose runs of `\w` include none of these words
# gives them nothing to do: one `findall` decides, instead of two alternations of dozens of words.
_WORD_RUN = re.compile(r"\w+")
_SPELLED = frozenset(_SPELLINGS)
_NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS)


def _number(match: re.Match[str]) -> str:
    if match["single"]:
        return str(_UNITS.index(match["single"]))
    value = _TENS[match["tens"]] + (_UNITS.index(match["unit"]) if match["unit"] else 0)
    return str(value)


# Every character's own one-character span, made once: a new scan slices this rather than
# building a tuple per character (the tuples are immutable, so sharing them is safe).
_SPANS: list[tuple[int, int]] = [(i, i + 1) for i in range(MAX_TEXT + 1)]

_UNUSED = re.compile(rb"\x00+")
_LETTER = re.compile(r"[^\W\d_]")
_CLAIMED = re.compile(rb"\x01+")


class Scan:
    """The text under reading, with what has been claimed so far (see the module docstring)."""

    def __init__(self, original: str) -> None:
        self.original = original
        # Lower-case so positions line up with the original: one call when lengths agree,
        # else one character at a time ("İ" lower-cases to two characters).
        lowered = original.lower()
        if len(lowered) != len(original):
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in original)
        self.text = lowered
        # For each character of `text`, the [start, end) span of `original` it stands for.
        n = len(original)
        self.src: list[tuple[int, int]] = (
            _SPANS[:n] if n <= MAX_TEXT else list(zip(range(n), range(1, n + 1), strict=True))
        )
        self.used = bytearray(len(original))  # original characters claimed (not title)
        self.busy = bytearray(len(original))  # text characters no later pattern may touch
        self.candidates = 0
        self._letters_left: bool | None = None  # known until the next claim
        self._leftovers: list[str] | None = None  # likewise (asked for words, then the title)
        self._gates: dict[int, bool] = {}  # by id of the gate; the text changes in `normalise`
        # On short text a gate costs about what the scan it saves does.
        self._gated = len(original) > GATED_LENGTH

    def normalise(self) -> None:
        """Spell out chat spellings and number words; do this once, before any `claim`.

        Raises `BookingTextError` for text holding more numbers than a booking could use.
        """
        if self._gated:  # short text can't hold enough numbers to matter
            numbers = sum(len(_DIGITS.findall(piece)) for piece in self.leftovers())
            if numbers > MAX_NUMBERS:
                raise BookingTextError(_TOO_MANY)
        self._collapse_claimed()
        for needs, pattern, replacement in _SHAPES:
            if needs in self.text if needs else not self.text.isascii():
                self.sub(pattern, lambda m, r=replacement: m.expand(r))
        # No shape makes or joins a word of either set, so the words read here still decide.
        words = set(_WORD_RUN.findall(self.text))
        if not words.isdisjoint(_SPELLED):
            self.sub(_SPELLING, lambda m: _SPELLINGS[m.group().rstrip(".")])
        if not words.isdisjoint(_NUMBER_WORDS):
            self.sub(_NUMBER, _number)

    def _collapse_claimed(self) -> None:
        """Stand each run already claimed (mentions, the quoted title) for one space, so the
        patterns do not scan text that is no time: hundreds of mentions cost nothing more."""
        if not any(self.used):
            self.busy = bytearray(len(self.text))
            return
        pieces: list[str] = []
        src: list[tuple[int, int]] = []
        busy = bytearray()
        pos = 0
        for run in _CLAIMED.finditer(self.used):
            pieces.append(self.text[pos : run.start()])
            src.extend(self.src[pos : run.start()])
            busy += bytes(run.start() - pos)
            # The space stays out of the patterns' way, and keeps words on either side apart.
            pieces.append(" ")
            src.append((run.start(), run.end()))
            busy.append(1)
            pos = run.end()
        pieces.append(self.text[pos:])
        src.extend(self.src[pos:])
        busy += bytes(len(self.text) - pos)
        self.text = "".join(pieces)
        self.src = src
        self.busy = busy
        self._gates.clear()

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> None:
        """Replace matches in `text`, keeping track of where each new character came from."""
        pieces: list[str] = []
        src: list[tuple[int, int]] = []
        busy = bytearray()
        pos = 0
        for match in pattern.finditer(self.text):
            start, end = match.span()
            new = repl(match)
            if new == match.group() or start == end:
                continue
            pieces.append(self.text[pos:start])
            src.extend(self.src[pos:start])
            busy += self.busy[pos:start]
            origin = (self.src[start][0], self.src[end - 1][1])
            pieces.append(new)
            src.extend([origin] * len(new))
            busy += bytes([1 if 1 in self.busy[start:end] else 0]) * len(new)
            pos = end
        if not pieces:
            return
        pieces.append(self.text[pos:])
        src.extend(self.src[pos:])
        busy += self.busy[pos:]
        self.text = "".join(pieces)
        self.src = src
        self.busy = busy
        self._gates.clear()

    def _passes(self, pattern: re.Pattern[str]) -> bool:
        """Whether the text holds a word `pattern` needs (see `gate`); once per word list."""
        words = GATES.get(id(pattern))
        if words is None:
            return True
        passed = self._gates.get(id(words))
        if passed is None:
            passed = self._gates[id(words)] = any(word in self.text for word in words)
        return passed

    def is_free(self, start: int, end: int) -> bool:
        """True when no earlier pattern claimed any of `text[start:end]`."""
        return 1 not in self.busy[start:end]

    def claimed_original(self, start: int, end: int) -> bool:
        """True when any of the original behind `text[start:end]` was claimed (zones too)."""
        if end <= start:
            return False
        return 1 in self.used[self.src[start][0] : self.src[end - 1][1]]

    def claim(self, start: int, end: int, *, block: bool = True) -> None:
        """Mark `text[start:end]` as understood: out of the title, and (if `block`) of later
        patterns. Zone names are claimed without blocking so a range may still span them."""
        if end <= start:
            return
        self._letters_left = self._leftovers = None
        if block:
            self.busy[start:end] = b"\x01" * (end - start)
        a, b = self.src[start][0], self.src[end - 1][1]
        self.used[a:b] = b"\x01" * (b - a)

    def claim_original(self, start: int, end: int) -> None:
        """Mark `original[start:end]` as understood (before `normalise`: mentions, quotes)."""
        self._letters_left = self._leftovers = None
        self.used[start:end] = b"\x01" * (end - start)
        self.busy[start:end] = b"\x01" * (end - start)

    def search(self, pattern: re.Pattern[str], pos: int = 0) -> re.Match[str] | None:
        """The first match at or after `pos` that touches nothing claimed."""
        if self._gated and not self._passes(pattern):
            return None
        text, busy = self.text, self.busy
        while (match := pattern.search(text, pos)) is not None:
            self.candidates += 1
            if self.candidates > MAX_CANDIDATES:
                raise BookingTextError(_TOO_MANY)
            start, end = match.span()
            if end > start and 1 not in busy[start:end]:  # `is_free`, without the call
                return match
            pos = start + 1
        return None

    def finditer(self, pattern: re.Pattern[str]) -> Iterable[re.Match[str]]:
        """Every free match, left to right; each is yielded before the next is looked for, so
        the caller may claim (or not) in between."""
        # Most patterns find nothing in a given text: answer that without making a generator.
        first = self.search(pattern)
        return () if first is None else self._matches_from(pattern, first)

    def _matches_from(
        self, pattern: re.Pattern[str], match: re.Match[str] | None
    ) -> Iterator[re.Match[str]]:
        while match is not None:
            yield match
            pos = match.end() if not self.is_free(*match.span()) else match.start() + 1
            match = self.search(pattern, pos)

    def free_words(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """The non-overlapping matches of `pattern` that touch nothing claimed, left to right.

        Unlike `finditer`, no match is retried one character on: for word patterns that retry
        would read every suffix of a long word, quadratic in its length.
        """
        if self._gated and not self._passes(pattern):
            return
        for match in pattern.finditer(self.text):
            a, b = self.src[match.start()][0], self.src[match.end() - 1][1]
            if (
                match.end() > match.start()
                and self.is_free(*match.span())
                and 1 not in self.used[a:b]
            ):
                yield match

    def original_of(self, start: int, end: int) -> str:
        """The user's own spelling of `text[start:end]`."""
        if end <= start:
            return ""
        return self.original[self.src[start][0] : self.src[end - 1][1]]

    def letters_left(self) -> bool:
        """Whether any letter of the original is unclaimed: a word the spelling checks could
        read. (Normalising only ever swaps letters for letters or digits, so a free word of
        the normalised text stands on unclaimed letters of the original.)"""
        if self._letters_left is None:
            self._letters_left = any(_LETTER.search(piece) for piece in self.leftovers())
        return self._letters_left

    def leftovers(self) -> list[str]:
        """The unclaimed runs of the original, in order (kept until the next claim: the
        spelling checks and the title both ask). Not to be changed by the caller."""
        if self._leftovers is None:
            original = self.original
            self._leftovers = [
                original[a:b] for a, b in map(re.Match.span, _UNUSED.finditer(self.used))
            ]
        return self._leftovers
