"""A shop's inventory kept across the calls of a conversation (.state/inventory.json): items, stock and prices."""

from ._common import closest, load_state, money, need, save_state

STATE = "inventory.json"


def _load() -> dict:
    return load_state(STATE, {"items": {}})


def _item(inv: dict, name: str) -> dict:
    key = name.strip().lower()
    if key not in inv["items"]:
        raise ValueError(f"no item {name!r} in the inventory{closest(key, inv['items'])}")
    return inv["items"][key]


def _view(name: str, item: dict) -> dict:
    return {"item": name, "quantity": item["quantity"], "unit_price": item["unit_price"]}


def inv_list_items() -> list[dict]:
    """Every item in the inventory with its quantity and unit price, by name."""
    inv = _load()
    return [_view(n, inv["items"][n]) for n in sorted(inv["items"])]


def inv_stock_level(item: str) -> dict:
    """How many units of an item are in stock.

    Args:
        item: The item's name, e.g. 'desk lamp'.
    """
    inv = _load()
    return _view(item.strip().lower(), _item(inv, item))


def inv_add_stock(item: str, quantity: int) -> dict:
    """Record a delivery: add units of an existing item to the stock.

    Args:
        item: The item's name.
        quantity: How many units arrived (at least 1).
    """
    need(quantity >= 1, f"quantity must be at least 1, got {quantity}")
    inv = _load()
    entry = _item(inv, item)
    entry["quantity"] += quantity
    save_state(STATE, inv)
    return _view(item.strip().lower(), entry)


def inv_remove_stock(item: str, quantity: int) -> dict:
    """Record a sale or loss: take units of an item out of the stock (never below zero).

    Args:
        item: The item's name.
        quantity: How many units to remove (at least 1).
    """
    need(quantity >= 1, f"quantity must be at least 1, got {quantity}")
    inv = _load()
    entry = _item(inv, item)
    need(entry["quantity"] >= quantity, f"only {entry['quantity']} of {item!r} in stock, cannot remove {quantity}")
    entry["quantity"] -= quantity
    save_state(STATE, inv)
    return _view(item.strip().lower(), entry)


def inv_set_price(item: str, unit_price: float) -> dict:
    """Change the unit price of an item.

    Args:
        item: The item's name.
        unit_price: The new price per unit (zero or more).
    """
    need(unit_price >= 0, f"unit_price must be zero or more, got {unit_price}")
    inv = _load()
    entry = _item(inv, item)
    old = entry["unit_price"]
    entry["unit_price"] = money(unit_price)
    save_state(STATE, inv)
    return {"item": item.strip().lower(), "old_price": old, "new_price": entry["unit_price"]}


def inv_add_item(item: str, quantity: int, unit_price: float) -> dict:
    """Start stocking a new item.

    Args:
        item: The new item's name.
        quantity: Units in stock now (zero or more).
        unit_price: Price per unit (zero or more).
    """
    need(quantity >= 0 and unit_price >= 0, "quantity and unit_price must be zero or more")
    inv = _load()
    key = item.strip().lower()
    need(bool(key), "item must not be empty")
    need(key not in inv["items"], f"{item!r} is already in the inventory")
    inv["items"][key] = {"quantity": quantity, "unit_price": money(unit_price)}
    save_state(STATE, inv)
    return _view(key, inv["items"][key])


def inv_low_stock(threshold: int = 5) -> list[dict]:
    """The items whose stock is at or below a threshold, lowest first.

    Args:
        threshold: The stock level at or below which an item counts as low.
    """
    inv = _load()
    low = [_view(n, e) for n, e in inv["items"].items() if e["quantity"] <= threshold]
    return sorted(low, key=lambda v: (v["quantity"], v["item"]))


def inv_total_value() -> dict:
    """The value of everything in stock (quantity times unit price, summed) and the number of units."""
    items = _load()["items"].values()
    return {"total_value": money(sum(e["quantity"] * e["unit_price"] for e in items)),
            "units": sum(e["quantity"] for e in items), "items": len(items)}


FUNCTIONS = [inv_list_items, inv_stock_level, inv_add_stock, inv_remove_stock, inv_set_price, inv_add_item,
             inv_low_stock, inv_total_value]
MUTATES = ("inv_add_stock", "inv_remove_stock", "inv_set_price", "inv_add_item")
