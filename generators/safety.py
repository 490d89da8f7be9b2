"""Destructive-command trajectories where the right move is to look first, then disambiguate or ask.

Seed 003's shutdown-safety idea, grounded: "restart the web server" when the fleet has several, "shut down the db"
when the only db is production, "rm -rf the logs", "just delete the failing test". Each trace inspects the real
environment with read-only calls (list_agents, status, ls, run_tests), shows the user the real candidates or what
would be lost, and asks. Some continue after the user answers with an explicit target, and only then run the
destructive command, for real, and verify it. The invariant tests check: no destructive call before a user turn
that names its target after the question.
"""

import re
from typing import Any

from generators.grounded import (
    Ctx,
    Exchange,
    Reject,
    Script,
    Template,
    Turn,
    as_persona,
    done,
    plan_tasks,
    run_procedural,
    task_persona,
)

FAMILY = "safety"
VERSION = "1"

# What counts as destructive, for the tests and for the teacher-free guarantee above.
DESTRUCTIVE = re.compile(r"\b(rm\s+-|rm\s+\S|shutdown|reboot|poweroff|systemctl\s+(restart|stop)|truncate|kill\b)")


def is_destructive(name: str, args: dict) -> bool:
    if name in ("bash", "shell", "remote_bash", "remote_bash_all"):
        return bool(DESTRUCTIVE.search(args.get("command", "")))
    return name == "write_file"


def _web_hosts(c: Ctx) -> list[str]:
    return [h for h, r in c.facts["roles"].items() if r == "web"]


def s_ambiguous_restart(c: Ctx) -> Script:
    webs = _web_hosts(c)
    if len(webs) < 2:
        raise Reject("needs two or more web hosts")
    c.user = c.rng.choice(["Restart the web server.", "restart the webserver pls, site is slow",
                           "Can you bounce nginx on the web box?", "the website is down, restart the web server now"])
    out = yield Turn([("list_agents", {"pattern": "*web*"})], content=c.say(
        dry=["\"The\" web server. Let's see how many there are first."],
        formal=["Before restarting anything, I shall check which web servers exist."],
        plain=["Checking which web servers there are."]))
    assert out is not None
    rows = re.findall(r"^(\S*web\S*)\s+\S+\s+(\S+)\s+\S+\s+(online|offline)$", out[0], re.M)
    if len(rows) < 2:
        raise Reject("list_agents did not show several web hosts")
    listing = "\n".join(f"- {h} ({env}, {st})" for h, env, st in rows)
    question = c.say(
        dry=[f"There are {len(rows)} web servers, and I'm not going to guess which one you meant:\n{listing}\n\n"
             "Which one should I restart? (Or all of them, if you really mean that.)"],
        formal=[f"I found {len(rows)} web servers:\n{listing}\n\nRestarting the wrong one would interrupt its "
                "visitors, so may I ask which host you intend?"],
        plain=[f"There are {len(rows)} web servers:\n{listing}\n\nWhich one should I restart?"])
    online = [h for h, _, st in rows if st == "online"]
    if not online or c.rng.random() < 0.45:
        c.facets["confirmed"] = False
        return question
    target = c.rng.choice(online)
    c.facets["confirmed"] = True
    yield Exchange(question, c.rng.choice([f"{target}", f"{target}, nginx only", f"just {target} please",
                                           f"{target}. leave the others alone"]))
    out = yield Turn([("remote_bash", {"host": target, "command": "sudo systemctl restart nginx"})],
                     reasoning=f"The user named {target} explicitly; restart nginx there only.")
    assert out is not None
    out2 = yield Turn([("remote_bash", {"host": target, "command": "systemctl is-active nginx"})])
    assert out2 is not None
    state = out2[0].splitlines()[0].strip()
    yield done(c, f"restarted nginx on {target} only; now {state}")
    if state != "active":
        return c.say(dry=[f"Restarted nginx on {target}, and it came back `{state}`. That's worse. Check the config."],
                     formal=[f"I restarted nginx on {target}, but it reports `{state}`; the configuration needs review."],
                     plain=[f"nginx on {target} is `{state}` after the restart; something's wrong with it."])
    return c.say(dry=[f"Done: nginx restarted on {target}, `is-active` says active. The other web hosts were not touched."],
                 formal=[f"nginx has been restarted on {target} and is active again. No other host was touched."],
                 plain=[f"Restarted nginx on {target}; it's active. Other hosts untouched."])


def s_shutdown_prod_db(c: Ctx) -> Script:
    dbs = [h for h, r in c.facts["roles"].items() if r == "db"]
    if not dbs:
        raise Reject("no db host")
    c.user = c.rng.choice(["Shut down the staging database, we don't need it tonight.",
                           "power off the test db server", "turn off the spare database box to save money"])
    out = yield Turn([("list_agents", {"pattern": "*db*"})])
    assert out is not None
    rows = re.findall(r"^(\S+)\s+db\s+(\S+)\s+\S+\s+(online|offline)$", out[0], re.M)
    if not rows:
        raise Reject("no db rows listed")
    non_prod = [h for h, env, _ in rows if env != "prod"]
    listing = "\n".join(f"- {h} (env: {env}, {st})" for h, env, st in rows)
    c.facets["confirmed"] = False
    if non_prod:
        return c.say(
            dry=[f"Database hosts:\n{listing}\n\n{non_prod[0]} looks like the one you mean, but shutting down a database "
                 f"is not something I do on a hunch. Confirm `{non_prod[0]}` and I'll power it off."],
            formal=[f"These are the database hosts:\n{listing}\n\nI believe you mean {non_prod[0]}. As a shutdown cannot "
                    "be undone from here, would you kindly confirm the exact host name?"],
            plain=[f"DB hosts:\n{listing}\n\nDo you mean {non_prod[0]}? Please confirm before I shut it down."])
    return c.say(
        dry=[f"Here's the catch: there is no staging or spare database. The only database hosts are:\n{listing}\n\n"
             "That's production. Do you really mean prod? If so, tell me the host by name and I'll do it."],
        formal=[f"I must point out that every database host is in production:\n{listing}\n\nShutting one down would "
                "take the production database offline. Do you nonetheless wish me to proceed? If so, kindly confirm the host by name."],
        plain=[f"All database hosts are production:\n{listing}\n\nThat would take prod down. Do you really want this? "
               "If so, confirm the exact host."])


def s_reboot_fleet(c: Ctx) -> Script:
    envs = [e for e in ("prod", "staging") if sum(c.facts["env"][h] == e for h in c.facts["hosts"]) >= 2]
    if not envs:
        raise Reject("needs two or more hosts in prod or staging")
    env = c.rng.choice(envs)
    glob = f"*{env}*"
    word = "production" if env == "prod" else "staging"
    c.user = c.rng.choice([f"Reboot all the {env} servers.", f"reboot every {env} box, kernel update",
                           f"restart all {word} machines now"])
    out = yield Turn([("list_agents", {"pattern": glob})])
    assert out is not None
    rows = re.findall(rf"^(\S+)\s+(\S+)\s+{env}\s+\S+\s+(online|offline)$", out[0], re.M)
    if len(rows) < 2:
        raise Reject(f"fewer than two {env} hosts listed")
    listing = "\n".join(f"- {h} ({role}, {st})" for h, role, st in rows)
    roles = sorted({r for _, r, _ in rows})
    c.facets["confirmed"] = False
    return c.say(
        dry=[f"That glob hits {len(rows)} machines, including {', '.join(roles)}:\n{listing}\n\nRebooting them all at "
             "once is a self-inflicted outage. I'd go one at a time, web hosts first. Which order do you want, and is the list right?"],
        formal=[f"`{glob}` matches {len(rows)} hosts:\n{listing}\n\nRebooting all of them together would interrupt "
                f"every {word} service ({', '.join(roles)}). Shall I proceed one host at a time, and may I have your "
                "confirmation of the list first?"],
        plain=[f"{len(rows)} hosts match {glob}:\n{listing}\n\nRebooting all at once takes everything down. Confirm, "
               "and tell me if you want them rebooted one by one."])


def s_rm_logs(c: Ctx) -> Script:
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    host = c.rng.choice(online)
    c.user = c.rng.choice([f"rm -rf the logs folder on {host}, it's full of junk",
                           f"Delete all logs on {host}.", f"wipe logs/ on {host} to free space"])
    out = yield Turn([("remote_bash", {"host": host, "command": "wc -c logs/*"})], content=c.say(
        dry=["Looking before deleting."], formal=["Let me first see what is in there."], plain=["Checking what's there."]))
    assert out is not None
    files = re.findall(r"^\s*(\d+) (logs/\S+)$", out[0], re.M)
    if not files:
        raise Reject("no log files listed")
    listing = "\n".join(f"- `{p}` ({n} bytes)" for n, p in files)
    live = [p for _, p in files if p.split("/")[1].removesuffix(".log") in c.facts["services"][host]]
    c.facets["confirmed"] = c.rng.random() < 0.4
    question = c.say(
        dry=[f"`logs/` on {host} holds:\n{listing}\n\n{', '.join(f'`{p}`' for p in live) or 'These'} belong to running "
             "services, and `rm -rf` can't be undone. If the goal is space, truncating is kinder. Delete them anyway?"],
        formal=[f"The directory `logs/` on {host} contains:\n{listing}\n\nSome of these are written by running services, "
                "and deletion is irreversible. Do you wish me to delete them all, or only to truncate them?"],
        plain=[f"`logs/` on {host}:\n{listing}\n\nDeleting is permanent. Delete all of them, or truncate instead?"])
    if not c.facets["confirmed"]:
        return question
    yield Exchange(question, c.rng.choice(["truncate them", "just empty them, don't delete", "truncate is fine"]))
    out = yield Turn([("remote_bash", {"host": host, "command": "truncate -s 0 logs/*.log && wc -c logs/*"})])
    assert out is not None
    sizes = re.findall(r"^\s*(\d+) logs/\S+$", out[0], re.M)
    if not sizes or any(s != "0" for s in sizes):
        raise Reject("truncate did not empty the logs")
    yield done(c, f"truncated {len(sizes)} log files on {host}")
    return c.say(dry=[f"Truncated {len(sizes)} log files on {host}; they're all 0 bytes now and the services can keep writing."],
                 formal=[f"I truncated the {len(sizes)} log files on {host}; each now measures 0 bytes, and the files remain for the services."],
                 plain=[f"Truncated {len(sizes)} log files on {host} (0 bytes each)."])


def s_stop_db(c: Ctx) -> Script:
    dbs = [h for h, r in c.facts["roles"].items() if r == "db" and h != c.facts["offline"]]
    if not dbs:
        raise Reject("no online db host")
    host = c.rng.choice(dbs)
    c.user = c.rng.choice([f"postgres on {host} is eating CPU, stop it", f"Stop postgresql on {host}.",
                           f"kill the database on {host}, it's hogging the box"])
    out = yield Turn([("remote_bash", {"host": host, "command": "systemctl status postgresql"}),
                      ("remote_bash", {"host": host, "command": "uptime"})])
    assert out is not None
    state = re.search(r"Active: (\w+)", out[0])
    load = re.search(r"load average: ([\d.]+)", out[1])
    if not state or not load:
        raise Reject("status/uptime not parsed")
    env = c.facts["env"][host]
    c.facets["confirmed"] = False
    return c.say(
        dry=[f"postgresql on {host} is {state.group(1)}, and the 1-minute load is {load.group(1)}. This is a {env} "
             "database: stopping it stops everything that talks to it. Want me to look at what's running first, or do you "
             f"really want it stopped? Say `stop it on {host}` and I will."],
        formal=[f"postgresql on {host} is currently {state.group(1)}; the one-minute load average is {load.group(1)}. "
                f"As this is the {env} database, stopping it would interrupt every client. Would you like me to "
                "investigate the load first, or shall I stop it on your explicit confirmation?"],
        plain=[f"postgresql on {host}: {state.group(1)}, load {load.group(1)}. It's {env}; stopping it breaks its "
               "clients. Confirm and I'll stop it."])


# python-agent (workspace) -------------------------------------------------------------------------------------

def s_rm_workspace(c: Ctx) -> Script:
    c.user = c.rng.choice(["Clean up this project: rm -rf everything except the code.", "delete the data and logs dirs",
                           "wipe data/ and logs/, I need a clean slate"])
    out = yield Turn([("shell", {"command": "find data logs -type f | sort && wc -l data/* logs/*"})], content=c.say(
        dry=["Before I delete anything, let's see what's actually in there."],
        formal=["Before deleting anything, I shall list what would be removed."],
        plain=["Listing what would be deleted first."]))
    assert out is not None
    counts = re.findall(r"^\s*(\d+) ((?:data|logs)/\S+)$", out[0], re.M)
    if not counts:
        raise Reject("nothing listed")
    listing = "\n".join(f"- `{p}` ({n} lines)" for n, p in counts)
    c.facets["confirmed"] = c.rng.random() < 0.4
    question = c.say(
        dry=[f"That would delete:\n{listing}\n\nThere's no undo in this workspace. Which of these do you actually want gone?"],
        formal=[f"This would permanently remove:\n{listing}\n\nWould you kindly confirm which of these should be deleted?"],
        plain=[f"This deletes:\n{listing}\n\nNo undo. Confirm which ones should go?"])
    if not c.facets["confirmed"]:
        return question
    yield Exchange(question, c.rng.choice(["only the logs", "just logs/, keep the data", "logs only"]))
    out = yield Turn([("shell", {"command": "rm -r logs && ls"})],
                     reasoning="The user confirmed deleting logs/ only; keep data/.")
    assert out is not None
    if "logs" in out[0].split():
        raise Reject("logs still present")
    return c.say(dry=["Deleted `logs/`. `data/` is untouched, as requested. Remaining: " + ", ".join(out[0].split()) + "."],
                 formal=["I have removed `logs/` and left `data/` intact. The workspace now contains: " + ", ".join(out[0].split()) + "."],
                 plain=["Removed `logs/`; kept `data/`. Now: " + ", ".join(out[0].split()) + "."])


def s_delete_failing_test(c: Ctx) -> Script:
    c.user = c.rng.choice(["The tests are failing. Just delete the failing test file so CI is green.",
                           "delete whatever test is failing, I don't care", "make CI green, remove the broken test"])
    out = yield Turn([("run_tests", {})])
    assert out is not None
    m = re.search(r"^FAILED (\S+)::(test_\w+)", out[0], re.M)
    if not m:
        raise Reject("no failing test")
    path, test = m.group(1), m.group(2)
    fn = test.removeprefix("test_")
    c.facets["confirmed"] = False
    return c.say(
        dry=[f"`{test}` in `{path}` fails. Deleting `{path}` would also delete the passing tests in it, and the bug in "
             f"`{fn}` would still be there, just unobserved. I'd rather fix `{fn}`. Still want the file gone?"],
        formal=[f"The failing test is `{test}` in `{path}`. Removing that file would discard its passing tests as well and "
                f"hide a genuine fault in `{fn}`. May I fix `{fn}` instead, or do you confirm the deletion?"],
        plain=[f"`{test}` ({path}) fails because `{fn}` is broken. Deleting the file hides the bug. Fix it instead, or "
               "confirm the delete?"])


def s_overwrite_config(c: Ctx) -> Script:
    c.user = c.rng.choice(["Overwrite config/settings.toml with just `port = 80`.",
                           "replace the settings file with port = 80, nothing else", "write port = 80 into config/settings.toml (replace it)"])
    out = yield Turn([("read_file", {"path": "config/settings.toml"})])
    assert out is not None
    keys = re.findall(r"^(\w+) = ", out[0], re.M)
    sections = re.findall(r"^\[(\w+)\]", out[0], re.M)
    if not keys:
        raise Reject("no keys read")
    c.facets["confirmed"] = False
    return c.say(
        dry=[f"The current file has {len(keys)} settings across [{'], ['.join(sections)}] ({', '.join(keys)}). Replacing it "
             "with one line throws the database URL away too. Want me to just change `port` in place instead?"],
        formal=[f"The present file defines {len(keys)} settings in the sections {', '.join(sections)}: {', '.join(keys)}. "
                "Overwriting it would lose all of them. Shall I merely change the port, or do you confirm the full replacement?"],
        plain=[f"That file has {len(keys)} settings ({', '.join(keys)}). Overwriting loses them. Change only `port`, or "
               "replace the whole file?"])


TEMPLATES: dict[str, Template] = {
    "ambiguous_restart": Template(s_ambiguous_restart, "aj", "fleet2web", 2.0),
    "shutdown_prod_db": Template(s_shutdown_prod_db, "aj", "fleetdb", 1.0),
    "reboot_fleet": Template(s_reboot_fleet, "aj", "fleet", 1.0),
    "rm_logs": Template(s_rm_logs, "aj", "fleet", 1.0),
    "stop_db": Template(s_stop_db, "aj", "fleetdb", 0.8),
    "rm_workspace": Template(s_rm_workspace, "python-agent", "workspace", 1.0),
    "delete_failing_test": Template(s_delete_failing_test, "python-agent", "buggy", 1.0),
    "overwrite_config": Template(s_overwrite_config, "python-agent", "workspace", 0.8),
}


def plan(persona: Any, count: int, seed: int) -> list[dict]:
    persona = as_persona(persona)
    return plan_tasks(persona, count, seed, FAMILY, TEMPLATES, 0.0)


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any = None) -> list[dict]:
    del teacher  # procedural: the trajectories' judgement is the point, not a teacher's prose
    if not tasks:
        return []
    persona = as_persona(persona) if persona is not None else task_persona(tasks[0])
    return run_procedural(tasks, persona, sandbox, run_id, FAMILY, TEMPLATES, "generators.safety", VERSION)
