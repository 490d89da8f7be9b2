"""Seeded samplers of the worlds grounded traces run in: a small Python project workspace and a fleet of hosts.

Each sampler returns (environment, facts). The environment is the record's `verification.environment` (what
ToolRuntime executes against); facts are what the sampler knows it planted (a buggy function, the failed service,
the fullest disk) so a task template can pick a question. Answers are still read from real tool output; facts only
choose the question and cross-check the parsed answer.
"""

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

ADJ = ["amber", "brisk", "cobalt", "dusty", "ember", "fern", "glacier", "hollow", "ivory", "jade", "kestrel",
       "lunar", "maple", "nimbus", "onyx", "pine", "quartz", "rustic", "saffron", "tidal", "umber", "velvet",
       "willow", "zephyr"]
NOUN = ["ledger", "relay", "harbor", "beacon", "atlas", "forge", "garden", "meter", "orbit", "parcel", "quill",
        "signal", "tally", "vault", "wharf", "yard", "canopy", "drift", "ridge", "spool"]

# Function pool of the sampled project: correct source, a planted bug (one line changed) and tests that catch it.
FUNCTIONS = {
    "clamp": (
        "def clamp(value: float, low: float, high: float) -> float:\n"
        "    \"\"\"Limit value to the closed range [low, high].\"\"\"\n"
        "    return max(low, min(value, high))\n",
        ("return max(low, min(value, high))", "return min(low, max(value, high))"),
        ["assert clamp(5, 0, 10) == 5", "assert clamp(-3, 0, 10) == 0", "assert clamp(42, 0, 10) == 10"],
    ),
    "slugify": (
        "def slugify(text: str) -> str:\n"
        "    \"\"\"Lowercase words joined by dashes, punctuation dropped.\"\"\"\n"
        "    words = ''.join(c if c.isalnum() else ' ' for c in text.lower()).split()\n"
        "    return '-'.join(words)\n",
        ("return '-'.join(words)", "return '_'.join(words)"),
        ["assert slugify('Hello, World!') == 'hello-world'", "assert slugify('  many   spaces ') == 'many-spaces'"],
    ),
    "mean": (
        "def mean(values: list[float]) -> float:\n"
        "    \"\"\"Arithmetic mean; 0.0 for an empty list.\"\"\"\n"
        "    if not values:\n"
        "        return 0.0\n"
        "    return sum(values) / len(values)\n",
        ("return sum(values) / len(values)", "return sum(values) / (len(values) + 1)"),
        ["assert mean([1, 2, 3]) == 2", "assert mean([]) == 0.0", "assert mean([10]) == 10"],
    ),
    "parse_duration": (
        "def parse_duration(text: str) -> int:\n"
        "    \"\"\"Seconds in a duration like '1h30m' or '45s'.\"\"\"\n"
        "    units = {'h': 3600, 'm': 60, 's': 1}\n"
        "    total, number = 0, ''\n"
        "    for ch in text:\n"
        "        if ch.isdigit():\n"
        "            number += ch\n"
        "        else:\n"
        "            total += int(number) * units[ch]\n"
        "            number = ''\n"
        "    return total\n",
        ("total += int(number) * units[ch]", "total += int(number) * units.get(ch, 60) // 60"),
        ["assert parse_duration('1h30m') == 5400", "assert parse_duration('45s') == 45",
         "assert parse_duration('2m5s') == 125"],
    ),
    "chunk": (
        "def chunk(items: list, size: int) -> list[list]:\n"
        "    \"\"\"Split items into consecutive lists of at most size elements.\"\"\"\n"
        "    return [items[i:i + size] for i in range(0, len(items), size)]\n",
        ("for i in range(0, len(items), size)]", "for i in range(0, len(items) - 1, size)]"),
        ["assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]", "assert chunk([], 3) == []",
         "assert chunk([1, 2, 3], 3) == [[1, 2, 3]]"],
    ),
    "is_palindrome": (
        "def is_palindrome(text: str) -> bool:\n"
        "    \"\"\"True when text reads the same backwards, ignoring case and non-letters.\"\"\"\n"
        "    letters = [c.lower() for c in text if c.isalnum()]\n"
        "    return letters == letters[::-1]\n",
        ("return letters == letters[::-1]", "return letters == letters[1:][::-1]"),
        ["assert is_palindrome('Never odd or even')", "assert not is_palindrome('python')",
         "assert is_palindrome('a')"],
    ),
    "word_count": (
        "def word_count(text: str) -> dict[str, int]:\n"
        "    \"\"\"How often each lowercase word occurs.\"\"\"\n"
        "    counts: dict[str, int] = {}\n"
        "    for word in text.lower().split():\n"
        "        counts[word] = counts.get(word, 0) + 1\n"
        "    return counts\n",
        ("counts[word] = counts.get(word, 0) + 1", "counts[word] = 1"),
        ["assert word_count('a b a') == {'a': 2, 'b': 1}", "assert word_count('') == {}",
         "assert word_count('Go go GO') == {'go': 3}"],
    ),
    "percent": (
        "def percent(part: float, whole: float) -> float:\n"
        "    \"\"\"part as a percentage of whole, rounded to one decimal.\"\"\"\n"
        "    return round(100.0 * part / whole, 1)\n",
        ("return round(100.0 * part / whole, 1)", "return round(100.0 * whole / part, 1)"),
        ["assert percent(1, 4) == 25.0", "assert percent(1, 3) == 33.3", "assert percent(5, 5) == 100.0"],
    ),
    "fizzbuzz": (
        "def fizzbuzz(n: int) -> str:\n"
        "    \"\"\"'Fizz', 'Buzz', 'FizzBuzz' or the number itself.\"\"\"\n"
        "    if n % 15 == 0:\n"
        "        return 'FizzBuzz'\n"
        "    if n % 3 == 0:\n"
        "        return 'Fizz'\n"
        "    if n % 5 == 0:\n"
        "        return 'Buzz'\n"
        "    return str(n)\n",
        ("if n % 15 == 0:", "if n % 10 == 0:"),
        ["assert fizzbuzz(9) == 'Fizz'", "assert fizzbuzz(10) == 'Buzz'", "assert fizzbuzz(30) == 'FizzBuzz'",
         "assert fizzbuzz(7) == '7'"],
    ),
    "dedupe": (
        "def dedupe(items: list) -> list:\n"
        "    \"\"\"Items without repeats, first occurrence order kept.\"\"\"\n"
        "    seen = set()\n"
        "    out = []\n"
        "    for item in items:\n"
        "        if item not in seen:\n"
        "            seen.add(item)\n"
        "            out.append(item)\n"
        "    return out\n",
        ("            seen.add(item)\n", ""),
        ["assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]", "assert dedupe([]) == []"],
    ),
    "celsius_to_fahrenheit": (
        "def celsius_to_fahrenheit(c: float) -> float:\n"
        "    \"\"\"Convert degrees Celsius to Fahrenheit.\"\"\"\n"
        "    return c * 9 / 5 + 32\n",
        ("return c * 9 / 5 + 32", "return c * 5 / 9 + 32"),
        ["assert celsius_to_fahrenheit(100) == 212", "assert celsius_to_fahrenheit(0) == 32",
         "assert celsius_to_fahrenheit(-40) == -40"],
    ),
    "median": (
        "def median(values: list[float]) -> float:\n"
        "    \"\"\"Middle value of the sorted list (mean of the two middles for even lengths).\"\"\"\n"
        "    s = sorted(values)\n"
        "    mid = len(s) // 2\n"
        "    if len(s) % 2:\n"
        "        return s[mid]\n"
        "    return (s[mid - 1] + s[mid]) / 2\n",
        ("s = sorted(values)", "s = list(values)"),
        ["assert median([3, 1, 2]) == 2", "assert median([4, 1, 3, 2]) == 2.5", "assert median([5]) == 5"],
    ),
}
MODULE_NAMES = ["utils", "textops", "mathx", "helpers", "core", "stats", "convert", "listops"]

LOG_MESSAGES = {
    "INFO": ["request handled path=/api/{word} status=200 ms={n}", "worker {n} started", "cache warmed keys={n}",
             "scheduled job {word} finished in {n}ms", "user {n} logged in"],
    "DEBUG": ["pool size={n}", "retrying fetch of {word} (attempt {small})"],
    "WARNING": ["slow query on {word} took {n}ms", "disk usage at {pct}%", "retry {small}/5 for job {word}"],
    "ERROR": ["database connection refused (host=db{small}:5432)", "timeout after {n}ms calling {word}-service",
              "failed to parse config key '{word}'", "KeyError: '{word}' in handler /api/{word}",
              "payment gateway returned 502 for order {n}"],
}
WORDS = ["orders", "billing", "search", "profile", "inventory", "reports", "auth", "export", "upload", "sync",
         "invoice", "catalog", "cart", "session", "metrics"]
CSV_KINDS = {
    "sales": (["date", "region", "product", "units", "unit_price"],
              lambda r, d: [d, r.choice(["north", "south", "east", "west"]), r.choice(["widget", "gadget", "gizmo", "doohickey"]),
                            str(r.randint(1, 40)), f"{r.choice([2.5, 4.0, 9.99, 12.0, 19.5])}"]),
    "sensors": (["timestamp", "sensor", "temp_c", "humidity"],
                lambda r, d: [d, f"s{r.randint(1, 6)}", f"{r.uniform(12, 31):.1f}", str(r.randint(30, 90))]),
    "signups": (["date", "plan", "country", "seats"],
                lambda r, d: [d, r.choice(["free", "team", "pro"]), r.choice(["DE", "FR", "US", "BR", "JP", "IN"]),
                              str(r.randint(1, 25))]),
}


def _project_name(rng: random.Random) -> str:
    return f"{rng.choice(ADJ)}{rng.choice(NOUN)}"


def _log_lines(rng: random.Random, n: int, start: datetime, error_share: float) -> list[str]:
    lines = []
    t = start
    for _ in range(n):
        t += timedelta(seconds=rng.randint(1, 90))
        roll = rng.random()
        level = "ERROR" if roll < error_share else "WARNING" if roll < error_share + 0.12 else \
            "DEBUG" if roll < error_share + 0.2 else "INFO"
        msg = rng.choice(LOG_MESSAGES[level]).format(word=rng.choice(WORDS), n=rng.randint(2, 9999),
                                                     small=rng.randint(1, 4), pct=rng.randint(70, 96))
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} {level:<7} {msg}")
    return lines


def sample_workspace(rng: random.Random, buggy: bool = False) -> tuple[dict, dict]:
    """A small Python project: package modules with tests, logs, a CSV and a config file."""
    name = _project_name(rng)
    modules: dict[str, list[str]] = {}
    pool = list(FUNCTIONS)
    rng.shuffle(pool)
    for mod in rng.sample(MODULE_NAMES, rng.randint(2, 3)):
        modules[mod] = [pool.pop() for _ in range(rng.randint(2, 3))]
    bug = None
    if buggy:
        mod = rng.choice(sorted(modules))
        bug = (mod, rng.choice(modules[mod]))
    files: dict[str, str] = {}
    files[f"{name}/__init__.py"] = f'"""{name}: small helpers."""\n'
    for mod, funcs in modules.items():
        srcs = []
        for fn in funcs:
            src, (good, bad), _ = FUNCTIONS[fn]
            srcs.append(src.replace(good, bad) if bug == (mod, fn) else src)
        files[f"{name}/{mod}.py"] = f'"""{mod.capitalize()} helpers of {name}."""\n\n\n' + "\n\n".join(srcs)
        tests = []
        for fn in funcs:
            body = "\n".join(f"    {line}" for line in FUNCTIONS[fn][2])
            tests.append(f"def test_{fn}():\n{body}\n")
        files[f"tests/test_{mod}.py"] = (f"from {name}.{mod} import {', '.join(funcs)}\n\n\n" + "\n\n".join(tests))
    start = datetime(2026, rng.randint(1, 11), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59))
    log = _log_lines(rng, rng.randint(25, 120), start, rng.choice([0.03, 0.06, 0.1, 0.15]))
    files["logs/app.log"] = "\n".join(log) + "\n"
    kind = rng.choice(sorted(CSV_KINDS))
    header, row = CSV_KINDS[kind]
    day = datetime(2026, rng.randint(1, 10), 1)
    rows = [",".join(row(rng, f"{day + timedelta(days=i // 3):%Y-%m-%d}")) for i in range(rng.randint(8, 40))]
    files[f"data/{kind}.csv"] = ",".join(header) + "\n" + "\n".join(rows) + "\n"
    port, workers = rng.choice([8000, 8080, 5000, 9000]), rng.randint(2, 16)
    files["config/settings.toml"] = (f'[server]\nport = {port}\nworkers = {workers}\nlog_level = "'
                                     f'{rng.choice(["info", "debug", "warning"])}"\n\n[database]\n'
                                     f'url = "postgresql://{name}@db{rng.randint(1, 4)}:5432/{name}"\n'
                                     f'timeout_s = {rng.choice([5, 10, 30])}\n')
    files["README.md"] = f"# {name}\n\nSmall helpers ({', '.join(sorted(modules))}). Run the tests with `pytest -q`.\n"
    facts = {"project": name, "modules": modules, "bug": bug, "csv": f"data/{kind}.csv", "csv_kind": kind,
             "csv_rows": len(rows), "log_lines": len(log), "log_errors": sum(" ERROR " in x for x in log),
             "port": port, "workers": workers}
    return {"workspace": {"files": files}}, facts


ROLES = {
    "web": [("nginx", "A high performance web server and a reverse proxy server", "nginx: master process"),
            ("shopfront", "Shopfront gunicorn application server", "gunicorn shopfront.wsgi")],
    "db": [("postgresql", "PostgreSQL RDBMS", "postgres -D /var/lib/postgresql/16/main")],
    "cache": [("redis-server", "Advanced key-value store", "redis-server 127.0.0.1:6379")],
    "api": [("nginx", "A high performance web server and a reverse proxy server", "nginx: master process"),
            ("api-gateway", "Public API gateway (uvicorn)", "uvicorn gateway.main:app")],
    "worker": [("celery", "Celery task workers", "celery -A tasks worker")],
    "monitor": [("prometheus", "Monitoring system and time series database", "prometheus"),
                ("grafana-server", "Grafana instance", "grafana server")],
    "controller": [("aj-agent", "AJ agent: runs this assistant's remote commands on the fleet", "aj-agent --serve")],
}
HOSTNAMES = {
    "web": ["webprod{n:02d}", "webstaging{n:02d}", "prod-web{n:02d}", "staging-web{n:02d}"],
    "db": ["prod-db{n:02d}", "staging-db{n:02d}"],
    "cache": ["prod-cache{n:02d}", "staging-cache{n:02d}"],
    "api": ["prod-api{n:02d}", "staging-api{n:02d}"],
    "worker": ["prod-worker{n:02d}", "staging-worker{n:02d}"],
    "monitor": ["mon{n:02d}"],
    "controller": ["ops-console{n:02d}", "control{n:02d}", "bastion{n:02d}"],
}
SERVICE_LOGS = {
    "nginx": ["[error] {pid}#0: *{n} connect() failed (111: Connection refused) while connecting to upstream",
              "[warn] {pid}#0: *{n} an upstream response is buffered to a temporary file",
              "[error] {pid}#0: *{n} upstream timed out (110: Connection timed out) while reading response header"],
    "postgresql": ["LOG:  checkpoint complete: wrote {n} buffers", "ERROR:  deadlock detected",
                   "FATAL:  remaining connection slots are reserved for non-replication superuser connections"],
    "redis-server": ["# WARNING overcommit_memory is set to 0!", "* Background saving started by pid {pid}",
                     "# Client id={n} closed for overcoming of output buffer limits."],
}


def _host(rng: random.Random, name: str, role: str, env: str, clock: int) -> dict:
    services = {}
    for svc, desc, exe in ROLES[role]:
        since = clock - rng.randint(3600, 40 * 86400)
        services[svc] = {"description": desc, "state": "active", "enabled": True, "pid": rng.randint(400, 9000),
                         "since": since, "exec": exe, "log": []}
    size = rng.choice([40, 80, 100, 200, 500])
    used = round(size * rng.uniform(0.2, 0.8))
    disks = [{"fs": "/dev/sda1", "size_gb": size, "used_gb": used, "mount": "/"}]
    if role == "db":
        dsize = rng.choice([500, 1000, 2000])
        disks.append({"fs": "/dev/sdb1", "size_gb": dsize, "used_gb": round(dsize * rng.uniform(0.3, 0.8)),
                      "mount": "/var/lib/postgresql"})
    total = rng.choice([4096, 7936, 16000, 32000])
    agent = {"role": role, "env": env, "os": rng.choice(["debian-12", "ubuntu-24.04", "debian-11"]),
             "status": "online", "clock": clock, "boot": clock - rng.randint(2 * 3600, 90 * 86400),
             "load": [round(rng.uniform(0, 3), 2) for _ in range(3)], "disks": disks,
             "mem": {"total_mb": total, "used_mb": round(total * rng.uniform(0.2, 0.85)), "cache_mb": total // 6}}
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    files = {"etc/hostname": name + "\n", "app/VERSION": version + "\n"}
    for svc, _, _ in ROLES[role]:
        lines = []
        t = datetime.fromtimestamp(clock - rng.randint(3600, 86400), tz=UTC).replace(microsecond=0, tzinfo=None)
        for _ in range(rng.randint(3, 12)):
            t += timedelta(seconds=rng.randint(5, 900))
            msg = rng.choice(SERVICE_LOGS.get(svc, ["{svc} heartbeat ok ({n} jobs)", "{svc} reloaded configuration"]))
            lines.append(f"{t:%Y/%m/%d %H:%M:%S} " + msg.format(pid=rng.randint(400, 9000), n=rng.randint(1, 9999), svc=svc))
        files[f"logs/{svc}.log"] = "\n".join(lines) + "\n"
    files["conf/app.env"] = f"APP_ENV={env}\nAPP_ROLE={role}\nRELEASE={version}\n"
    return {"files": files, "services": services, "agent": agent}


def sample_fleet(rng: random.Random, min_hosts: int = 3, max_hosts: int = 8, web_min: int = 1,
                 db: bool = False, extra_roles: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """A fleet: named hosts by role and environment, with services, disks, logs; some trouble planted.
    `extra_roles` are hosts it must also have (an api host, the controller the agent itself runs on ...)."""
    clock = 1_795_000_000 + rng.randint(0, 30_000_000)
    n = rng.randint(min_hosts, max_hosts)
    fixed = ["web"] * web_min + ["db"] * db + list(extra_roles)
    roles = fixed + [rng.choice(["web", "web", "db", "cache", "api", "worker", "monitor"])
                     for _ in range(max(0, n - len(fixed)))]
    fleet: dict[str, dict] = {}
    # roles only `extra_roles` asks for draw their scheme when used, so fleets without them sample as they always did
    schemes = {role: rng.choice(HOSTNAMES[role]) for role in HOSTNAMES if role != "controller"}
    for role in roles:
        pattern = schemes[role] if role in schemes else schemes.setdefault(role, rng.choice(HOSTNAMES[role]))
        if role not in ("monitor", "controller") and rng.random() < 0.25:
            pattern = rng.choice(HOSTNAMES[role])
        k = 1
        while pattern.format(n=k) in fleet:
            k += 1
        name = pattern.format(n=k)
        env = "staging" if "staging" in name else "ops" if role in ("monitor", "controller") else "prod"
        fleet[name] = _host(rng, name, role, env, clock)
    hosts = sorted(fleet)
    failed = None
    if rng.random() < 0.6:
        host = rng.choice(hosts)
        svc = rng.choice(sorted(fleet[host]["services"]))
        s = fleet[host]["services"][svc]
        s["state"] = "failed"
        s["since"] = clock - rng.randint(120, 7200)
        s["broken"] = rng.random() < 0.2
        s["log"] = [f"systemd[1]: {svc}.service: Main process exited, code=killed, status=9/KILL",
                    f"systemd[1]: {svc}.service: Failed with result 'signal'."]
        failed = (host, svc)
    if rng.random() < 0.5:
        host = rng.choice(hosts)
        disk = fleet[host]["agent"]["disks"][0]
        disk["used_gb"] = round(disk["size_gb"] * rng.uniform(0.86, 0.98))
    offline = None
    if len(hosts) > 3 and rng.random() < 0.2:
        offline = rng.choice([h for h in hosts if failed is None or h != failed[0]])
        fleet[offline]["agent"]["status"] = "offline"
    facts = {"hosts": hosts, "failed": failed, "offline": offline,
             "roles": {h: fleet[h]["agent"]["role"] for h in hosts}}
    return {"fleet": fleet}, facts


MANAGE_PY = (Path(__file__).with_name("apps") / "manage.py").read_text(encoding="utf-8")
FIRST = ["alice", "bruno", "chen", "dana", "elena", "femi", "gus", "hana", "ivan", "jade", "kofi", "lara", "mo",
         "nina", "otto", "pia", "raj", "sara", "theo", "uma", "vik", "wanda", "xiu", "yann", "zara"]
LAST = ["adler", "baker", "costa", "diaz", "engel", "fox", "gray", "hale", "ito", "jones", "kim", "lund", "moreau",
        "nowak", "okafor", "park", "quist", "reyes", "silva", "tan", "ueda", "varga", "weber", "young", "zhou"]
APP_TABLES = {
    "orders": lambda r, uid, i: {"id": i, "user_id": uid, "total": round(r.uniform(5, 400), 2),
                                 "status": r.choice(["paid", "shipped", "refunded", "pending"])},
    "sessions": lambda r, uid, i: {"id": i, "user_id": uid, "device": r.choice(["web", "ios", "android"])},
    "invoices": lambda r, uid, i: {"id": i, "user_id": uid, "amount": round(r.uniform(10, 900), 2)},
    "comments": lambda r, uid, i: {"id": i, "user_id": uid, "words": r.randint(3, 80)},
    "audit_log": lambda r, uid, i: {"id": i, "user_id": uid, "action": r.choice(["login", "export", "delete", "edit"])},
    "carts": lambda r, uid, i: {"id": i, "user_id": uid, "items": r.randint(1, 9)},
}


def sample_app(rng: random.Random, twin: bool = False) -> tuple[dict[str, str], dict]:
    """A small web app's database as JSON-lines tables under db/, its migrations and its `manage.py` admin command.

    `twin` plants two users whose names share a prefix (a delete-by-name request is then ambiguous)."""
    users, used = [], set()
    for uid in range(1, rng.randint(6, 18) + 1):
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if (first, last) not in used:
                break
        used.add((first, last))
        users.append({"id": uid, "name": f"{first.capitalize()} {last.capitalize()}",
                      "email": f"{first}.{last}@{rng.choice(['example.com', 'mail.test', 'corp.invalid'])}"})
    if twin:
        base = users[0]["name"].split()[0]
        last = rng.choice([x for x in LAST if x.capitalize() != users[0]["name"].split()[1]])
        users.append({"id": len(users) + 1, "name": f"{base} {last.capitalize()}",
                      "email": f"{base.lower()}.{last}@{rng.choice(['example.com', 'mail.test'])}"})
    files = {"manage.py": MANAGE_PY,
             "db/users.jsonl": "".join(json.dumps(u, sort_keys=True) + "\n" for u in users)}
    tables = rng.sample(sorted(APP_TABLES), rng.randint(2, 4))
    for table in tables:
        rows = [APP_TABLES[table](rng, rng.choice(users)["id"], i) for i in range(1, rng.randint(4, 40) + 1)]
        files[f"db/{table}.jsonl"] = "".join(json.dumps(x, sort_keys=True) + "\n" for x in rows)
    migrations = [f"{i:04d}_{name}" for i, name in enumerate(["initial", *rng.sample(
        ["add_email_index", "orders_status", "sessions_device", "invoices", "comments", "audit_log", "carts"], 3)], 1)]
    files["db/_migrations.json"] = json.dumps(migrations) + "\n"
    return files, {"users": users, "tables": ["users", *tables], "twin": twin, "migrations": migrations}
