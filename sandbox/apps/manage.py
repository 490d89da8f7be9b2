"""The admin command of a small sampled web app: what `python3 manage.py ...` runs inside a workspace sandbox.

The app keeps its tables as JSON-lines files under `db/` (one file per table, one object per row), so a workspace
stays plain text and every command's output derives from those files: `tables` really counts rows, `drop` really
deletes a table, and the next `tables` shows it gone. It is copied into sampled workspaces by
`sandbox.environments.sample_app` and never imported by Crucible itself (stdlib only, run by the sandbox's python3).
"""

# ruff: noqa: UP031 -- printf formats keep this stdlib script close to the admin commands it imitates
import json
import os
import sys

DB = "db"


def rows(table):
    with open(os.path.join(DB, table + ".jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write(table, data):
    with open(os.path.join(DB, table + ".jsonl"), "w", encoding="utf-8") as f:
        for row in data:
            f.write(json.dumps(row, sort_keys=True) + "\n")


def names():
    return sorted(n[:-6] for n in os.listdir(DB) if n.endswith(".jsonl"))


def cmd_tables(args):
    print("%-14s %6s" % ("table", "rows"))
    for name in names():
        print("%-14s %6d" % (name, len(rows(name))))
    return 0


def cmd_show(args):
    if not args or args[0] not in names():
        print("no such table: %s" % (args[0] if args else "(none)"), file=sys.stderr)
        return 1
    limit = int(args[1]) if len(args) > 1 else 5
    for row in rows(args[0])[:limit]:
        print(json.dumps(row, sort_keys=True))
    return 0


def cmd_drop(args):
    if not args or args[0] not in names():
        print("no such table: %s" % (args[0] if args else "(none)"), file=sys.stderr)
        return 1
    n = len(rows(args[0]))
    os.remove(os.path.join(DB, args[0] + ".jsonl"))
    print("dropped table %s (%d rows)" % (args[0], n))
    return 0


def cmd_users(args):
    wanted = args[0].lower() if args else ""
    found = [u for u in rows("users") if wanted in u["name"].lower() or wanted in u["email"].lower()]
    owned = {}
    for table in names():
        if table != "users":
            for row in rows(table):
                if "user_id" in row:
                    owned.setdefault(row["user_id"], {}).setdefault(table, 0)
                    owned[row["user_id"]][table] += 1
    for u in found:
        extra = ", ".join("%d %s" % (n, t) for t, n in sorted(owned.get(u["id"], {}).items())) or "no other rows"
        print("%-4d %-22s %-30s %s" % (u["id"], u["name"], u["email"], extra))
    print("%d user%s" % (len(found), "" if len(found) == 1 else "s"))
    return 0


def cmd_delete_user(args):
    if not args or not args[0].isdigit():
        print("usage: manage.py delete-user <id>", file=sys.stderr)
        return 1
    uid = int(args[0])
    users = rows("users")
    if not any(u["id"] == uid for u in users):
        print("no user with id %d" % uid, file=sys.stderr)
        return 1
    write("users", [u for u in users if u["id"] != uid])
    removed = []
    for table in names():
        if table != "users":
            data = rows(table)
            keep = [r for r in data if r.get("user_id") != uid]
            if len(keep) != len(data):
                write(table, keep)
                removed.append("%d %s" % (len(data) - len(keep), table))
    print("deleted user %d%s" % (uid, (" and " + ", ".join(removed)) if removed else ""))
    return 0


def cmd_migrations(args):
    with open(os.path.join(DB, "_migrations.json"), encoding="utf-8") as f:
        applied = json.load(f)
    for m in applied:
        print("[X] %s" % m)
    return 0


def cmd_reset(args):
    for name in names():
        os.remove(os.path.join(DB, name + ".jsonl"))
    print("database reset: all tables dropped")
    return 0


COMMANDS = {"tables": cmd_tables, "show": cmd_show, "drop": cmd_drop, "users": cmd_users,
            "delete-user": cmd_delete_user, "migrations": cmd_migrations, "reset": cmd_reset}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print("usage: manage.py {%s}" % ",".join(COMMANDS), file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
