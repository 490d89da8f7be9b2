"""A personal expense ledger kept across the calls of a conversation (.state/expenses.json)."""

from ._common import load_state, money, need, parse_date, save_state

STATE = "expenses.json"


def _load() -> dict:
    return load_state(STATE, {"next_id": 1, "expenses": []})


def _month(month: str) -> str:
    need(len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit()
         and 1 <= int(month[5:]) <= 12, f"month must look like YYYY-MM, got {month!r}")
    return month


def expense_add(amount: float, category: str, date: str, note: str = "") -> dict:
    """Record an expense.

    Args:
        amount: How much was spent (positive).
        category: A category such as groceries, transport, rent.
        date: The day of the expense, YYYY-MM-DD.
        note: An optional note.
    """
    need(amount > 0, f"amount must be positive, got {amount}")
    parse_date(date)
    ledger = _load()
    entry = {"id": ledger["next_id"], "amount": money(amount), "category": category.strip().lower(), "date": date,
             "note": note}
    ledger["expenses"].append(entry)
    ledger["next_id"] += 1
    save_state(STATE, ledger)
    return entry


def expense_list(month: str, category: str = "") -> list[dict]:
    """The expenses of a month, optionally of one category only, by date.

    Args:
        month: The month, YYYY-MM.
        category: Only this category; empty for all.
    """
    m = _month(month)
    cat = category.strip().lower()
    rows = [e for e in _load()["expenses"] if e["date"].startswith(m) and (not cat or e["category"] == cat)]
    return sorted(rows, key=lambda e: (e["date"], e["id"]))


def expense_total(month: str, category: str = "") -> dict:
    """The total spent in a month, optionally in one category only.

    Args:
        month: The month, YYYY-MM.
        category: Only this category; empty for all.
    """
    rows = expense_list(month, category)
    return {"month": month, "category": category.strip().lower() or "all", "total": money(sum(e["amount"] for e in rows)),
            "count": len(rows)}


def expenses_by_category(month: str) -> list[dict]:
    """A month's spending per category, largest first.

    Args:
        month: The month, YYYY-MM.
    """
    totals: dict[str, float] = {}
    for e in expense_list(month):
        totals[e["category"]] = totals.get(e["category"], 0) + e["amount"]
    return [{"category": c, "total": money(t)} for c, t in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


def budget_remaining(month: str, category: str, budget: float) -> dict:
    """How much of a monthly budget for one category is left (negative when overspent).

    Args:
        month: The month, YYYY-MM.
        category: The category the budget is for.
        budget: The budgeted amount.
    """
    spent = expense_total(month, category)["total"]
    return {"category": category.strip().lower(), "budget": money(budget), "spent": spent,
            "remaining": money(budget - spent), "over_budget": spent > budget}


def expense_delete(expense_id: int) -> dict:
    """Delete a recorded expense.

    Args:
        expense_id: The expense's id (from expense_list).
    """
    ledger = _load()
    for e in ledger["expenses"]:
        if e["id"] == expense_id:
            ledger["expenses"].remove(e)
            save_state(STATE, ledger)
            return {"deleted": e}
    raise ValueError(f"no expense with id {expense_id}")


FUNCTIONS = [expense_add, expense_list, expense_total, expenses_by_category, budget_remaining, expense_delete]
MUTATES = ("expense_add", "expense_delete")
