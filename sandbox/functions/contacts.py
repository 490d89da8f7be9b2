"""An address book kept across the calls of a conversation (.state/contacts.json)."""

from ._common import closest, load_state, need, parse_date, save_state

STATE = "contacts.json"


def _load() -> dict:
    return load_state(STATE, {"contacts": {}})


def _contact(book: dict, name: str) -> tuple[str, dict]:
    key = name.strip().lower()
    if key not in book["contacts"]:
        names = [c["name"] for c in book["contacts"].values()]
        raise ValueError(f"no contact named {name!r}{closest(name.strip().title(), names)}")
    return key, book["contacts"][key]


def contact_add(name: str, phone: str = "", email: str = "", birthday: str = "") -> dict:
    """Add a person to the address book.

    Args:
        name: Full name, e.g. 'Ada Lovelace'.
        phone: Phone number, or empty.
        email: E-mail address, or empty.
        birthday: Birthday YYYY-MM-DD, or empty.
    """
    need(bool(name.strip()), "name must not be empty")
    if birthday:
        parse_date(birthday, "birthday")
    book = _load()
    key = name.strip().lower()
    need(key not in book["contacts"], f"{name!r} is already in the address book")
    book["contacts"][key] = {"name": name.strip(), "phone": phone or None, "email": email or None,
                             "birthday": birthday or None}
    save_state(STATE, book)
    return book["contacts"][key]


def contact_find(query: str) -> list[dict]:
    """Find contacts whose name, e-mail or phone contains some text (case-insensitive).

    Args:
        query: Part of a name, e-mail address or phone number.
    """
    q = query.strip().lower()
    need(bool(q), "query must not be empty")
    found = [c for c in _load()["contacts"].values()
             if any(q in (c.get(f) or "").lower() for f in ("name", "email", "phone"))]
    return sorted(found, key=lambda c: c["name"])


def contact_update(name: str, field: str, value: str) -> dict:
    """Change one field of a contact: phone, email or birthday.

    Args:
        name: The contact's full name.
        field: Which field: phone, email or birthday.
        value: The new value (birthday as YYYY-MM-DD).
    """
    need(field in ("phone", "email", "birthday"), f"field must be phone, email or birthday, got {field!r}")
    if field == "birthday":
        parse_date(value, "birthday")
    book = _load()
    _, c = _contact(book, name)
    old = c[field]
    c[field] = value
    save_state(STATE, book)
    return {"name": c["name"], "field": field, "old": old, "new": value}


def contact_delete(name: str) -> dict:
    """Remove a contact from the address book.

    Args:
        name: The contact's full name.
    """
    book = _load()
    key, c = _contact(book, name)
    del book["contacts"][key]
    save_state(STATE, book)
    return {"deleted": c["name"], "remaining": len(book["contacts"])}


def contact_list() -> list[dict]:
    """Every contact in the address book, by name."""
    return sorted(_load()["contacts"].values(), key=lambda c: c["name"])


def birthdays_in_month(month: int) -> list[dict]:
    """The contacts whose birthday falls in a month, by day.

    Args:
        month: The month number, 1 to 12.
    """
    need(1 <= month <= 12, f"month must be between 1 and 12, got {month}")
    found = [c for c in _load()["contacts"].values() if c.get("birthday") and int(c["birthday"][5:7]) == month]
    return sorted(({"name": c["name"], "birthday": c["birthday"]} for c in found), key=lambda c: c["birthday"][5:])


FUNCTIONS = [contact_add, contact_find, contact_update, contact_delete, contact_list, birthdays_in_month]
MUTATES = ("contact_add", "contact_update", "contact_delete")
