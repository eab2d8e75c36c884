"""Time zone databases loaded into the snapshot. There are no files at run time, and pytz and zoneinfo
(from the tzdata package) read a zone's file the first time it is asked for: pandas asks for zones by
name (tz_localize("US/Central"), tz_convert("Europe/Paris")), as feature code computing a user's local
hour does. Loading every zone costs about 8 MB of an instance's memory, paid only where pytz or
zoneinfo is imported (pandas imports both)."""
import sys

# zoneinfo keeps only weak references to the zones it made: these keep them for the instance's life.
_HELD = []


def load_time_zones():
    pytz = sys.modules.get("pytz")
    if pytz is not None:
        _HELD.extend(pytz.timezone(name) for name in pytz.all_timezones)
    zoneinfo = sys.modules.get("zoneinfo")
    if zoneinfo is not None:
        for name in sorted(zoneinfo.available_timezones()):
            try:
                _HELD.append(zoneinfo.ZoneInfo(name))
            except (OSError, ValueError):  # a name listed without a readable file
                pass
