"""A personal calendar kept across the calls of a conversation (.state/calendar.json)."""

import datetime as dt

from ._common import load_state, need, parse_date, parse_time, save_state

STATE = "calendar.json"
DAY_START, DAY_END = "08:00", "18:00"  # working hours cal_find_free_slot searches


def _load() -> dict:
    return load_state(STATE, {"next_id": 1, "events": []})


def _minutes(t: str, name: str) -> int:
    value = parse_time(t, name)
    return value.hour * 60 + value.minute


def _event(cal: dict, event_id: int) -> dict:
    for ev in cal["events"]:
        if ev["id"] == event_id:
            return ev
    ids = ", ".join(str(e["id"]) for e in cal["events"]) or "none"
    raise ValueError(f"no event with id {event_id} (ids: {ids})")


def _ordered(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: (e["date"], e["start"], e["id"]))


def _clash(cal: dict, date: str, start: int, end: int, skip: int | None = None) -> dict | None:
    for ev in cal["events"]:
        if ev["date"] == date and ev["id"] != skip and start < _minutes(ev["end"], "end") and _minutes(ev["start"], "start") < end:
            return ev
    return None


def _refuse_clash(other: dict | None) -> None:
    if other is not None:
        raise ValueError(f"the slot overlaps event {other['id']} '{other['title']}' ({other['start']}-{other['end']})")


def cal_create_event(title: str, date: str, start: str, end: str) -> dict:
    """Add an event to the calendar; refused if it overlaps another event.

    Args:
        title: What the event is, e.g. 'Dentist'.
        date: The day, YYYY-MM-DD.
        start: Start time, 24-hour HH:MM.
        end: End time, 24-hour HH:MM, after start.
    """
    parse_date(date)
    s, e = _minutes(start, "start"), _minutes(end, "end")
    need(e > s, f"end {end} is not after start {start}")
    cal = _load()
    _refuse_clash(_clash(cal, date, s, e))
    ev = {"id": cal["next_id"], "title": title, "date": date, "start": start, "end": end}
    cal["events"].append(ev)
    cal["next_id"] += 1
    save_state(STATE, cal)
    return ev


def cal_list_events(date: str) -> list[dict]:
    """The events of one day, in time order.

    Args:
        date: The day, YYYY-MM-DD.
    """
    parse_date(date)
    return _ordered([e for e in _load()["events"] if e["date"] == date])


def cal_events_between(start_date: str, end_date: str) -> list[dict]:
    """The events from one date to another (both included), in time order.

    Args:
        start_date: The first day, YYYY-MM-DD.
        end_date: The last day, YYYY-MM-DD.
    """
    a, b = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    need(b >= a, "end_date is before start_date")
    return _ordered([e for e in _load()["events"] if a.isoformat() <= e["date"] <= b.isoformat()])


def cal_cancel_event(event_id: int) -> dict:
    """Remove an event from the calendar.

    Args:
        event_id: The event's id (from cal_list_events).
    """
    cal = _load()
    ev = _event(cal, event_id)
    cal["events"].remove(ev)
    save_state(STATE, cal)
    return {"cancelled": ev}


def cal_reschedule_event(event_id: int, date: str, start: str) -> dict:
    """Move an event to a new day and start time, keeping its length; refused if the new slot is taken.

    Args:
        event_id: The event's id.
        date: The new day, YYYY-MM-DD.
        start: The new start time, 24-hour HH:MM.
    """
    parse_date(date)
    cal = _load()
    ev = _event(cal, event_id)
    length = _minutes(ev["end"], "end") - _minutes(ev["start"], "start")
    s = _minutes(start, "start")
    need(s + length <= 24 * 60, "the event would run past midnight")
    _refuse_clash(_clash(cal, date, s, s + length, skip=event_id))
    end = f"{(s + length) // 60:02d}:{(s + length) % 60:02d}"
    ev.update({"date": date, "start": start, "end": end})
    save_state(STATE, cal)
    return ev


def cal_find_free_slot(date: str, duration_minutes: int) -> dict:
    """The earliest free slot of a given length on a day, within working hours (08:00 to 18:00).

    Args:
        date: The day, YYYY-MM-DD.
        duration_minutes: How long the slot must be, in minutes.
    """
    parse_date(date)
    need(0 < duration_minutes <= 600, f"duration_minutes must be between 1 and 600, got {duration_minutes}")
    busy = sorted((_minutes(e["start"], "start"), _minutes(e["end"], "end")) for e in _load()["events"]
                  if e["date"] == date)
    t = _minutes(DAY_START, "start")
    for s, e in busy:
        if s - t >= duration_minutes:
            break
        t = max(t, e)
    need(t + duration_minutes <= _minutes(DAY_END, "end"), f"no free slot of {duration_minutes} minutes on {date}")
    return {"date": date, "start": f"{t // 60:02d}:{t % 60:02d}",
            "end": f"{(t + duration_minutes) // 60:02d}:{(t + duration_minutes) % 60:02d}"}


def cal_busy_minutes(date: str) -> int:
    """How many minutes of a day are booked.

    Args:
        date: The day, YYYY-MM-DD.
    """
    day = dt.date.isoformat(parse_date(date))
    return sum(_minutes(e["end"], "end") - _minutes(e["start"], "start") for e in _load()["events"] if e["date"] == day)


FUNCTIONS = [cal_create_event, cal_list_events, cal_events_between, cal_cancel_event, cal_reschedule_event,
             cal_find_free_slot, cal_busy_minutes]
MUTATES = ("cal_create_event", "cal_cancel_event", "cal_reschedule_event")
