"""A to-do list kept across the calls of a conversation (.state/todo.json)."""

from typing import Literal

from ._common import load_state, need, parse_date, save_state

STATE = "todo.json"
PRIORITY = {"high": 0, "normal": 1, "low": 2}


def _load() -> dict:
    return load_state(STATE, {"next_id": 1, "tasks": []})


def _task(todo: dict, task_id: int) -> dict:
    for t in todo["tasks"]:
        if t["id"] == task_id:
            return t
    raise ValueError(f"no task with id {task_id} (ids: {', '.join(str(t['id']) for t in todo['tasks']) or 'none'})")


def _ordered(tasks: list[dict]) -> list[dict]:
    return sorted(tasks, key=lambda t: (t["done"], PRIORITY[t["priority"]], t["due"] or "9999", t["id"]))


def todo_add(title: str, due: str = "", priority: Literal["high", "normal", "low"] = "normal") -> dict:
    """Add a task to the to-do list.

    Args:
        title: What needs doing.
        due: Due date YYYY-MM-DD, or empty for none.
        priority: high, normal or low.
    """
    need(bool(title.strip()), "title must not be empty")
    if due:
        parse_date(due, "due")
    todo = _load()
    task = {"id": todo["next_id"], "title": title.strip(), "due": due or None, "priority": priority, "done": False}
    todo["tasks"].append(task)
    todo["next_id"] += 1
    save_state(STATE, todo)
    return task


def todo_list(status: Literal["open", "done", "all"] = "open") -> list[dict]:
    """The tasks on the list, most urgent first.

    Args:
        status: open (not done yet), done, or all.
    """
    tasks = _load()["tasks"]
    if status != "all":
        tasks = [t for t in tasks if t["done"] == (status == "done")]
    return _ordered(tasks)


def todo_complete(task_id: int) -> dict:
    """Mark a task as done.

    Args:
        task_id: The task's id (from todo_list).
    """
    todo = _load()
    task = _task(todo, task_id)
    need(not task["done"], f"task {task_id} is already done")
    task["done"] = True
    save_state(STATE, todo)
    return task


def todo_delete(task_id: int) -> dict:
    """Remove a task from the list altogether.

    Args:
        task_id: The task's id.
    """
    todo = _load()
    task = _task(todo, task_id)
    todo["tasks"].remove(task)
    save_state(STATE, todo)
    return {"deleted": task}


def todo_set_priority(task_id: int, priority: Literal["high", "normal", "low"]) -> dict:
    """Change the priority of a task.

    Args:
        task_id: The task's id.
        priority: high, normal or low.
    """
    todo = _load()
    task = _task(todo, task_id)
    task["priority"] = priority
    save_state(STATE, todo)
    return task


def todo_due_before(date: str) -> list[dict]:
    """The open tasks due on or before a date, most urgent first.

    Args:
        date: The cut-off date, YYYY-MM-DD.
    """
    cutoff = parse_date(date).isoformat()
    return _ordered([t for t in _load()["tasks"] if not t["done"] and t["due"] and t["due"] <= cutoff])


def todo_search(keyword: str) -> list[dict]:
    """The tasks whose title contains a keyword (case-insensitive).

    Args:
        keyword: The text to look for.
    """
    need(bool(keyword.strip()), "keyword must not be empty")
    return _ordered([t for t in _load()["tasks"] if keyword.strip().lower() in t["title"].lower()])


FUNCTIONS = [todo_add, todo_list, todo_complete, todo_delete, todo_set_priority, todo_due_before, todo_search]
MUTATES = ("todo_add", "todo_complete", "todo_delete", "todo_set_priority")
