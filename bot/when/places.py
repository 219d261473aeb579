"""Places and zone names: "London", "NYC", "Sydney time", "PT", "AEDT" → an IANA zone.

City names come from the tz database (`bot.when.zonetable`, generated); this module adds the
common short forms and the zone abbreviations. An abbreviation names a place, and the place's
own rules decide the offset on the day ("ET" is UTC-5 in January and UTC-4 in July). One that
also names a season ("EDT", "BST") is read as the offset it names when the place is in the other
season that day; `bot.when.resolve` then says so in the result's `guess`.

    >>> lookup("nyc").zone, lookup("sydney").name, lookup("pt").name
    ('America/New_York', 'Sydney', 'Los Angeles')
    >>> bst = lookup("bst")
    >>> bst.zone, bst.season, bst.hours
    ('Europe/London', 'dst', 1)
    >>> lookup("ist").zone  # India, not Ireland or Israel: see the README
    'Asia/Kolkata'
    >>> lookup("meeting") is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.when.zonetable import CITIES, US_ZONES

LA, NY = "America/Los_Angeles", "America/New_York"
CHICAGO, DENVER = "America/Chicago", "America/Denver"
SYDNEY, LONDON, BERLIN = "Australia/Sydney", "Europe/London", "Europe/Berlin"


@dataclass(frozen=True)
class Place:
    """Where a time is read: an IANA zone, how to name it, and the season an abbreviation says."""

    zone: str
    name: str
    season: str | None = None  # "std" or "dst" when the word names one (PST, PDT)
    hours: float | None = None  # the UTC offset that season has, as written
    strong: bool = True  # False: only a place next to a time ("10am PT"), never on its own


# Abbreviation → (zone, season, offset in hours). IST is India, CST/CT the US Central zone,
# GMT/BST the UK, CET/CEST central Europe (as Berlin), EET/EEST eastern Europe (as Athens).
_ABBREVIATIONS: dict[str, tuple[str, str | None, float | None]] = {
    "utc": ("UTC", None, None), "z": ("UTC", None, None),
    "gmt": (LONDON, "std", 0), "bst": (LONDON, "dst", 1),
    "cet": (BERLIN, "std", 1), "cest": (BERLIN, "dst", 2),
    "eet": ("Europe/Athens", "std", 2), "eest": ("Europe/Athens", "dst", 3),
    "msk": ("Europe/Moscow", None, None), "ist": ("Asia/Kolkata", None, None),
    "pt": (LA, None, None), "pst": (LA, "std", -8), "pdt": (LA, "dst", -7),
    "mt": (DENVER, None, None), "mst": (DENVER, "std", -7), "mdt": (DENVER, "dst", -6),
    "ct": (CHICAGO, None, None), "cst": (CHICAGO, "std", -6), "cdt": (CHICAGO, "dst", -5),
    "et": (NY, None, None), "est": (NY, "std", -5), "edt": (NY, "dst", -4),
    "akst": ("America/Anchorage", "std", -9), "akdt": ("America/Anchorage", "dst", -8),
    "hst": ("Pacific/Honolulu", None, None),
    "aet": (SYDNEY, None, None), "aest": (SYDNEY, "std", 10), "aedt": (SYDNEY, "dst", 11),
    "acst": ("Australia/Adelaide", "std", 9.5), "acdt": ("Australia/Adelaide", "dst", 10.5),
    "awst": ("Australia/Perth", None, None),
    "nzt": ("Pacific/Auckland", None, None), "nzst": ("Pacific/Auckland", "std", 12),
    "nzdt": ("Pacific/Auckland", "dst", 13),
    "jst": ("Asia/Tokyo", None, None), "kst": ("Asia/Seoul", None, None),
    "sgt": ("Asia/Singapore", None, None), "hkt": ("Asia/Hong_Kong", None, None),
}  # fmt: skip
# Words that are zones only next to a time: "PT review" is physiotherapy, "10am PT" Pacific.
_WEAK = frozenset({"pt", "mt", "ct", "et", "z", "pacific", "eastern", "central", "mountain"})
# Short forms people write for places the tz database names otherwise.
_ALIASES: dict[str, str] = {
    "nyc": NY, "ny": NY, "new york city": NY, "boston": NY, "washington": NY, "dc": NY,
    "miami": NY, "atlanta": NY, "philadelphia": NY, "east coast": NY, "eastern": NY,
    "la": LA, "sf": LA, "san francisco": LA, "seattle": LA, "portland": LA, "san diego": LA,
    "west coast": LA, "pacific": LA, "silicon valley": LA,
    "central": CHICAGO, "dallas": CHICAGO, "houston": CHICAGO, "austin": CHICAGO,
    "mountain": DENVER, "salt lake city": DENVER,
    "uk": LONDON, "britain": LONDON, "england": LONDON, "edinburgh": LONDON,
    "manchester": LONDON, "scotland": LONDON, "wales": LONDON,
    "canberra": SYDNEY, "nsw": SYDNEY, "gold coast": "Australia/Brisbane",
    "queensland": "Australia/Brisbane",
    "tasmania": "Australia/Hobart", "wellington": "Pacific/Auckland",
    "christchurch": "Pacific/Auckland", "new zealand": "Pacific/Auckland", "nz": "Pacific/Auckland",
    "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "india": "Asia/Kolkata",
    "chennai": "Asia/Kolkata", "beijing": "Asia/Shanghai", "china": "Asia/Shanghai",
    "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo", "japan": "Asia/Tokyo",
    "hawaii": "Pacific/Honolulu", "ireland": "Europe/Dublin", "france": "Europe/Paris",
    "germany": BERLIN, "munich": BERLIN, "frankfurt": BERLIN, "hamburg": BERLIN,
    "barcelona": "Europe/Madrid", "milan": "Europe/Rome", "geneva": "Europe/Zurich",
    "toronto": "America/Toronto", "ottawa": "America/Toronto", "calgary": "America/Edmonton",
}  # fmt: skip
# The longest place name, in words ("salt lake city", "port of spain", "dar es salaam").
LONGEST = 3
# The first word of every name `lookup` knows: text whose word starts none of them names no
# place there, so `bot.when.zones.place_at` stops at one set look-up ("meeting", "noon").
FIRST_WORDS = frozenset(
    name.split()[0] for table in (_ABBREVIATIONS, _ALIASES, CITIES) for name in table
)


def lookup(words: str) -> Place | None:
    """The place `words` (lower case, single spaces) names, or None."""
    if words in _ABBREVIATIONS:
        zone, season, hours = _ABBREVIATIONS[words]
        return Place(zone, city_name(zone), season, hours, strong=words not in _WEAK)
    zone = _ALIASES.get(words) or CITIES.get(words)
    if zone is None:
        return None
    return Place(zone, city_name(zone), strong=words not in _WEAK)


def city_name(zone: str) -> str:
    """How a zone is named in answers: "Australia/Sydney" → "Sydney"; "UTC" stays."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def is_us_zone(zone: str) -> bool:
    """True for the zones of the United States, where numeric dates put the month first."""
    return zone in US_ZONES
