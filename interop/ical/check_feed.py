"""Reads a calendar feed from stdin the way calendar apps do and prints what
they would see, as JSON: Python's `icalendar` (a strict RFC 5545 parser) and
`recurring_ical_events` (which expands RRULEs in their VTIMEZONEs).

    check_feed.py WINDOW_START WINDOW_END < feed.ics

Exits non-zero, saying why, if the feed breaks a rule of RFC 5545 that
Google Calendar, Apple Calendar or Outlook are known to trip on: bare LF
line ends, lines over 75 octets, a VEVENT without UID or DTSTAMP, a TZID
without its VTIMEZONE.
"""

import datetime
import json
import sys

import icalendar
import recurring_ical_events


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


def main():
    raw = sys.stdin.buffer.read()
    if b"\n" in raw.replace(b"\r\n", b""):
        fail("a line ends in a bare LF (RFC 5545 3.1: CRLF)")
    for n, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 75:
            fail(f"line {n} is {len(line)} octets (RFC 5545 3.1: fold at 75)")
    cal = icalendar.Calendar.from_ical(raw.decode("utf-8"))
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    events = []
    for ev in cal.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            if required not in ev:
                fail(f"an event has no {required}")
        tzid = ev["DTSTART"].params.get("TZID")
        if tzid and tzid not in zones:
            fail(f"{ev['UID']}: TZID {tzid} has no VTIMEZONE (Outlook ignores it)")
        start = ev.decoded("DTSTART")
        events.append(
            {
                "uid": str(ev["UID"]),
                "summary": str(ev["SUMMARY"]),
                "description": str(ev.get("DESCRIPTION", "")),
                "start": start.isoformat(),
                "all_day": not isinstance(start, datetime.datetime),
                "rrule": ev["RRULE"].to_ical().decode() if "RRULE" in ev else None,
                "alarms": [a.decoded("TRIGGER").isoformat() for a in ev.walk("VALARM")],
                "categories": [str(c) for cat in ([ev["CATEGORIES"]] if "CATEGORIES" in ev else []) for c in cat.cats],
            }
        )
    window = [datetime.datetime.fromisoformat(a) for a in sys.argv[1:3]]
    occurrences = []
    if len(window) == 2:
        for ev in recurring_ical_events.of(cal).between(window[0], window[1]):
            start = ev.decoded("DTSTART")
            if isinstance(start, datetime.datetime):
                start = start.astimezone(datetime.timezone.utc)
            occurrences.append({"uid": str(ev["UID"]), "start": start.isoformat()})
    print(json.dumps({"name": str(cal.get("X-WR-CALNAME", "")), "events": events, "occurrences": occurrences}))


main()
