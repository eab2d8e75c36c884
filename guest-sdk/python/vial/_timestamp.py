"""Timestamps between their wire text and `datetime`, as runtime/timestamp.ts reads
and writes them: RFC 3339 with a time zone in, one canonical text out (UTC, microseconds,
`2026-12-06T20:34:49.123456Z`), years 0001 to 9999."""
import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc

# What the host passes every timestamp on as: read with the C parser.
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)


def parse_timestamp(text):
    """An aware UTC datetime from RFC 3339 text; None when it is not one or is out of range."""
    if _CANONICAL.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None  # a date that does not exist
    m = _RFC3339.fullmatch(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, sign, off_h, off_m = m.group(7) or "", m.group(8), m.group(9), m.group(10)
    try:
        # A leap second is read as the next second, as datetime cannot hold it.
        value = datetime(year, month, day, hour, minute, min(second, 59), int((fraction + "000000")[:6]), UTC)
        if second == 60:
            value += timedelta(seconds=1)
        if sign:
            value -= (1 if sign == "+" else -1) * timedelta(hours=int(off_h), minutes=int(off_m))
    except (ValueError, OverflowError):
        return None
    return value


def format_timestamp(value):
    """The canonical text of a datetime (naive ones taken as UTC); None when it has no UTC instant
    within years 0001-9999."""
    if value.tzinfo is not None and value.tzinfo is not UTC and value.utcoffset() is not None:
        try:
            value = value.astimezone(UTC)
        except (OverflowError, ValueError):
            return None
    if type(value) is not datetime:
        # A subclass (pandas' Timestamp) as the plain datetime of its fields, to the microsecond.
        value = datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
