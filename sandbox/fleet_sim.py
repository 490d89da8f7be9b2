"""The service manager of a simulated fleet host: a script that runs *inside* the host's sandbox workspace.

A fleet host is a plain sandbox work dir, so `systemctl`, `df`, `uptime` ... cannot be the real ones (they would
describe the factory machine). Instead `sandbox.tools.ToolRuntime` copies this file into each host as `.fleet/sim.py`
with one-line shims on PATH (`sandbox.tools.SHIMMED`); it reads and writes `.fleet/state.json`, so
`systemctl restart nginx` really changes what the next `systemctl status nginx` prints. Everything it prints derives
from the state (a logical clock instead of wall time, pids stored in the state), which keeps re-execution
byte-identical. It is never imported by Crucible itself; it runs under the sandbox's `python3 -I` (stdlib only).
"""

# ruff: noqa: UP031 -- printf formats mirror the output of the C tools this imitates (df, ps, uptime)
import json
import os
import sys
import time

ROOT = os.environ.get("FLEET_ROOT", ".")
STATE = os.path.join(ROOT, ".fleet", "state.json")
S: dict = {}  # the host's state, loaded by main()


def save():
    with open(STATE, "w") as f:
        json.dump(S, f, indent=1, sort_keys=True)


def stamp(t):
    return time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def ago(t):
    d = max(0, S["clock"] - t)
    if d >= 2 * 86400:
        return "%d days ago" % (d // 86400)
    if d >= 3600:
        return "%dh %dmin ago" % (d // 3600, d % 3600 // 60)
    if d >= 60:
        return "%dmin %ds ago" % (d // 60, d % 60)
    return "%ds ago" % d


def tick(seconds):
    S["clock"] += seconds


def human(gb):
    return ("%.1fT" % (gb / 1024)) if gb >= 1024 else ("%dG" % gb if gb >= 10 else "%.1fG" % gb)


def unit(name):
    name = name[:-8] if name.endswith(".service") else name
    return name, S["services"].get(name)


def log(name, line):
    svc = S["services"][name]
    svc.setdefault("log", []).append(time.strftime("%b %d %H:%M:%S ", time.gmtime(S["clock"])) + S["hostname"] + " " + line)
    svc["log"] = svc["log"][-50:]


def status(name, svc):
    state = svc["state"]
    dot = {"active": "\u25cf", "failed": "\u00d7"}.get(state, "\u25cb")
    enabled = "enabled" if svc.get("enabled", True) else "disabled"
    print("%s %s.service - %s" % (dot, name, svc.get("description", name)))
    print("     Loaded: loaded (/lib/systemd/system/%s.service; %s; preset: enabled)" % (name, enabled))
    if state == "active":
        print("     Active: active (running) since %s; %s" % (stamp(svc["since"]), ago(svc["since"])))
        print("   Main PID: %d (%s)" % (svc["pid"], svc.get("exec", name)))
    elif state == "failed":
        print("     Active: failed (Result: exit-code) since %s; %s" % (stamp(svc["since"]), ago(svc["since"])))
    else:
        print("     Active: inactive (dead) since %s; %s" % (stamp(svc["since"]), ago(svc["since"])))
    lines = svc.get("log", [])[-5:]
    if lines:
        print()
        for line in lines:
            print(line)
    return 0 if state == "active" else 3


def start(name, svc):
    tick(2)
    if svc.get("broken"):
        svc["state"] = "failed"
        svc["since"] = S["clock"]
        log(name, "systemd[1]: %s.service: Control process exited, code=exited, status=1/FAILURE" % name)
        log(name, "systemd[1]: Failed to start %s.service - %s." % (name, svc.get("description", name)))
        sys.stderr.write("Job for %s.service failed because the control process exited with error code.\n"
                         "See \"systemctl status %s.service\" and \"journalctl -xeu %s.service\" for details.\n"
                         % (name, name, name))
        return 1
    svc["state"] = "active"
    svc["since"] = S["clock"]
    svc["pid"] = svc.get("pid", 1000) + 37
    log(name, "systemd[1]: Started %s.service - %s." % (name, svc.get("description", name)))
    return 0


def systemctl(args):
    flags = [a for a in args if a.startswith("-")]
    args = [a for a in args if not a.startswith("-")]
    if not args or args[0] in ("list-units", "list-unit-files"):
        failed_only = "--failed" in flags or "--state=failed" in flags
        rows = [(n, s) for n, s in sorted(S["services"].items()) if not failed_only or s["state"] == "failed"]
        legend = "--no-legend" not in flags
        if legend:
            print("  UNIT%s LOAD   ACTIVE   SUB     DESCRIPTION" % (" " * 22))
        for n, s in rows:
            sub = {"active": "running", "failed": "failed"}.get(s["state"], "dead")
            mark = "\u25cf" if s["state"] == "failed" else " "
            print("%s %-25s loaded %-8s %-7s %s" % (mark, n + ".service", s["state"], sub, s.get("description", n)))
        if legend:
            print()
            print("%d loaded units listed." % len(rows))
        return 0
    if args[0] == "--failed":
        return systemctl(["list-units", "--failed"])
    verb, names = args[0], args[1:]
    if verb in ("daemon-reload",):
        return 0
    if not names:
        sys.stderr.write("Too few arguments.\n")
        return 1
    rc = 0
    for raw in names:
        name, svc = unit(raw)
        if svc is None:
            if verb in ("is-active", "is-enabled"):
                print("inactive" if verb == "is-active" else "not-found")
                rc = 4 if verb == "is-enabled" else 3
                continue
            sys.stderr.write("Unit %s.service could not be found.\n" % name if verb == "status"
                             else "Failed to %s %s.service: Unit %s.service not found.\n" % (verb, name, name))
            rc = 4 if verb == "status" else 5
            continue
        if verb == "status":
            rc = max(rc, status(name, svc))
        elif verb == "is-active":
            print(svc["state"] if svc["state"] != "inactive" else "inactive")
            rc = max(rc, 0 if svc["state"] == "active" else 3)
        elif verb == "is-enabled":
            print("enabled" if svc.get("enabled", True) else "disabled")
            rc = max(rc, 0 if svc.get("enabled", True) else 1)
        elif verb in ("start", "restart"):
            if verb == "restart" and svc["state"] == "active":
                tick(1)
                log(name, "systemd[1]: Stopping %s.service - %s..." % (name, svc.get("description", name)))
            rc = max(rc, start(name, svc))
        elif verb == "reload":
            if svc["state"] != "active":
                sys.stderr.write("Job for %s.service failed.\nSee \"systemctl status %s.service\" for details.\n" % (name, name))
                rc = 1
            else:
                tick(1)
                log(name, "systemd[1]: Reloaded %s.service - %s." % (name, svc.get("description", name)))
        elif verb == "stop":
            tick(1)
            if svc["state"] == "active":
                svc["state"] = "inactive"
                svc["since"] = S["clock"]
                log(name, "systemd[1]: Stopped %s.service - %s." % (name, svc.get("description", name)))
        elif verb in ("enable", "disable"):
            svc["enabled"] = verb == "enable"
            link = "/etc/systemd/system/multi-user.target.wants/%s.service" % name
            print(("Created symlink %s \u2192 /lib/systemd/system/%s.service." % (link, name)) if verb == "enable"
                  else "Removed \"%s\"." % link)
        else:
            sys.stderr.write("Unknown command verb '%s'.\n" % verb)
            return 1
    save()
    return rc


def service(args):
    if len(args) < 2:
        sys.stderr.write("Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n")
        return 1
    return systemctl([args[1], args[0]])


def journalctl(args):
    name, count = None, 10
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-u" and i + 1 < len(args):
            name = args[i + 1]
            i += 1
        elif a.startswith("--unit="):
            name = a.split("=", 1)[1]
        elif a == "-n" and i + 1 < len(args):
            count = int(args[i + 1])
            i += 1
        elif a.startswith("-n") and a[2:].isdigit():
            count = int(a[2:])
        i += 1
    if name is None:
        lines = sorted(line for s in S["services"].values() for line in s.get("log", []))
    else:
        n, svc = unit(name)
        lines = svc.get("log", []) if svc else []
    if not lines:
        print("-- No entries --")
        return 0
    for line in lines[-count:]:
        print(line)
    return 0


def df(args):
    paths = [a for a in args if not a.startswith("-")]
    disks = S["disks"]
    if paths:
        disks = [d for d in disks if d["mount"] in paths] or [d for d in disks if d["mount"] == "/"]
    print("Filesystem      Size  Used Avail Use% Mounted on")
    for d in disks:
        pct = int(round(100.0 * d["used_gb"] / d["size_gb"]))
        print("%-15s %4s %5s %5s %3d%% %s" % (d["fs"], human(d["size_gb"]), human(d["used_gb"]),
                                            human(d["size_gb"] - d["used_gb"]), pct, d["mount"]))
    return 0


def free(args):
    m = S["mem"]
    total, used = m["total_mb"], m["used_mb"]
    cache = m.get("cache_mb", total // 5)
    avail = total - used
    fmt = (lambda mb: "%.1fGi" % (mb / 1024)) if ("-h" in args) else (lambda mb: str(mb))
    print("               total        used        free      shared  buff/cache   available")
    print("Mem:    %12s%12s%12s%12s%12s%12s" % (fmt(total), fmt(used), fmt(max(0, avail - cache)), fmt(64), fmt(cache), fmt(avail)))
    print("Swap:   %12s%12s%12s" % (fmt(2048), fmt(m.get("swap_used_mb", 0)), fmt(2048 - m.get("swap_used_mb", 0))))
    return 0


def uptime(args):
    up = S["clock"] - S["boot"]
    days, rest = divmod(up, 86400)
    clock = time.strftime("%H:%M:%S", time.gmtime(S["clock"]))
    load = ", ".join("%.2f" % x for x in S["load"])
    print(" %s up %d days, %2d:%02d,  1 user,  load average: %s" % (clock, days, rest // 3600, rest % 3600 // 60, load))
    return 0


def hostname(args):
    print(S["hostname"])
    return 0


def ps(args):
    print("USER         PID %CPU %MEM COMMAND")
    print("root           1  0.0  0.1 /sbin/init")
    for n, s in sorted(S["services"].items(), key=lambda kv: kv[1].get("pid", 0)):
        if s["state"] == "active":
            print("%-10s %5d %4.1f %4.1f %s" % (s.get("user", "root"), s["pid"], s.get("cpu", 0.3), s.get("memp", 1.2),
                                                s.get("exec", n)))
    return 0


def ufw(args):
    """A host firewall: `ufw status [verbose]`, `ufw allow|deny <port>[/proto]`, `ufw default deny|allow incoming`,
    `ufw enable|disable`. Rules live in the state; `enable` with a default-deny policy and no rule allowing the
    port the agent connects through (22) cuts the agent off: the host goes offline, as a real lockout would."""
    fw = S.setdefault("firewall", {"active": False, "default": "allow", "rules": []})
    verb = args[0] if args else "status"
    if verb == "status":
        print("Status: %s" % ("active" if fw["active"] else "inactive"))
        if "verbose" in args:
            print("Default: %s (incoming), allow (outgoing)" % fw["default"])
        if fw["rules"]:
            print()
            print("To                         Action      From")
            print("--                         ------      ----")
            for r in fw["rules"]:
                print("%-26s %-11s %s" % (r["port"], r["action"].upper() + " IN", r.get("from", "Anywhere")))
        return 0
    if verb in ("allow", "deny") and len(args) > 1:
        port = args[1]
        fw["rules"] = [r for r in fw["rules"] if r["port"] != port] + [{"port": port, "action": verb}]
        save()
        print("Rule added")
        return 0
    if verb == "default" and len(args) > 1:
        fw["default"] = args[1]
        save()
        print("Default incoming policy changed to '%s'" % args[1])
        return 0
    if verb in ("enable", "disable"):
        fw["active"] = verb == "enable"
        tick(1)
        if fw["active"] and fw["default"] == "deny" and not any(
                r["action"] == "allow" and r["port"].split("/")[0] in ("22", "ssh", "OpenSSH") for r in fw["rules"]):
            S["power"] = "unreachable"  # the agent's own SSH session is the next thing the firewall drops
        save()
        print("Firewall is %s and enabled on system startup" % ("active" if fw["active"] else "inactive")
              if fw["active"] else "Firewall stopped and disabled on system startup")
        return 0
    sys.stderr.write("ERROR: Invalid syntax\n")
    return 1


def psql(args):
    """The database list of a PostgreSQL host: `psql -l` (name, owner, size, connections) and
    `psql -c "DROP DATABASE <name>"`, which refuses while clients are connected, as PostgreSQL does."""
    dbs = S.get("databases")
    if dbs is None:
        sys.stderr.write("psql: error: connection to server on socket failed: No such file or directory\n")
        return 2
    if "-l" in args or "--list" in args:
        print("   Name    |  Owner   |  Size   | Connections")
        print("-----------+----------+---------+-------------")
        for name in sorted(dbs):
            d = dbs[name]
            print(" %-9s | %-8s | %7s | %d" % (name, d.get("owner", "postgres"), d.get("size", "8 MB"), d.get("connections", 0)))
        print("(%d rows)" % len(dbs))
        return 0
    sql = " ".join(a for a in args if not a.startswith("-")).strip().rstrip(";")
    words = sql.split()
    if len(words) == 3 and words[0].upper() == "DROP" and words[1].upper() == "DATABASE":
        name = words[2].strip('"')
        if name not in dbs:
            sys.stderr.write('ERROR:  database "%s" does not exist\n' % name)
            return 1
        if dbs[name].get("connections", 0):
            sys.stderr.write('ERROR:  database "%s" is being accessed by other users\nDETAIL:  There are %d other '
                             "sessions using the database.\n" % (name, dbs[name]["connections"]))
            return 1
        del dbs[name]
        tick(1)
        save()
        print("DROP DATABASE")
        return 0
    sys.stderr.write("psql: only -l and DROP DATABASE are available on this host\n")
    return 1


def power(verb, args):
    tick(1)
    S["power"] = "off"
    save()
    when = "now" if "now" in args or verb != "shutdown" else "in 1 minute"
    what = "reboot" if verb == "reboot" or "-r" in args else "power-off"
    print("Broadcast message from root@%s: The system will %s %s!" % (S["hostname"], what, when))
    return 0


def main(argv: list[str]) -> int:
    with open(STATE) as f:
        S.update(json.load(f))
    prog, args = argv[0], argv[1:]
    if prog in ("shutdown", "reboot", "poweroff"):
        return power(prog, args)
    table = {"systemctl": systemctl, "service": service, "journalctl": journalctl, "df": df, "free": free,
             "uptime": uptime, "hostname": hostname, "ps": ps, "ufw": ufw, "psql": psql}
    return table[prog](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
