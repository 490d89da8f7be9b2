"""The procedural task scripts of the tool_use family, one generator function per task kind (see generators.grounded
for how a script talks to the real tools). Each asks the question its template names, makes the calls a careful agent
would, and answers only from what the real outputs say.
"""

import re

from generators.grounded import Ctx, Reject, Script, Turn, done, first_int, need, restart_and_check

# ---------------------------------------------------------------------------------------------------------------
# aj scripts (fleet + local workspace)


def s_service(c: Ctx) -> Script:
    failed = c.facts["failed"]
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    if failed and c.rng.random() < 0.7:
        host, svc = failed
    else:
        host = c.rng.choice(online)
        svc = c.rng.choice(sorted(c.facts["services"][host]))
    fix = c.rng.random() < 0.7
    c.user = c.rng.choice([f"Is {svc} running on {host}?", f"check {svc} on {host}",
                           f"Users say {host} is acting up. Can you check {svc} there?"]) + \
        (c.rng.choice([" Restart it if it's down.", " If it's dead, bring it back.", ""]) if fix else "")
    out = yield Turn([("remote_bash", {"host": host, "command": f"systemctl status {svc}"})])
    assert out is not None
    state = need(re.search(r"Active: (\w+)", out[0]), "the service state", out[0]).group(1)
    if state == "active":
        yield done(c, f"{svc} on {host} is active; nothing to do")
        since = need(re.search(r"; (.+ ago)", out[0]), "the uptime", out[0]).group(1)
        return c.say(dry=[f"{svc} on {host} is fine: active (running), up since {since}. Whatever the problem is, it isn't this."],
                     formal=[f"I checked {svc} on {host}: it is active and running (started {since}). No action was needed."],
                     plain=[f"{svc} is active on {host} (running, started {since})."])
    if not fix:
        yield done(c, f"{svc} on {host} is {state}; reported, not restarted")
        return c.say(dry=[f"{svc} on {host} is down ({state}). You didn't ask me to restart it, so I didn't. Say the word."],
                     formal=[f"{svc} on {host} is currently {state}. I have not restarted it; shall I?"],
                     plain=[f"{svc} on {host} is {state}. Want me to restart it?"])
    restarted, now = yield from restart_and_check(host, svc,
                                                  f"{svc} is {state} on {host} and the user asked to restart it if down.")
    if now == "active":
        yield done(c, f"restarted {svc} on {host}; now active")
        return c.say(dry=[f"{svc} on {host} was {state}. Restarted it, and `systemctl is-active` now says `active`."],
                     formal=[f"{svc} on {host} had {state}. I restarted it and confirmed it is now active."],
                     plain=[f"{svc} on {host} was {state}; I restarted it and it's active now."])
    err = restarted.splitlines()[0]
    out3 = yield Turn([("remote_bash", {"host": host, "command": f"journalctl -u {svc} -n 5"})])
    assert out3 is not None
    yield done(c, f"restart of {svc} on {host} failed; service is {now}")
    tail = "\n".join(out3[0].splitlines()[-2:])
    return c.say(dry=[f"Tried. The restart failed (`{err}`) and {svc} is still `{now}`. Last journal lines:\n\n```\n{tail}\n```\n\n"
                      "This needs a human look at the config, not another restart."],
                 formal=[f"I attempted to restart {svc} on {host}, but it failed: `{err}`. It remains {now}. "
                         f"The journal ends with:\n\n```\n{tail}\n```"],
                 plain=[f"Restart of {svc} on {host} failed (`{err}`); it's {now}. Journal:\n\n```\n{tail}\n```"])


def s_disk_all(c: Ctx) -> Script:
    hosts = c.facts["hosts"]
    prefixes = sorted({re.sub(r"\d+$", "", h) for h in hosts})
    glob = c.rng.choice([*(p + "*" for p in prefixes), "*"])
    where = "every host" if glob == "*" else f"the {glob} hosts"
    c.user = c.rng.choice([f"Check disk space on {where}.", f"how full are the disks on {where}?",
                           f"Is any of {where} running out of disk?"])
    out = yield Turn([("remote_bash_all", {"host_glob": glob, "command": "df -h /"})])
    assert out is not None
    usage = {h: int(p) for h, p in re.findall(r"=== (\S+) ===\n.*\n\S+\s+\S+\s+\S+\s+\S+\s+(\d+)% /\n?", out[0])}
    offline = re.findall(r"=== (\S+) ===\nerror: agent", out[0])
    if not usage:
        raise Reject("no df output parsed")
    worst = max(usage, key=lambda h: usage[h])
    hot = [h for h in usage if usage[h] >= 85]
    rows = "\n".join(f"- {h}: {usage[h]}%" for h in sorted(usage, key=lambda h: -usage[h]))
    off = f"\n\nNot checked (offline): {', '.join(offline)}." if offline else ""
    yield done(c, f"checked / on {len(usage)} hosts; fullest {worst} at {usage[worst]}%")
    if hot:
        return c.say(dry=[f"{', '.join(hot)} {'is' if len(hot) == 1 else 'are'} getting tight (>= 85%). Root usage:\n{rows}{off}"],
                     formal=[f"Most hosts are comfortable, but {', '.join(hot)} {'is' if len(hot) == 1 else 'are'} at or above 85%. "
                             f"Usage of / per host:\n{rows}{off}"],
                     plain=[f"Watch {', '.join(hot)} (>= 85%). Usage of /:\n{rows}{off}"])
    return c.say(dry=[f"Nothing to panic about; fullest is {worst} at {usage[worst]}%.\n{rows}{off}"],
                 formal=[f"All is well: the fullest root filesystem is on {worst}, at {usage[worst]}%.\n{rows}{off}"],
                 plain=[f"All fine. Fullest: {worst} at {usage[worst]}%.\n{rows}{off}"])


def s_failed_units(c: Ctx) -> Script:
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": "systemctl --failed --no-legend"})],
                     content=None)
    assert out is not None
    found = re.findall(r"=== (\S+) ===\n((?:[^=].*\n?)*)", out[0])
    bad = []
    for host, body in found:
        for unit in re.findall(r"(\S+)\.service\s+loaded\s+failed", body):
            bad.append((host, unit))
    expected = [tuple(c.facts["failed"])] if c.facts["failed"] and c.facts["failed"][0] != c.facts["offline"] else []
    if sorted(bad) != sorted(expected):
        raise Reject(f"parsed failed units {bad}, sampler planted {expected}")
    yield done(c, f"{len(bad)} failed unit(s) across the fleet")
    if not bad:
        return c.say(dry=["No failed units anywhere. Enjoy it while it lasts."],
                     formal=["I checked every host: no failed systemd units."],
                     plain=["No failed units on any host."])
    host, unit = bad[0]
    return c.say(dry=[f"One casualty: `{unit}` on {host} is failed. Everything else is clean. Want me to restart it?"],
                 formal=[f"There is one failed unit in the fleet: `{unit}` on {host}. Shall I look into it?"],
                 plain=[f"`{unit}` has failed on {host}; all other hosts are clean."])


def s_list_role(c: Ctx) -> Script:
    role = c.rng.choice(sorted(set(c.facts["roles"].values())))
    hosts = [h for h, r in c.facts["roles"].items() if r == role]
    prefix = re.sub(r"\d+$", "", hosts[0])
    glob = prefix + "*"
    c.user = c.rng.choice([f"Which {glob} hosts are online?", f"list the {glob} agents", f"what {glob} machines do we have?"])
    out = yield Turn([("list_agents", {"pattern": glob})])
    assert out is not None
    rows = re.findall(r"^(\S+)\s+\S+\s+\S+\s+\S+\s+(online|offline)$", out[0], re.M)
    if not rows:
        raise Reject("no agents parsed")
    up = [h for h, s in rows if s == "online"]
    down = [h for h, s in rows if s == "offline"]
    yield done(c, f"{len(up)} of {len(rows)} {glob} agents online")
    extra = f" {', '.join(down)} {'is' if len(down) == 1 else 'are'} offline." if down else ""
    return c.say(dry=[f"{len(up)} of {len(rows)} online: {', '.join(up) or 'none'}.{extra}"],
                 formal=[f"Of the {len(rows)} host{'s' if len(rows) != 1 else ''} matching {glob}, {len(up)} "
                         f"{'is' if len(up) == 1 else 'are'} online: {', '.join(up) or 'none'}.{extra}"],
                 plain=[f"Online: {', '.join(up) or 'none'}.{extra}"])


def s_versions(c: Ctx) -> Script:
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    if len(online) < 2:
        raise Reject("fewer than two online hosts")
    a, b = sorted(c.rng.sample(online, 2))
    c.user = c.rng.choice([f"Are {a} and {b} running the same release?", f"compare app versions on {a} and {b}",
                           f"Which version is deployed on {a} vs {b}?"])
    out = yield Turn([("remote_bash", {"host": a, "command": "cat app/VERSION"}),
                      ("remote_bash", {"host": b, "command": "cat app/VERSION"})],
                     content=c.say(dry=["Both at once."], formal=["I shall read the version file on both hosts."],
                                   plain=["Checking both hosts."]))
    assert out is not None
    va, vb = out[0].strip(), out[1].strip()
    for v in (va, vb):
        need(re.fullmatch(r"\d+\.\d+\.\d+", v), "a version", v)
    yield done(c, f"{a}={va}, {b}={vb}")
    if va == vb:
        return c.say(dry=[f"Same release on both: {va}."], formal=[f"Both {a} and {b} run release {va}."],
                     plain=[f"Both run {va}."])
    return c.say(dry=[f"They differ: {a} runs {va}, {b} runs {vb}. Someone's deploy didn't finish."],
                 formal=[f"They differ: {a} has {va} while {b} has {vb}."],
                 plain=[f"{a}: {va}; {b}: {vb}. Not the same."])


def s_host_log(c: Ctx) -> Script:
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    host = c.rng.choice(online)
    svc = c.rng.choice(sorted(c.facts["services"][host]))
    n = c.rng.choice([3, 5])
    c.user = c.rng.choice([f"Show me the last {n} lines of the {svc} log on {host}.",
                           f"tail the {svc} log on {host}", f"What's {svc} on {host} been logging lately?"])
    out = yield Turn([("remote_bash", {"host": host, "command": f"tail -n {n} logs/{svc}.log"})])
    assert out is not None
    lines = out[0].splitlines()
    if not lines or lines[0].startswith(("tail:", "error:")):
        raise Reject("log tail failed")
    errors = [x for x in lines if re.search(r"error|FATAL|ERROR|failed", x)]
    yield done(c, f"showed {len(lines)} log lines from {svc} on {host}")
    verdict = (f"{len(errors)} of them look{'s' if len(errors) == 1 else ''} like trouble." if errors
               else "Nothing alarming in there.")
    return c.say(dry=[f"Last {len(lines)} lines of `logs/{svc}.log` on {host}:\n\n```\n{out[0]}\n```\n\n{verdict}"],
                 formal=[f"Here are the last {len(lines)} lines of the {svc} log on {host}:\n\n```\n{out[0]}\n```\n\n{verdict}"],
                 plain=[f"```\n{out[0]}\n```\n\n{verdict}"])


def s_unknown_host(c: Ctx) -> Script:
    hosts = c.facts["hosts"]
    base = c.rng.choice(hosts)
    prefix = re.sub(r"\d+$", "", base)
    ghost = f"{prefix}{c.rng.randint(len(hosts) + 3, 19):02d}"
    if ghost in hosts:
        raise Reject("ghost host exists")
    c.user = c.rng.choice([f"What's the uptime on {ghost}?", f"check load on {ghost}", f"how long has {ghost} been up?"])
    out = yield Turn([("remote_bash", {"host": ghost, "command": "uptime"})])
    assert out is not None
    if "no agent named" not in out[0]:
        raise Reject("expected an unknown-host error")
    out = yield Turn([("list_agents", {"pattern": prefix + "*"})])
    assert out is not None
    known = re.findall(rf"^({re.escape(prefix)}\d+)\s", out[0], re.M)
    if not known:
        raise Reject("no similar hosts listed")
    yield done(c, f"{ghost} does not exist; similar hosts: {', '.join(known)}")
    return c.say(dry=[f"There's no {ghost}. The {prefix}* hosts that exist are: {', '.join(known)}. Typo, or wishful thinking?"],
                 formal=[f"I could not find a host called {ghost}. The hosts matching {prefix}* are {', '.join(known)}. "
                         "Which one did you mean?"],
                 plain=[f"{ghost} isn't a registered agent. Did you mean one of: {', '.join(known)}?"])


def s_load_all(c: Ctx) -> Script:
    c.user = c.rng.choice(["Which host is the busiest right now?", "check the load average across the fleet",
                           "who's got the highest load?"])
    out = yield Turn([("think", {"thought": "Load average from uptime on every host, then compare the 1-minute values."})])
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": "uptime"})])
    assert out is not None
    loads = {h: float(x) for h, x in re.findall(r"=== (\S+) ===\n.*load average: ([\d.]+),", out[0])}
    if not loads:
        raise Reject("no load parsed")
    top = max(loads, key=lambda h: loads[h])
    yield done(c, f"busiest host {top} (load {loads[top]:.2f})")
    return c.say(dry=[f"{top}, with a 1-minute load of {loads[top]:.2f}. The rest are lazier."],
                 formal=[f"The busiest host is {top}, with a one-minute load average of {loads[top]:.2f}."],
                 plain=[f"{top} (1-min load {loads[top]:.2f})."])


def s_local_errors(c: Ctx) -> Script:
    out = yield Turn([("bash", {"command": "grep -c ' ERROR ' logs/app.log"})])
    assert out is not None
    n = first_int(out[0], "the error count")
    if n != c.facts["log_errors"]:
        raise Reject("error count disagrees with the sampler")
    yield done(c, f"{n} ERROR lines in logs/app.log")
    return c.say(dry=[f"{n} ERROR lines in `logs/app.log`."],
                 formal=[f"The local file `logs/app.log` contains {n} lines marked ERROR."],
                 plain=[f"{n} errors in logs/app.log."])


def s_fix_failed(c: Ctx) -> Script:
    c.user = c.rng.choice(["Something on the fleet is broken. Find it and fix it.",
                           "find any failed service and restart it", "Get every service back up, whatever is down."])
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": "systemctl --failed --no-legend"})])
    assert out is not None
    bad = []
    for host, body in re.findall(r"=== (\S+) ===\n((?:[^=].*\n?)*)", out[0]):
        bad += [(host, unit) for unit in re.findall(r"(\S+)\.service\s+loaded\s+failed", body)]
    if not bad:
        yield done(c, "no failed units found")
        return c.say(dry=["Nothing's failed. Whatever feels broken, systemd disagrees."],
                     formal=["I found no failed services on any connected host."],
                     plain=["No failed services anywhere."])
    host, unit = bad[0]
    _, state = yield from restart_and_check(
        host, unit, f"{unit} is failed on {host}; the user asked to fix whatever is down, so restart it.")
    yield done(c, f"{unit} on {host}: restart attempted, now {state}")
    if state == "active":
        return c.say(dry=[f"`{unit}` on {host} was the one. Restarted; it's active again."],
                     formal=[f"The failed service was `{unit}` on {host}. I restarted it and it is active once more."],
                     plain=[f"Restarted `{unit}` on {host}; it's active now."])
    return c.say(dry=[f"`{unit}` on {host} is failed and a restart doesn't fix it (still `{state}`). "
                      f"Needs a look at its config: `journalctl -u {unit}` is where I'd start."],
                 formal=[f"`{unit}` on {host} had failed; my restart did not succeed and it remains `{state}`. "
                         "Its configuration will need attention."],
                 plain=[f"`{unit}` on {host} won't restart (still `{state}`)."])


