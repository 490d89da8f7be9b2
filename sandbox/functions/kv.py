"""A key-value store that persists across the calls of one conversation (.state/kv.json)."""

from ._common import closest, load_state, need, save_state

STATE = "kv.json"


def _load() -> dict:
    return load_state(STATE, {})


def _existing(store: dict, key: str) -> object:
    if key not in store:
        raise KeyError(f"no key {key!r} in the store{closest(key, store)}")
    return store[key]


def kv_set(key: str, value: str) -> dict:
    """Store a value under a key, replacing what was there.

    Args:
        key: The key, e.g. 'config:theme'.
        value: The value to store (text).
    """
    need(bool(key.strip()), "key must not be empty")
    store = _load()
    previous = store.get(key)
    store[key] = value
    save_state(STATE, store)
    return {"key": key, "value": value, "previous": previous}


def kv_get(key: str) -> dict:
    """Read the value stored under a key.

    Args:
        key: The key to read.
    """
    store = _load()
    return {"key": key, "value": _existing(store, key)}


def kv_delete(key: str) -> dict:
    """Delete a key and its value from the store.

    Args:
        key: The key to delete.
    """
    store = _load()
    value = _existing(store, key)
    del store[key]
    save_state(STATE, store)
    return {"deleted": key, "value": value, "remaining": len(store)}


def kv_list_keys(prefix: str = "") -> list[str]:
    """List the keys in the store, optionally only those starting with a prefix.

    Args:
        prefix: Only keys starting with this text; empty for all keys.
    """
    return sorted(k for k in _load() if k.startswith(prefix))


def kv_increment(key: str, amount: int = 1) -> dict:
    """Add to the integer counter stored under a key (a missing key starts at 0).

    Args:
        key: The counter's key.
        amount: How much to add; negative to subtract.
    """
    store = _load()
    current = store.get(key, "0")
    try:
        number = int(current)
    except (TypeError, ValueError):
        raise ValueError(f"the value under {key!r} is {current!r}, not an integer counter") from None
    store[key] = str(number + amount)
    save_state(STATE, store)
    return {"key": key, "value": number + amount}


def kv_exists(key: str) -> bool:
    """Whether a key is present in the store.

    Args:
        key: The key to look for.
    """
    return key in _load()


def kv_rename(old_key: str, new_key: str) -> dict:
    """Move a value to a new key (the new key must be free).

    Args:
        old_key: The key the value is under now.
        new_key: The key to move it to.
    """
    store = _load()
    value = _existing(store, old_key)
    need(new_key not in store, f"key {new_key!r} already exists")
    del store[old_key]
    store[new_key] = value
    save_state(STATE, store)
    return {"renamed": old_key, "to": new_key}


def kv_count(prefix: str = "") -> int:
    """Count the keys in the store, optionally only those starting with a prefix.

    Args:
        prefix: Only count keys starting with this text; empty for all keys.
    """
    return sum(k.startswith(prefix) for k in _load())


FUNCTIONS = [kv_set, kv_get, kv_delete, kv_list_keys, kv_increment, kv_exists, kv_rename, kv_count]
MUTATES = ("kv_set", "kv_delete", "kv_increment", "kv_rename")
