"""Validators for identifiers people type: card numbers, e-mail addresses, ISBNs, IBANs, IP addresses, passwords."""

import ipaddress
import re
import string


def luhn_check(number: str) -> dict:
    """Whether a card or account number passes the Luhn checksum (spaces and dashes are ignored).

    Args:
        number: The digits to check.
    """
    digits = re.sub(r"[ -]", "", number)
    if not digits.isdigit():
        return {"valid": False, "reason": "contains characters other than digits, spaces and dashes"}
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return {"valid": total % 10 == 0, "digits": len(digits)}


def validate_email(address: str) -> dict:
    """Whether a text is a syntactically valid e-mail address, and its domain.

    Args:
        address: The address to check.
    """
    ok = re.fullmatch(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+", address.strip())
    local = address.split("@")[0] if "@" in address else ""
    valid = bool(ok) and ".." not in address and not local.startswith(".") and not local.endswith(".")
    return {"valid": valid, "domain": address.rsplit("@", 1)[1].lower() if valid else None}


def validate_isbn(isbn: str) -> dict:
    """Whether an ISBN-10 or ISBN-13 has a correct check digit (hyphens and spaces are ignored).

    Args:
        isbn: The ISBN.
    """
    s = re.sub(r"[ -]", "", isbn).upper()
    if len(s) == 10 and s[:9].isdigit() and (s[9].isdigit() or s[9] == "X"):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(s))
        return {"valid": total % 11 == 0, "kind": "ISBN-10"}
    if len(s) == 13 and s.isdigit():
        total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s))
        return {"valid": total % 10 == 0, "kind": "ISBN-13"}
    return {"valid": False, "kind": None}


def validate_iban(iban: str) -> dict:
    """Whether an IBAN passes the ISO 13616 mod-97 check, with its country code.

    Args:
        iban: The IBAN (spaces allowed).
    """
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return {"valid": False, "country": None}
    moved = s[4:] + s[:4]
    number = int("".join(str(int(c, 36)) for c in moved))
    return {"valid": number % 97 == 1, "country": s[:2]}


def validate_ip_address(address: str) -> dict:
    """Whether a text is an IPv4 or IPv6 address, its version, and whether it is private.

    Args:
        address: The address to check.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return {"valid": False, "version": None, "private": None}
    return {"valid": True, "version": ip.version, "private": ip.is_private}


def password_strength(password: str) -> dict:
    """Rate a password by length and character variety, listing what it lacks.

    Args:
        password: The password to rate.
    """
    checks = {"at least 12 characters": len(password) >= 12,
              "a lowercase letter": any(c.islower() for c in password),
              "an uppercase letter": any(c.isupper() for c in password),
              "a digit": any(c.isdigit() for c in password),
              "a symbol": any(c in string.punctuation for c in password)}
    score = sum(checks.values())
    rating = "strong" if score == 5 else "medium" if score >= 3 else "weak"
    return {"rating": rating, "score": score, "missing": [k for k, ok in checks.items() if not ok]}


def validate_hostname(hostname: str) -> dict:
    """Whether a text is a valid DNS host name (labels of letters, digits and inner hyphens, up to 253 characters).

    Args:
        hostname: The host name, e.g. mail.example.org.
    """
    name = hostname.strip().rstrip(".")
    labels = name.split(".")
    ok = 0 < len(name) <= 253 and all(re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", x) for x in labels)
    return {"valid": bool(ok), "labels": len(labels) if ok else None}


FUNCTIONS = [luhn_check, validate_email, validate_isbn, validate_iban, validate_ip_address, password_strength,
             validate_hostname]
