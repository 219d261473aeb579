"""The patterns of meeting-time English, compiled once.

Each pattern runs over the normalised text (see `bot.when.text`): lower case, chat spellings
spelled out, number words as digits. Named groups carry the pieces; `bot.when.reading` turns
matches into values. `atom(prefix)` is one clock time ("3pm", "9:30", "15h", "quarter to 4",
"noon"); ranges use it twice with different group-name prefixes.
"""

from __future__ import annotations

import re

from bot.when.text import DIGITS, gate

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
# "pm", "p.m.", "p m", and (attached only, so "3 a week" is safe) "3p", "9a".
_MER = r"(?:\s*(?P<{p}mer>[ap])\.?\s?m(?![a-z])\.?|(?P<{p}mer1>[ap])(?![a-z])\.?)"
_BASE = (
    r"(?:(?P<{p}bnoon>noon|midday)|(?P<{p}bmid>midnight)"
    r"|(?P<{p}bh>\d{{1,2}})(?:h(?![a-z\d])|\s*oclock)?)"
)


def atom(p: str, *, spaced: bool = True) -> str:
    """One clock time, its groups named with prefix `p`.

    `spaced` allows "3 15" (hour, space, minutes); the reader only keeps that reading after
    "at" or before am/pm, and otherwise re-reads the spot with `spaced=False`.
    """
    # The base hour of "quarter past 3" / "quarter to 4": groups {p}a… and {p}b… respectively.
    base_a, base_b = _BASE.format(p=p + "a"), _BASE.format(p=p + "b")
    spaced_minutes = rf"|\s(?P<{p}ms>[0-5]\d)(?![\d:/.])" if spaced else ""
    return (
        rf"(?:(?:a\s+)?(?P<{p}qa>quarter|half|\d{{1,2}})(?:\s*min(?:ute)?s?)?\s+(?:past|after)\s+"
        + base_a
        + rf"|(?:a\s+)?(?P<{p}qb>quarter|\d{{1,2}}\s*min(?:ute)?s?|1[3-9]|[2-5]\d)"
        rf"\s+(?P<{p}qbw>to|till?|before|of|from)\s+"
        + base_b
        + rf"|half\s+(?P<{p}half>\d{{1,2}})(?![\d:h])"
        rf"|(?P<{p}noon>noon|midday)"
        rf"|(?P<{p}mid>midnight)"
        rf"|(?P<{p}h>\d{{1,2}})(?::(?P<{p}mc>[0-5]\d)|\.(?P<{p}md>[0-5]\d)"
        rf"|h(?P<{p}mh>[0-5]\d)?(?![a-z])"
        + spaced_minutes
        + rf")?|(?P<{p}hhmm>\d{{3,4}}))(?!\d|(?:st|nd|rd|th)\b)"
        + r"(?:\s*-?\s*ish)?(?:\s*oclock)?"
        + _MER.format(p=p)
        + r"?(?:\s*-?\s*ish)?"
    )


# Words after a bare number that make it a time: "8 tonight", "9 tomorrow", "3 in the am".
_CONTEXT = (
    r"oclock|in\s+the\b|in\s+(?:afternoon|evening|morning)|tonight|this\s+(?:morning|afternoon"
    r"|evening)|tomorrow|today|at\s+night|on\b|next\b|" + WEEKDAY + r"|morning|afternoon|evening"
)
_PRE = r"(?P<pre>(?:\b(?:at|around|about|approx(?:imately)?|circa|by|for)\s+|@\s*|~\s*)+)?"
_ZONE_WORD = (
    r"(?:utc|gmt|bst|ist|cet|cest|eet|eest|msk|est|edt|cst|cdt|mst|mdt|pst|pdt|akst|akdt|hst"
    r"|aest|aedt|acst|acdt|awst|nzst|nzdt|jst|kst|sgt|hkt)"
)

# Every time and range starts with one of these characters ("at", "@", "~", "about", "circa",
# "by", "for", "from", "in", "later", "quarter", "half", "noon", "midnight", a digit). Checking
# that first lets the engine pass over other positions of a long text at once: same matches,
# half the time.
_GATE = r"(?=[\d@~abcfhilmnq])"
TIME = re.compile(
    _GATE
    + _PRE
    + r"(?<![\w:/.+])"
    + atom("")
    + r"(?:\s+(?:approx(?:imately)?|or\s+so))?(?:(?=\s*(?P<ctx>"
    + _CONTEXT
    + r")))?"
)
TIME = gate(TIME, *DIGITS, "noon", "midday", "midnight", "quarter", "half")
TIME_UNSPACED = re.compile(_PRE + r"(?<![\w:/.+])" + atom("", spaced=False))
ATOM = re.compile(atom(""))
BEFORE_CONTEXT = re.compile(
    r"(?:tonight|morning|afternoon|evening|night|today|tomorrow|" + WEEKDAY + r")\s*$"
)
RANGE = re.compile(
    _GATE + r"(?P<lead>(?:\b(?:from|(?:in\s+)?between|later\s+than|after|around|about"
    r"|approx(?:imately)?|at)\s+)+)?(?<![\w:/.+])"
    + atom("s_")
    + r"(?:\s*\(?"
    + _ZONE_WORD
    + r"\)?)?\s*(?P<sep>-|\bto\b|\btill?\b|\buntill?\b|\band\b|\bbut\s+before\b|\bthrough\b"
    r"|\bthru\b)\s*" + atom("e_") + r"(?:(?=\s*(?P<ctx>" + _CONTEXT + r")))?"
)
RANGE = gate(RANGE, *DIGITS, "noon", "midday", "midnight", "quarter", "half")
# Every range holds its separator (`sep` above). One quick search for one spares the range
# pattern, the costliest scan of all, on the usual text with a single time ("tomorrow 3pm").
RANGE_NEEDS = re.compile(r"-|\b(?:to|till?|untill?|and|but|through|thru)\b")

# Amounts of time: "an hour", "1.5 hours", "1h30", "90m", "an hour and a half", "half an hour".
_FEW = r"an?\s+couple(?:\s+of)?|couple(?:\s+of)?|an?\s+few|few|several"


def amount(p: str) -> str:
    """Hours and/or minutes, groups named with prefix `p` (see `reading.amount_minutes`)."""
    return (
        rf"(?:(?P<{p}hn>\d+(?:[.,]\d+)?|{_FEW}|an?)\s*(?P<{p}hu>hours?|hrs?|h)(?![a-z])"
        rf"(?:(?P<{p}hm1>[0-5]\d)(?![\d:a-z])"
        rf"|\s*(?:and\s+)?(?P<{p}hm>\d{{1,2}})\s*(?:minutes?|mins?|m)(?![a-z])"
        rf"|\s+and\s+(?P<{p}hhalf>a\s+half))?"
        rf"|(?P<{p}mn>\d+)\s*(?P<{p}mu>minutes?|mins?|m)(?![a-z])"
        rf"|(?P<{p}halfh>half\s+an?\s+hour))"
    )


_NOT_A_LENGTH = r"(?!\s+(?:past|after|to|till?|before|of|from|ago|later|earlier)\b)"
DURATION = re.compile(
    r"(?:\bfor\s+(?:about\s+|around\s+|approx(?:imately)?\s+)?|(?P<paren>\(\s*))"
    r"(?P<neg>-\s*|minus\s+)?"  # read so it can be refused, not shortened to "for 30 minutes"
    + amount("")
    + r"(?(paren)\s*\))"
    + _NOT_A_LENGTH
)
DURATION = gate(DURATION, "for", "(")
DURATION_BARE = re.compile(r"(?<![\w.:/])" + amount("") + _NOT_A_LENGTH)
DURATION_BARE = gate(DURATION_BARE, *DIGITS, "hour", "hr", "half", "couple", "few", "several")
DURATION_FIELD = re.compile(
    r"\s*(?:for\s+)?(?:" + amount("") + r"|(?P<bare>\d+)|(?P<hh>\d{1,2}):(?P<mm>[0-5]\d))\s*"
)

RELATIVE = re.compile(
    r"\bin\s+(?:about\s+|around\s+|approx(?:imately)?\s+)?(?:"
    + amount("r_")
    + r"|(?P<rdn>\d+|"
    + _FEW
    + r"|an?)\s*(?P<rdu>days?|weeks?|fortnight)(?![a-z])"
    # Chat shorthand: "in 15" is in fifteen minutes (a time would have am/pm, ":" or "h").
    r"|(?P<rmn>\d{1,3})(?![\d:.h]|\s*(?:[ap]\.?\s?m|[ap]\b|oclock|-|to\b|and\b|ish)))"
    r"(?:\s+(?:time|from\s+now))?"
)
RELATIVE = gate(RELATIVE, "in")
FROM_NOW = re.compile(
    r"\b(?P<fn>\d+|an?)\s+(?P<fu>minutes?|mins?|hours?|hrs?|days?|weeks?|fortnight)\s+"
    r"(?:from\s+(?P<fb>now|today|tomorrow)\b|(?P<fb2>today|tomorrow)\b|(?P<later>later)\b)"
)
FROM_NOW = gate(FROM_NOW, "from", "today", "tomorrow", "later")
PAST = re.compile(
    r"\b(?:(?:the\s+)?day\s+before\s+yesterday|yesterday|last\s+(?:night|week|month|year|"
    + WEEKDAY
    + r")|(?:\d+|an?)\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago|earlier\s+today"
    r")\b"
)
PAST = gate(PAST, "yesterday", "last", "ago", "earlier")
VAGUE = re.compile(r"\b(?:(?:next|this)\s+(?:week|month)|(?:this\s+|next\s+)?weekend)\b")
VAGUE = gate(VAGUE, "week", "month")
DAYWORD = re.compile(
    r"\b(?:(?P<dat>(?:the\s+)?day\s+after\s+tomorrow)|(?P<tomorrow>tomorrow)|(?P<today>today))\b"
)
DAYWORD = gate(DAYWORD, "tomorrow", "today")
WEEKDAY_PHRASE = re.compile(
    r"\b(?:(?P<nw>next\s+week)\s+(?:on\s+)?|(?P<mod>this\s+coming|this|next|coming|on)\s+)?"
    r"(?P<wd>" + WEEKDAY + r")s?\b(?:\s+(?P<wk>next\s+week|this\s+week|after\s+next|week\b))?"
)
WEEKDAY_PHRASE = gate(WEEKDAY_PHRASE, "day")
NAMED_DATE = re.compile(
    r"\b(?:on\s+)?(?:(?P<wd>"
    + WEEKDAY
    + r")\s*,?\s*)?(?P<date>(?:the\s+)?(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?(?P<m1>"
    + MONTH
    + r")|(?P<m2>"
    + MONTH
    + r")\s*(?:the\s+)?(?P<d2>\d{1,2})(?:st|nd|rd|th)?(?![\d:]|\s*(?:[ap]\.?\s?m(?![a-z])|[ap]"
    r"(?![a-z])|h\b|oclock|hours?|hrs?|min)))(?:\s*,?\s*(?P<y>(?:19|20)\d{2})(?![\d:]))?"
)
NAMED_DATE = gate(NAMED_DATE, *DIGITS)
DAY_OF_MONTH = re.compile(
    r"\b(?:on\s+)?the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b"
    r"(?:\s+of\s+(?:(?P<rel>this|next)|the)\s+month\b)?"  # "the 3rd of next month"
)
DAY_OF_MONTH = gate(DAY_OF_MONTH, *DIGITS)
ISO_DATE = re.compile(
    r"(?<![\w/.:-])(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\w/.:-])"
)
ISO_DATE = gate(ISO_DATE, *DIGITS)
NUMERIC_DATE = re.compile(
    r"\b(?:on\s+)?(?:(?P<wd>"
    + WEEKDAY
    + r")\s*,?\s*)?(?<![\w/.:-])(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})"
    r"(?:(?P=s)(?P<c>\d{4}|\d{2}))?"
    r"(?![\w/:-]|\.\d)"
)
NUMERIC_DATE = gate(NUMERIC_DATE, *DIGITS)
# What every match of a pattern holds, searched for before the pattern scans (as RANGE_NEEDS):
# a month's first three letters for a named date; a digit, a separator and a digit for ISO and
# numeric dates and ISO instants ("2026-03-25", "4/25", "2026-03-25T14:00Z").
NAMED_DATE_NEEDS = re.compile("jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")
DATE_NEEDS = re.compile(r"\d[-/.]\d")
ISO_INSTANT = re.compile(
    r"(?<![\w/.:-])\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})"
    r"(?![\w:])"
)
ISO_INSTANT = gate(ISO_INSTANT, ":")
PERIOD = re.compile(
    r"\b(?:(?P<tonight>tonight)"
    r"|(?:(?:this|in\s+the|early(?:\s+in\s+the)?|late(?:\s+in\s+the)?|in|the)\s+)?"
    r"(?P<part>morning|afternoon|evening)(?P<bare_at>(?=\s*(?:at\b|@|\d)))?"
    r"|(?:(?:at|in\s+the|this)\s+|(?<=tomorrow\s)|"
    + "|".join(rf"(?<={d}\s)" for d in WEEKDAYS)
    + r")(?P<night>night)"
    r"|in\s+the\s+(?P<mer>am|pm))\b"
)
PERIOD = gate(PERIOD, "night", "morning", "afternoon", "evening", "am", "pm")
# Its "am" and "pm" come only after "in the", and nearly every text holds "am" or "pm" somewhere
# ("3pm"): so what it needs is a period word, or "the".
PERIOD_NEEDS = re.compile("night|morning|afternoon|evening|the")
# "first monday of january", "last friday of the month", "2nd tuesday in march 2027".
NTH_WEEKDAY = re.compile(
    r"\b(?:the\s+)?(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\s+"
    r"(?P<wd>" + WEEKDAY + r")\s+(?:of|in)\s+(?:(?P<mon>" + MONTH + r")"
    r"|(?P<rel>this|next)\s+month|the\s+month)(?:\s*,?\s*(?P<y>(?:19|20)\d{2})(?![\d:]))?"
)
NTH_WEEKDAY = gate(NTH_WEEKDAY, "day")
# "this time tomorrow", "same time next week": now's clock reading on another day.
SAME_TIME = re.compile(
    r"\b(?:this|same|the\s+same)\s+time(?=\s+(?:tomorrow|next\s+week|next\s+"
    + WEEKDAY
    + r"|on\s+"
    + WEEKDAY
    + r"|"
    + WEEKDAY
    + r"|in\s+\d+\s+days?))"
)
SAME_TIME = gate(SAME_TIME, "time")
