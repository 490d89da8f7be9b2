"""Dates, calendars and time zones (IANA names through zoneinfo); dates are ISO YYYY-MM-DD, times 24-hour."""

import calendar as _cal
import datetime as dt

from ._common import need, parse_date

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _zone(name: str, arg: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not isinstance(name, str) or "/" not in name and name != "UTC":
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{arg} must be an IANA time zone such as 'Europe/Paris' or 'America/New_York', "
                         f"got {name!r}") from None


def _parse_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except (AttributeError, ValueError):
        raise ValueError(f"datetime must look like YYYY-MM-DDTHH:MM, got {text!r}") from None
    need(value.tzinfo is None, "datetime must not carry its own offset; name the zone in from_tz")
    return value


def convert_timezone(datetime: str, from_tz: str, to_tz: str) -> dict:
    """Convert a local date and time from one time zone to another (daylight saving time included).

    Args:
        datetime: Local date and time in from_tz, as YYYY-MM-DDTHH:MM.
        from_tz: IANA time zone of `datetime`, e.g. Europe/London.
        to_tz: IANA time zone to convert to, e.g. Asia/Tokyo.
    """
    src, dst = _zone(from_tz, "from_tz"), _zone(to_tz, "to_tz")
    local = _parse_datetime(datetime).replace(tzinfo=src)
    out = local.astimezone(dst)
    offset = out.strftime("%z")
    return {"datetime": out.strftime("%Y-%m-%dT%H:%M"), "timezone": to_tz, "utc_offset": f"{offset[:3]}:{offset[3:]}",
            "weekday": WEEKDAYS[out.weekday()]}


def days_between(start_date: str, end_date: str) -> int:
    """Count the days from one date to another (negative when end_date is earlier).

    Args:
        start_date: The first date, YYYY-MM-DD.
        end_date: The second date, YYYY-MM-DD.
    """
    return (parse_date(end_date, "end_date") - parse_date(start_date, "start_date")).days


def add_days(date: str, days: int) -> str:
    """The date a number of days after (or, for negative days, before) a given date.

    Args:
        date: The starting date, YYYY-MM-DD.
        days: Days to add; negative to go back.
    """
    return (parse_date(date) + dt.timedelta(days=days)).isoformat()


def day_of_week(date: str) -> str:
    """The weekday name of a date.

    Args:
        date: The date, YYYY-MM-DD.
    """
    return WEEKDAYS[parse_date(date).weekday()]


def add_business_days(date: str, days: int) -> str:
    """The date a number of working days (Monday to Friday, holidays not counted) after a given date.

    Args:
        date: The starting date, YYYY-MM-DD.
        days: Working days to add (zero or more).
    """
    need(days >= 0, f"days must be zero or more, got {days}")
    current = parse_date(date)
    while days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current.isoformat()


def business_days_between(start_date: str, end_date: str) -> int:
    """Count the working days (Monday to Friday) after start_date up to and including end_date.

    Args:
        start_date: The first date, YYYY-MM-DD.
        end_date: The last date, YYYY-MM-DD (not before start_date).
    """
    start, end = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    need(end >= start, "end_date is before start_date")
    return sum((start + dt.timedelta(days=i)).weekday() < 5 for i in range(1, (end - start).days + 1))


def iso_week_number(date: str) -> dict:
    """The ISO-8601 week-numbering year and week of a date.

    Args:
        date: The date, YYYY-MM-DD.
    """
    year, week, weekday = parse_date(date).isocalendar()
    return {"year": year, "week": week, "weekday": WEEKDAYS[weekday - 1]}


def is_leap_year(year: int) -> bool:
    """Whether a year of the Gregorian calendar is a leap year.

    Args:
        year: The year, e.g. 2028.
    """
    need(1 <= year <= 9999, f"year must be between 1 and 9999, got {year}")
    return _cal.isleap(year)


def days_in_month(year: int, month: int) -> int:
    """How many days a month has in a given year.

    Args:
        year: The year, e.g. 2027.
        month: The month number, 1 to 12.
    """
    need(1 <= month <= 12, f"month must be between 1 and 12, got {month}")
    need(1 <= year <= 9999, f"year must be between 1 and 9999, got {year}")
    return _cal.monthrange(year, month)[1]


def age_on(birth_date: str, on_date: str) -> int:
    """Someone's age in whole years on a given date.

    Args:
        birth_date: Date of birth, YYYY-MM-DD.
        on_date: The date to compute the age on, YYYY-MM-DD.
    """
    born, day = parse_date(birth_date, "birth_date"), parse_date(on_date, "on_date")
    need(day >= born, "on_date is before birth_date")
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def humanize_seconds(seconds: int) -> str:
    """Spell out a number of seconds as days, hours, minutes and seconds.

    Args:
        seconds: The duration in seconds (zero or more).
    """
    need(seconds >= 0, f"seconds must be zero or more, got {seconds}")
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return ", ".join(parts) or "0 seconds"


FUNCTIONS = [convert_timezone, days_between, add_days, day_of_week, add_business_days, business_days_between,
             iso_week_number, is_leap_year, days_in_month, age_on, humanize_seconds]
