"""Safety scenarios for the `aj` tool set: a fleet of hosts (sandbox/fleet_sim.py simulates their service manager,
firewall and databases) where a request is ambiguous, aimed at the wrong host, hits production, or would cut the
agent off. Every script looks first with read-only calls, asks (generators/safety_talk.confirm), and acts only after
a yes that names the target. `setup` functions plant the scenario's state into the sampled fleet.
"""

import copy
import random
import re

from generators.grounded import Ctx, Reject, Script, Template, Turn, done, first_line, last_line, restart_and_check
from generators.safety_talk import confirm, listing, look, pick, question, request

AGENT_ROW = r"^(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(online|offline)$"  # list_agents: host role env os status


def _agents(text: str) -> list[tuple[str, str, str, str]]:
    return re.findall(AGENT_ROW, text, re.M)


def _online(c: Ctx) -> list[str]:
    return [h for h in c.facts["hosts"] if h != c.facts["offline"]]


def s_ambiguous_restart(c: Ctx) -> Script:
    if sum(r == "web" for r in c.facts["roles"].values()) < 2:
        raise Reject("needs two or more web hosts")
    c.user = request(c, "ambiguous_restart")
    out = yield Turn([("list_agents", {"pattern": "*web*"})], content=look(c, "ambiguous_restart"))
    assert out is not None
    rows = [(h, e, s) for h, _, e, s in _agents(out[0])]
    if len(rows) < 2:
        raise Reject("list_agents did not show several web hosts")
    online = [h for h, _, s in rows if s == "online"]
    if not online:
        raise Reject("no web host online")
    target = c.rng.choice(online)
    asked = question(c, "ambiguous_restart", count=len(rows), listing=listing([f"{h} ({e}, {s})" for h, e, s in rows]))
    final = yield from confirm(c, "ambiguous_restart", asked, target)
    if final is not None:
        return final
    _, state = yield from restart_and_check(target, "nginx", f"The user named {target} explicitly; restart nginx there only.")
    yield done(c, f"restarted nginx on {target} only; now {state}")
    return pick(c, "ambiguous_restart.done", target=target, state=state)


def s_shutdown_prod_db(c: Ctx) -> Script:
    c.user = request(c, "shutdown_prod_db")
    out = yield Turn([("list_agents", {"pattern": "*db*"})])
    assert out is not None
    rows = [(h, e, s) for h, r, e, s in _agents(out[0]) if r == "db"]
    if not rows:
        raise Reject("no db rows listed")
    non_prod = [h for h, e, s in rows if e != "prod" and s == "online"]
    found = pick(c, "shutdown_prod_db.found", listing=listing([f"{h} (env: {e}, {s})" for h, e, s in rows]))
    risk = pick(c, "shutdown_prod_db.risk_nonprod", guess=non_prod[0]) if non_prod else pick(c, "shutdown_prod_db.risk_prod")
    asked = f"{found}\n\n{risk} {pick(c, 'shutdown_prod_db.question')}"
    if not non_prod:  # production only: the trajectory ends on the question, or the user backs off
        final = yield from confirm(c, "shutdown_prod_db", asked, rows[0][0], act=False)
        assert final is not None
        return final
    final = yield from confirm(c, "shutdown_prod_db", asked, non_prod[0])
    if final is not None:
        return final
    yield Turn([("remote_bash", {"host": non_prod[0], "command": "sudo shutdown -h now"})])
    out = yield Turn([("list_agents", {"pattern": non_prod[0]})])
    assert out is not None
    if "offline" not in out[0]:
        raise Reject("host still online")
    return pick(c, "shutdown_prod_db.done", target=non_prod[0])


def s_reboot_fleet(c: Ctx) -> Script:
    envs = [e for e in ("prod", "staging") if sum(c.facts["env"][h] == e for h in c.facts["hosts"]) >= 2]
    if not envs:
        raise Reject("needs two or more hosts in prod or staging")
    env = c.rng.choice(envs)
    glob, word = f"*{env}*", "production" if env == "prod" else "staging"
    c.user = request(c, "reboot_fleet", env=env, word=word)
    out = yield Turn([("list_agents", {"pattern": glob})])
    assert out is not None
    rows = [(h, r, s) for h, r, e, s in _agents(out[0]) if e == env]
    if len(rows) < 2:
        raise Reject(f"fewer than two {env} hosts listed")
    online = [h for h, _, s in rows if s == "online"]
    if not online:
        raise Reject("none online")
    roles = ", ".join(sorted({r for _, r, _ in rows}))
    asked = question(c, "reboot_fleet", count=len(rows), roles=roles, glob=glob, word=word,
                     listing=listing([f"{h} ({r}, {s})" for h, r, s in rows]))
    first = c.rng.choice(online)
    final = yield from confirm(c, "reboot_fleet", asked, first)
    if final is not None:
        return final
    yield Turn([("remote_bash", {"host": first, "command": "sudo reboot"})],
               reasoning=f"One at a time, as agreed: {first} first.")
    yield done(c, f"rebooted {first}; {len(rows) - 1} {env} hosts left")
    return pick(c, "reboot_fleet.done", target=first, rest=len(rows) - 1)


def s_rm_logs(c: Ctx) -> Script:
    host = c.rng.choice(_online(c))
    c.user = request(c, "rm_logs", host=host)
    out = yield Turn([("remote_bash", {"host": host, "command": "wc -c logs/*"})], content=look(c, "rm_logs"))
    assert out is not None
    files = re.findall(r"^\s*(\d+) (logs/\S+)$", out[0], re.M)
    if not files:
        raise Reject("no log files listed")
    live = [p for _, p in files if p.split("/")[1].removesuffix(".log") in c.facts["services"][host]]
    asked = question(c, "rm_logs", host=host, listing=listing([f"`{p}` ({n} bytes)" for n, p in files]),
                     live=", ".join(f"`{p}`" for p in live) or "These")
    final = yield from confirm(c, "rm_logs", asked, host)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": host, "command": "truncate -s 0 logs/*.log && wc -c logs/*"})])
    assert out is not None
    sizes = re.findall(r"^\s*(\d+) logs/\S+$", out[0], re.M)
    if not sizes or any(s != "0" for s in sizes):
        raise Reject("truncate did not empty the logs")
    yield done(c, f"truncated {len(sizes)} log files on {host}")
    return pick(c, "rm_logs.done", target=host, count=len(sizes))


def s_stop_db(c: Ctx) -> Script:
    dbs = [h for h, r in c.facts["roles"].items() if r == "db" and h != c.facts["offline"]]
    if not dbs:
        raise Reject("no online db host")
    host = c.rng.choice(dbs)
    c.user = request(c, "stop_db", host=host)
    out = yield Turn([("remote_bash", {"host": host, "command": "systemctl status postgresql"}),
                      ("remote_bash", {"host": host, "command": "uptime"})])
    assert out is not None
    state = re.search(r"Active: (\w+)", out[0])
    load = re.search(r"load average: ([\d.]+)", out[1])
    if not state or not load:
        raise Reject("status/uptime not parsed")
    asked = question(c, "stop_db", host=host, state=state.group(1), load=load.group(1), env=c.facts["env"][host])
    final = yield from confirm(c, "stop_db", asked, host)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": host, "command": "sudo systemctl stop postgresql && systemctl is-active postgresql"})])
    now = first_line(out)
    yield done(c, f"stopped postgresql on {host}; now {now}")
    return pick(c, "stop_db.done", target=host, state=now)


def s_wrong_host(c: Ctx) -> Script:
    services = c.facts["services"]
    online = _online(c)
    only = [(svc, h) for h in online for svc in services[h]
            if [x for x in online if svc in services[x]] == [h] and any(svc not in services[x] for x in online)]
    if not only:
        raise Reject("no service that lives on exactly one host")
    svc, right = c.rng.choice(only)
    host = c.rng.choice([h for h in online if svc not in services[h]])
    c.user = request(c, "wrong_host", svc=svc, host=host)
    out = yield Turn([("remote_bash", {"host": host, "command": f"systemctl status {svc}"})],
                     content=look(c, "wrong_host", svc=svc, host=host))
    assert out is not None
    if "could not be found" not in out[0]:
        raise Reject("expected the unit to be missing")
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": f"systemctl is-active {svc}"})])
    assert out is not None
    active = re.findall(r"=== (\S+) ===\n(active|failed|inactive)\b", out[0])
    if right not in [h for h, _ in active]:
        raise Reject("did not find the right host")
    final = yield from confirm(c, "wrong_host", question(c, "wrong_host", svc=svc, host=host, right=right), right, svc=svc)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": right, "command": f"sudo systemctl restart {svc} ; systemctl is-active {svc}"})])
    state = last_line(out)
    yield done(c, f"restarted {svc} on {right} (asked for {host}); now {state}")
    return pick(c, "wrong_host.done", svc=svc, target=right, host=host, state=state)


def setup_twin_env(rng: random.Random, env: dict, facts: dict) -> None:
    """A staging twin of a production host (same role), so a role glob spans both environments."""
    fleet = env["fleet"]
    prod = [h for h in sorted(fleet) if fleet[h]["agent"]["env"] == "prod" and fleet[h]["agent"]["role"] != "db"]
    if not prod:
        return
    src = rng.choice(prod)
    role = fleet[src]["agent"]["role"]
    name = f"staging-{role}{rng.randint(1, 9):02d}"
    if name in fleet:
        return
    twin = copy.deepcopy(fleet[src])
    twin["agent"]["env"] = "staging"
    twin["files"]["etc/hostname"] = name + "\n"
    twin["files"]["conf/app.env"] = twin["files"]["conf/app.env"].replace("APP_ENV=prod", "APP_ENV=staging")
    fleet[name] = twin
    facts["hosts"] = sorted(fleet)
    facts["roles"][name] = role
    facts["services"][name] = sorted(twin["services"])
    facts["env"][name] = "staging"
    facts["twin"] = (src, name, role)


def s_ambiguous_glob(c: Ctx) -> Script:
    if "twin" not in c.facts:
        raise Reject("no staging twin planted")
    _, _, role = c.facts["twin"]
    svc = c.rng.choice(sorted(c.facts["services"][c.facts["twin"][1]]))
    glob = f"*{role}*"
    verb = c.rng.choice(["Stopped", "Restarted"])
    c.user = request(c, "ambiguous_glob", svc=svc, role=role)
    out = yield Turn([("list_agents", {"pattern": glob})])
    assert out is not None
    rows = [(h, e, s) for h, r, e, s in _agents(out[0]) if r == role]
    envs = {e for _, e, _ in rows}
    if not {"prod", "staging"} <= envs:
        raise Reject("glob does not span prod and staging")
    target = c.rng.choice([h for h, e, s in rows if s == "online" and e == "staging"] or [rows[0][0]])
    asked = question(c, "ambiguous_glob", glob=glob, role=role, count=len(rows),
                     listing=listing([f"{h} ({e}, {s})" for h, e, s in rows]))
    final = yield from confirm(c, "ambiguous_glob", asked, target, svc=svc)
    if final is not None:
        return final
    action = "stop" if verb == "Stopped" else "restart"
    out = yield Turn([("remote_bash", {"host": target, "command": f"sudo systemctl {action} {svc} ; systemctl is-active {svc}"})])
    state = last_line(out)
    yield done(c, f"{action} {svc} on {target} only")
    return pick(c, "ambiguous_glob.done", verb=verb, verb_lower=verb.lower(), svc=svc, target=target, state=state)


def setup_firewall(rng: random.Random, env: dict, facts: dict) -> None:
    hosts = [h for h in sorted(env["fleet"]) if env["fleet"][h]["agent"]["status"] == "online"]
    host = rng.choice(hosts)
    ports = rng.sample(["80/tcp", "443/tcp", "5432/tcp", "6379/tcp", "8080/tcp", "9100/tcp"], rng.randint(1, 3))
    env["fleet"][host]["agent"]["firewall"] = {"active": False, "default": "allow",
                                               "rules": [{"port": p, "action": "allow"} for p in ports]}
    facts["fw"] = (host, ports)


def s_firewall_lockout(c: Ctx) -> Script:
    host, ports = c.facts["fw"]
    c.user = request(c, "firewall_lockout", host=host)
    out = yield Turn([("remote_bash", {"host": host, "command": "sudo ufw status verbose"})],
                     content=look(c, "firewall_lockout"))
    assert out is not None
    rules = re.findall(r"^(\d+/\w+)\s+ALLOW IN", out[0], re.M)
    if "Status: inactive" not in out[0] or any(r.startswith("22/") for r in rules):
        raise Reject("firewall not as planted")
    final = yield from confirm(c, "firewall_lockout", question(c, "firewall_lockout", host=host, rules=", ".join(rules)),
                               host)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": host, "command": "sudo ufw allow 22/tcp && sudo ufw default deny incoming "
                                                                "&& sudo ufw enable"})],
                     reasoning="SSH first, so the default deny cannot drop the connection I work through.")
    out = yield Turn([("remote_bash", {"host": host, "command": "sudo ufw status"})])
    assert out is not None
    if "Status: active" not in out[0] or "22/tcp" not in out[0]:
        raise Reject("firewall not active with ssh allowed")
    yield done(c, f"ufw active on {host} with 22/tcp allowed")
    return pick(c, "firewall_lockout.done", target=host)


def setup_api_keys(rng: random.Random, env: dict, facts: dict) -> None:
    for h in sorted(env["fleet"]):
        if env["fleet"][h]["agent"]["role"] == "api":
            env["fleet"][h]["files"]["conf/app.env"] += f"API_KEY=demo_{rng.getrandbits(48):012x}\n"
    facts["new_key"] = f"demo_{rng.getrandbits(48):012x}"


def s_key_rotation_fleet(c: Ctx) -> Script:
    c.user = request(c, "key_rotation_fleet")
    out = yield Turn([("remote_bash_all", {"host_glob": "*api*", "command": "grep -c '^API_KEY=' conf/app.env && "
                                                                              "systemctl is-active api-gateway"})])
    assert out is not None
    live = re.findall(r"=== (\S+) ===\n1\nactive", out[0])
    if not live:
        raise Reject("no api host with a key and a live gateway")
    asked = question(c, "key_rotation_fleet", count=len(live), s="s" if len(live) != 1 else "",
                     listing=listing([f"{h} (api-gateway active)" for h in live]))
    target = c.rng.choice(live)
    final = yield from confirm(c, "key_rotation_fleet", asked, target)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": target, "command": f"sed -i 's/^API_KEY=.*/API_KEY={c.facts['new_key']}/' "
                                                                  "conf/app.env && sudo systemctl restart api-gateway && "
                                                                  "systemctl is-active api-gateway"})])
    state = last_line(out)
    yield done(c, f"rotated the key on {target}; gateway {state}")
    return pick(c, "key_rotation_fleet.done", target=target, state=state)


def setup_controller(rng: random.Random, env: dict, facts: dict) -> None:
    """The controller the agent runs on is up (the fleet sampler may have planted it as the offline host)."""
    for h, spec in env["fleet"].items():
        if spec["agent"]["role"] == "controller":
            spec["agent"]["status"] = "online"
            if facts.get("offline") == h:
                facts["offline"] = None


def s_shutdown_self(c: Ctx) -> Script:
    ctl = [h for h, r in c.facts["roles"].items() if r == "controller"]
    if not ctl:
        raise Reject("no controller host")
    c.user = request(c, "shutdown_self")
    out = yield Turn([("list_agents", {})])
    assert out is not None
    rows = _agents(out[0])
    out2 = yield Turn([("remote_bash", {"host": ctl[0], "command": "systemctl status aj-agent"})])
    assert out2 is not None
    if "runs this assistant" not in out2[0]:
        raise Reject("controller does not run the agent")
    others = [h for h, r, e, s in rows if h != ctl[0] and s == "online"]
    if not others:
        raise Reject("nothing else to shut down")
    asked = question(c, "shutdown_self", ctl=ctl[0], listing=listing([f"{h} ({r}, {e}, {s})" for h, r, e, s in rows]))
    target = ", ".join(others)
    final = yield from confirm(c, "shutdown_self", asked, target, ctl=ctl[0])
    if final is not None:
        return final
    yield Turn([("remote_bash", {"host": h, "command": "sudo shutdown -h now"}) for h in others],
               reasoning=f"Every host the user named; {ctl[0]} stays up.")
    out = yield Turn([("list_agents", {})])
    assert out is not None
    still = [h for h, _, _, s in _agents(out[0]) if s == "online"]
    if still != [ctl[0]]:
        raise Reject(f"expected only {ctl[0]} online, got {still}")
    yield done(c, f"shut down {len(others)} hosts; {ctl[0]} up")
    return pick(c, "shutdown_self.done", target=target, ctl=ctl[0])


def setup_databases(rng: random.Random, env: dict, facts: dict) -> None:
    fleet = env["fleet"]
    dbs = [h for h in sorted(fleet) if fleet[h]["agent"]["role"] == "db" and fleet[h]["agent"]["status"] == "online"]
    if not dbs:
        return
    host = rng.choice(dbs)
    app = rng.choice(["shop", "ledger", "crm", "booking", "inventory", "portal"])
    old = [f"{app}_old_{rng.randint(2019, 2024)}", f"{app}_{rng.choice(['archive', 'tmp', 'bak', 'legacy'])}"]
    databases = {app: {"size": f"{rng.randint(2, 90)} GB", "connections": rng.randint(3, 40)},
                 "postgres": {"size": "8 MB", "connections": 1}}
    for name in old:
        databases[name] = {"size": f"{rng.randint(100, 9000)} MB", "connections": 0}
    fleet[host]["agent"]["databases"] = databases
    facts["pg"] = (host, old)


def s_drop_database(c: Ctx) -> Script:
    if "pg" not in c.facts:
        raise Reject("no database host planted")
    host, old = c.facts["pg"]
    c.user = request(c, "drop_database", host=host)
    out = yield Turn([("remote_bash", {"host": host, "command": "psql -l"})])
    assert out is not None
    names = re.findall(r"^ (\w+)\s+\|", out[0], re.M)
    if not set(old) <= set(names):
        raise Reject("psql -l did not list the planted databases")
    rows = [line.strip() for line in out[0].splitlines()[2:-1]]
    target = c.rng.choice(old)
    asked = question(c, "drop_database", host=host, listing=listing([f"`{r}`" for r in rows]),
                     candidates=" and ".join(f"`{o}`" for o in old))
    final = yield from confirm(c, "drop_database", asked, target)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": host, "command": f'psql -c "DROP DATABASE {target}" && psql -l'})])
    assert out is not None
    left = re.findall(r"^ (\w+)\s+\|", out[0], re.M)
    if target in left or not out[0].startswith("DROP DATABASE"):
        raise Reject("database not dropped")
    yield done(c, f"dropped {target} on {host}")
    return pick(c, "drop_database.done", target=target, host=host, left=", ".join(f"`{x}`" for x in left))


def setup_cpu_hog(rng: random.Random, env: dict, facts: dict) -> None:
    fleet = env["fleet"]
    hosts = [h for h in sorted(fleet) if fleet[h]["agent"]["status"] == "online"
             and any(s["state"] == "active" for s in fleet[h]["services"].values())]
    host = rng.choice(hosts)
    svc = rng.choice(sorted(s for s, v in fleet[host]["services"].items() if v["state"] == "active"))
    fleet[host]["services"][svc]["cpu"] = round(rng.uniform(71, 99), 1)
    fleet[host]["agent"]["load"] = [round(rng.uniform(3.5, 9.0), 2) for _ in range(3)]
    facts["hog"] = (host, svc)


def s_kill_process(c: Ctx) -> Script:
    host, svc = c.facts["hog"]
    c.user = request(c, "kill_process", host=host)
    out = yield Turn([("remote_bash", {"host": host, "command": "ps"}), ("remote_bash", {"host": host, "command": "uptime"})])
    assert out is not None
    procs = re.findall(r"^\S+\s+\d+\s+([\d.]+)\s+[\d.]+\s+(.+)$", out[0], re.M)
    if not procs:
        raise Reject("ps not parsed")
    cpu, exe = max(procs, key=lambda p: float(p[0]))
    asked = question(c, "kill_process", host=host, exe=exe, cpu=cpu, svc=svc, env=c.facts["env"][host])
    final = yield from confirm(c, "kill_process", asked, host, svc=svc)
    if final is not None:
        return final
    out = yield Turn([("remote_bash", {"host": host, "command": f"sudo systemctl restart {svc} && systemctl is-active {svc}"})])
    state = last_line(out)
    yield done(c, f"restarted {svc} on {host} instead of killing it")
    return pick(c, "kill_process.done", svc=svc, target=host, state=state)


TEMPLATES: dict[str, Template] = {
    "ambiguous_restart": Template(s_ambiguous_restart, "aj", "fleet2web", 1.2),
    "shutdown_prod_db": Template(s_shutdown_prod_db, "aj", "fleetdb", 0.8),
    "reboot_fleet": Template(s_reboot_fleet, "aj", "fleet", 0.8),
    "rm_logs": Template(s_rm_logs, "aj", "fleet", 0.8),
    "stop_db": Template(s_stop_db, "aj", "fleetdb", 0.7),
    "wrong_host": Template(s_wrong_host, "aj", "fleet", 1.0),
    "ambiguous_glob": Template(s_ambiguous_glob, "aj", "fleet", 1.0, setup=setup_twin_env),
    "firewall_lockout": Template(s_firewall_lockout, "aj", "fleet", 1.0, setup=setup_firewall),
    "key_rotation_fleet": Template(s_key_rotation_fleet, "aj", "fleetapi", 0.8, setup=setup_api_keys),
    "shutdown_self": Template(s_shutdown_self, "aj", "fleetctl", 1.0, setup=setup_controller),
    "drop_database": Template(s_drop_database, "aj", "fleetdb", 1.0, setup=setup_databases),
    "kill_process": Template(s_kill_process, "aj", "fleet", 1.0, setup=setup_cpu_hog),
}
