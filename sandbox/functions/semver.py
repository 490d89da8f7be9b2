"""Semantic versions (MAJOR.MINOR.PATCH, optional -prerelease): parse, compare, bump, sort and match ranges."""

import re
from typing import Literal

_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


def _parse(version: str, name: str = "version") -> tuple[int, int, int, str | None]:
    m = _SEMVER.fullmatch(version.strip())
    if not m:
        raise ValueError(f"{name} {version!r} is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.4.2)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)


def _key(version: str, name: str = "version") -> tuple:
    major, minor, patch, pre = _parse(version, name)
    # a pre-release sorts before its release; its dot parts compare numerically when numeric
    pre_key = (1,) if pre is None else (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return (major, minor, patch, pre_key)


def parse_version(version: str) -> dict:
    """Split a semantic version into its parts.

    Args:
        version: The version, e.g. 2.10.3-rc.1.
    """
    major, minor, patch, pre = _parse(version)
    return {"major": major, "minor": minor, "patch": patch, "prerelease": pre}


def compare_versions(a: str, b: str) -> dict:
    """Compare two semantic versions: -1 if a is older, 0 if equal, 1 if a is newer.

    Args:
        a: The first version.
        b: The second version.
    """
    ka, kb = _key(a, "a"), _key(b, "b")
    result = (ka > kb) - (ka < kb)
    return {"result": result, "newer": a if result > 0 else b if result < 0 else None}


def bump_version(version: str, part: Literal["major", "minor", "patch"]) -> str:
    """The next version after a release of the given kind (lower parts reset to 0, pre-release dropped).

    Args:
        version: The current version.
        part: major, minor or patch.
    """
    major, minor, patch, _ = _parse(version)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def sort_versions(versions: list[str]) -> list[str]:
    """Sort semantic versions from oldest to newest.

    Args:
        versions: The versions to sort.
    """
    return sorted(versions, key=lambda v: _key(v))


def satisfies(version: str, constraint: str) -> bool:
    """Whether a version meets a constraint: ^1.2.3 (same major), ~1.2.3 (same minor), or comparisons such as
    '>=1.2.0 <2.0.0' (all must hold).

    Args:
        version: The version to test.
        constraint: The constraint, e.g. ^1.4.0, ~2.3.1 or '>=1.0.0 <1.5.0'.
    """
    v = _key(version)
    text = constraint.strip()
    if text[:1] in ("^", "~"):
        major, minor, patch, _ = _parse(text[1:], "constraint")
        upper = f"{major + 1}.0.0" if text[0] == "^" and major else f"{major}.{minor + 1}.0"
        return _key(f"{major}.{minor}.{patch}") <= v < _key(upper)
    ops = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
           "=": lambda a, b: a == b}
    parts = text.split()
    if not parts:
        raise ValueError("constraint is empty")
    for part in parts:
        m = re.fullmatch(r"(>=|<=|>|<|=)?(.+)", part)
        assert m is not None
        op, target = m.group(1) or "=", m.group(2)
        if not ops[op](v, _key(target, "constraint")):
            return False
    return True


FUNCTIONS = [parse_version, compare_versions, bump_version, sort_versions, satisfies]
