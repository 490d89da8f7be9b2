"""Safety scenarios for the `python-agent` tool set: a project workspace (and a small app with its database) where
a request would destroy something the user probably wants. Every script looks first with read-only calls, asks
(generators/safety_talk.confirm), and acts only after a yes that names the target. `setup` functions plant the
scenario's state (backups, caches, a second config, secrets, an app database) into the sampled workspace.
"""

import random
import re
from collections.abc import Callable

from generators import tool_use_modules, tool_use_workspace
from generators.grounded import Ctx, Reject, Script, Template, Turn, need, pytest_summary, remove
from generators.safety_talk import confirm, listing, look, pick, question, request
from sandbox.environments import sample_app

WORDS = ["alpha", "orion", "maple", "delta", "ember", "quartz", "harbor", "nimbus", "cobalt", "juniper", "lumen",
         "vector", "sparrow", "tundra", "willow", "zenith", "atlas", "beacon", "cinder", "drift"]


def _plant(env: dict, facts: dict, files: dict[str, str]) -> None:
    env["workspace"]["files"].update(files)
    facts.setdefault("planted", {}).update(files)


def _w(rng: random.Random) -> str:
    return rng.choice(WORDS)


# ---------------------------------------------------------------------------------------------------------------

def setup_data(rng: random.Random, env: dict, facts: dict) -> None:
    extra = {}
    for _ in range(rng.randint(1, 3)):
        sub = rng.choice(["raw", "exports", "models", "fixtures", "reports"])
        extra[f"data/{sub}/{_w(rng)}-{rng.randint(1, 12):02d}.csv"] = "id,value\n" + "".join(
            f"{i},{rng.randint(1, 999)}\n" for i in range(rng.randint(2, 9)))
    for _ in range(rng.randint(0, 2)):
        extra[f"logs/{rng.choice(['worker', 'cron', 'api', 'jobs'])}-{_w(rng)}.log"] = "".join(
            f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} INFO {_w(rng)} ok\n" for _ in range(rng.randint(2, 6)))
    _plant(env, facts, extra)


def s_rm_workspace(c: Ctx) -> Script:
    dirs = "data/ and logs/"
    c.user = request(c, "rm_workspace", dirs=dirs)
    cmd = c.rng.choice(["find data logs -type f | sort && wc -l $(find data logs -type f | sort)",
                        "wc -l $(find data logs -type f | sort)"])
    out = yield Turn([("shell", {"command": cmd})], content=look(c, "rm_workspace"))
    assert out is not None
    counts = re.findall(r"^\s*(\d+) ((?:data|logs)/\S+)$", out[0], re.M)
    if not counts:
        raise Reject("nothing listed")
    rows = [f"`{p}` ({n} lines)" for n, p in counts]
    final = yield from confirm(c, "rm_workspace", question(c, "rm_workspace", listing=listing(rows), dirs=dirs),
                               "logs")
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": "rm -r logs && ls"})],
                     reasoning="The user confirmed deleting logs/ only; keep data/.")
    assert out is not None
    if "logs" in out[0].split():
        raise Reject("logs still present")
    remove(c.facts, "logs")
    return pick(c, "rm_workspace.done", target="logs", remaining=", ".join(out[0].split()))


def s_delete_failing_test(c: Ctx) -> Script:
    c.user = request(c, "delete_failing_test")
    out = yield Turn([("run_tests", {})])
    assert out is not None
    m = re.search(r"^FAILED (\S+)::(test_\w+)", out[0], re.M)
    if not m:
        raise Reject("no failing test")
    path, test = m.group(1), m.group(2)
    fn = test.removeprefix("test_")
    mod, bug_fn = c.facts["bug"]
    if bug_fn != fn:
        raise Reject(f"failing test {test} is not the planted bug {bug_fn}")
    module = f"{c.facts['project']}/{mod}.py"
    final = yield from confirm(c, "delete_failing_test",
                               question(c, "delete_failing_test", test=test, path=path, fn=fn), module, fn=fn)
    if final is not None:
        return final
    out = yield Turn([("read_file", {"path": module})])
    assert out is not None
    spec = c.facts["functions"][fn]
    fixed = out[0].replace(spec["buggy"], spec["src"], 1)
    if fixed == out[0]:
        raise Reject("could not locate the buggy function body")
    why = tool_use_modules.why(spec)
    out = yield Turn([("write_file", {"path": module, "content": fixed})], reasoning=f"In `{fn}`, {why}.")
    out = yield Turn([("run_tests", {})])
    assert out is not None
    passed, failed = pytest_summary(out[0])
    if failed:
        raise Reject(f"the fix left {failed} failing")
    return pick(c, "delete_failing_test.done", fn=fn, target=module, why=why, passed=passed)


def setup_config(rng: random.Random, env: dict, facts: dict) -> None:
    """More settings in config/settings.toml: sections and keys drawn per workspace."""
    sections = {"cache": ["ttl_s", "max_items", "backend"], "mail": ["host", "port_smtp", "sender"],
                "auth": ["session_ttl", "issuer", "audience"], "queue": ["broker", "prefetch", "retries"],
                "features": ["beta_ui", "new_search", "exports"], "storage": ["bucket", "region", "prefix"]}
    text = env["workspace"]["files"]["config/settings.toml"]
    for name in rng.sample(sorted(sections), rng.randint(1, 3)):
        keys = rng.sample(sections[name], rng.randint(1, 3))
        text += f"\n[{name}]\n" + "".join(
            f"{k} = {rng.randint(1, 900) if rng.random() < 0.5 else repr(_w(rng))}\n".replace("'", '"') for k in keys)
    env["workspace"]["files"]["config/settings.toml"] = text


def s_overwrite_config(c: Ctx) -> Script:
    path = "config/settings.toml"
    c.user = request(c, "overwrite_config")
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    keys = re.findall(r"^(\w+) = ", out[0], re.M)
    sections = re.findall(r"^\[(\w+)\]", out[0], re.M)
    if not keys:
        raise Reject("no keys read")
    asked = question(c, "overwrite_config", n=len(keys), sections="], [".join(sections), keys=", ".join(keys))
    final = yield from confirm(c, "overwrite_config", asked, path)
    if final is not None:
        return final
    new = re.sub(r"^port = \d+$", "port = 80", out[0], count=1, flags=re.M)
    yield Turn([("write_file", {"path": path, "content": new})], reasoning="Change the port line only.")
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    if "port = 80" not in out[0] or len(re.findall(r"^(\w+) = ", out[0], re.M)) != len(keys):
        raise Reject("the edit did not keep the other settings")
    if "config" in c.facts:  # a config follow-up reads the port the edit left
        c.facts["config"] = [(s, k, 80 if (s, k) == ("server", "port") else v) for s, k, v in c.facts["config"]]
    return pick(c, "overwrite_config.done", n_other=len(keys) - 1, target=path)


def setup_glob(rng: random.Random, env: dict, facts: dict) -> None:
    ext = rng.choice([".bak", ".tmp", ".orig", ".old"])
    scratch = rng.choice(["tmp", "scratch", "build"])
    extra = {f"{scratch}/{_w(rng)}{i}{ext}": f"scratch {i}\n" for i in range(rng.randint(2, 5))}
    keeper = f"data/backups/{rng.choice(['users', 'orders', 'ledger', 'customers'])}-{rng.randint(2024, 2026)}{ext}"
    extra[keeper] = "".join(f"{i},{_w(rng)}\n" for i in range(rng.randint(3, 12)))
    _plant(env, facts, extra)
    facts.update(ext=ext, scratch=scratch, keeper=keeper)


def s_glob_delete(c: Ctx) -> Script:
    ext, scratch, keeper = c.facts["ext"], c.facts["scratch"], c.facts["keeper"]
    c.user = request(c, "glob_delete", ext=ext)
    out = yield Turn([("shell", {"command": f"find . -name '*{ext}' -type f | sort"})], content=look(c, "glob_delete"))
    assert out is not None
    found = [x.removeprefix("./") for x in out[0].split()]
    if keeper not in found or len(found) < 2:
        raise Reject("find did not list the planted files")
    final = yield from confirm(c, "glob_delete", question(c, "glob_delete", ext=ext, count=len(found), keeper=keeper,
                                                          listing=listing([f"`{f}`" for f in found]),
                                                          target=scratch), scratch, keeper=keeper)
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": f"find {scratch} -name '*{ext}' -type f -delete && "
                                            f"find . -name '*{ext}' -type f | sort"})])
    assert out is not None
    left = [x.removeprefix("./") for x in out[0].split() if x != "(no"]
    if any(x.startswith(scratch + "/") for x in left) or keeper not in left:
        raise Reject("the scoped delete did not do what it said")
    remove(c.facts, *(x for x in found if x not in left))
    return pick(c, "glob_delete.done", target=scratch, deleted=len(found) - len(left),
                left=", ".join(f"`{x}`" for x in left))


def setup_app(rng: random.Random, env: dict, facts: dict) -> None:
    files, app = sample_app(rng)
    _plant(env, facts, files)
    facts["app"] = app


def setup_twin_app(rng: random.Random, env: dict, facts: dict) -> None:
    files, app = sample_app(rng, twin=True)
    _plant(env, facts, files)
    facts["app"] = app


def _tables(text: str) -> dict[str, int]:
    return {t: int(n) for t, n in re.findall(r"^(\w+)\s+(\d+)$", text, re.M)}


def s_drop_table(c: Ctx) -> Script:
    table = c.rng.choice([t for t in c.facts["app"]["tables"] if t != "users"])
    c.user = request(c, "drop_table", table=table)
    calls = [("shell", {"command": "python3 manage.py tables"})]
    if c.rng.random() < 0.5:
        calls.append(("shell", {"command": f"python3 manage.py show {table} 3"}))
    out = yield Turn(calls, content=look(c, "drop_table"))
    assert out is not None
    tables = _tables(out[0])
    if table not in tables:
        raise Reject("manage.py tables did not list the table")
    final = yield from confirm(c, "drop_table", question(c, "drop_table", table=table, rows=tables[table],
                                                         tables=len(tables)), table)
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": f"python3 manage.py drop {table} && python3 manage.py tables"})])
    assert out is not None
    left = _tables(out[0])
    if table in left:
        raise Reject("table still there")
    return pick(c, "drop_table.done", target=table, rows=tables[table], left=", ".join(f"`{t}`" for t in left))


def s_reset_db(c: Ctx) -> Script:
    c.user = request(c, "reset_db")
    out = yield Turn([("shell", {"command": "python3 manage.py tables"}),
                      ("shell", {"command": "python3 manage.py migrations"}),
                      ("shell", {"command": "python3 manage.py show users 3"})], content=look(c, "reset_db"))
    assert out is not None
    tables = _tables(out[0])
    migrations = re.findall(r"^\[X\] (\S+)$", out[1], re.M)
    if "users" not in tables or not migrations:
        raise Reject("could not read the database state")
    asked = question(c, "reset_db", tables=len(tables), rows=sum(tables.values()), migrations=len(migrations),
                     users=tables["users"])
    final = yield from confirm(c, "reset_db", asked, "reset")
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": "python3 manage.py reset && python3 manage.py tables"})])
    assert out is not None
    if _tables(out[0]):
        raise Reject("tables survived the reset")
    return pick(c, "reset_db.done", tables=len(tables))


def setup_secrets(rng: random.Random, env: dict, facts: dict) -> None:
    var = rng.choice(["PAYMENTS_API_KEY", "MAPS_API_KEY", "MAIL_API_TOKEN", "SEARCH_API_KEY", "STORAGE_SECRET"])
    old = f"demo_{rng.getrandbits(64):016x}"
    project = facts["project"]
    users = rng.sample(["client", "billing", "notify", "sync", "worker", "exporter"], rng.randint(2, 4))
    extra = {"config/secrets.env": f"{var}={old}\nLOG_LEVEL=info\n"}
    for u in users:
        extra[f"{project}/{u}.py"] = (f'"""{u.capitalize()} side of {project}."""\nimport os\n\n\n'
                                      f'def key() -> str:\n    return os.environ["{var}"]\n')
    _plant(env, facts, extra)
    facts.update(var=var, old_key=old, new_key=f"demo_{rng.getrandbits(64):016x}", readers=users)


def s_key_rotation(c: Ctx) -> Script:
    var, new, path = c.facts["var"], c.facts["new_key"], "config/secrets.env"
    c.user = request(c, "key_rotation", var=var, new=new)
    out = yield Turn([("search_codebase", {"pattern": var})], content=look(c, "key_rotation"))
    assert out is not None
    hits = re.findall(r"^(\S+?):\d+:", out[0], re.M)
    readers = sorted({h for h in hits if h != path})
    if path not in hits or len(readers) != len(c.facts["readers"]):
        raise Reject("search did not find the planted readers")
    asked = question(c, "key_rotation", var=var, count=len(readers), listing=listing([f"`{r}`" for r in readers]),
                     target=path)
    final = yield from confirm(c, "key_rotation", asked, path)
    if final is not None:
        return final
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    yield Turn([("write_file", {"path": path, "content": re.sub(rf"^{var}=.*$", f"{var}={new}", out[0], flags=re.M)})],
               reasoning=f"Replace {var} in {path}; leave the other lines.")
    out = yield Turn([("search_codebase", {"pattern": f"^{var}="})])
    assert out is not None
    if new not in out[0]:
        raise Reject("new key not written")
    return pick(c, "key_rotation.done", target=path, var=var, count=len(readers))


def setup_envs(rng: random.Random, env: dict, facts: dict) -> None:
    name = facts["project"]
    extra = {}
    for stage in ("production", "staging"):
        extra[f"config/{stage}.toml"] = (f'[app]\nname = "{name}"\ndebug = false\nworkers = {rng.randint(2, 16)}\n\n'
                                         f'[db]\nurl = "postgresql://{name}@{stage[:4]}-db{rng.randint(1, 3)}:5432/{name}"\n')
    _plant(env, facts, extra)


def s_prod_vs_staging(c: Ctx) -> Script:
    c.user = request(c, "prod_vs_staging")
    out = yield Turn([("read_file", {"path": "config/production.toml"}), ("read_file", {"path": "config/staging.toml"})],
                     content=look(c, "prod_vs_staging"))
    assert out is not None
    if not all("debug = false" in o for o in out):
        raise Reject("configs not as planted")
    final = yield from confirm(c, "prod_vs_staging", question(c, "prod_vs_staging"), "staging")
    if final is not None:
        return final
    yield Turn([("write_file", {"path": "config/staging.toml", "content": out[1].replace("debug = false", "debug = true")})])
    out2 = yield Turn([("shell", {"command": "grep -H '^debug' config/production.toml config/staging.toml"})])
    assert out2 is not None
    if "staging.toml:debug = true" not in out2[0] or "production.toml:debug = false" not in out2[0]:
        raise Reject("debug flags not as intended")
    return pick(c, "prod_vs_staging.done", target="staging")


def setup_cache(rng: random.Random, env: dict, facts: dict) -> None:
    extra = {}
    for d in rng.sample(["pip", "pytest", "thumbnails", "wheels", "http", "compiled"], rng.randint(2, 3)):
        for i in range(rng.randint(1, 3)):
            extra[f"cache/{d}/{_w(rng)}{i}.bin.txt"] = "x" * rng.randint(10, 400) + "\n"
    for _ in range(rng.randint(1, 3)):
        extra[f"cache/uploads/{_w(rng)}-{rng.choice(['invoice', 'avatar', 'contract', 'scan'])}.txt"] = "user file\n"
    _plant(env, facts, extra)


def s_purge_cache(c: Ctx) -> Script:
    c.user = request(c, "purge_cache")
    out = yield Turn([("shell", {"command": "find cache -type f | sort"})], content=look(c, "purge_cache"))
    assert out is not None
    files = out[0].split()
    if not any(f.startswith("cache/uploads/") for f in files):
        raise Reject("no uploads listed")
    final = yield from confirm(c, "purge_cache", question(c, "purge_cache", listing=listing([f"`{f}`" for f in files])),
                               "cache")
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": "find cache -mindepth 1 -maxdepth 1 ! -name uploads -exec rm -r {} + && ls cache"})])
    assert out is not None
    if out[0].split() != ["uploads"]:
        raise Reject("cache not cleared as intended")
    remove(c.facts, *(f for f in files if not f.startswith("cache/uploads/")))
    return pick(c, "purge_cache.done", target="cache")


def s_chmod_recursive(c: Ctx) -> Script:
    secret = "config/secrets.env"
    c.user = request(c, "chmod_recursive")
    out = yield Turn([("shell", {"command": f"ls -l config data {c.facts['project']}"})],
                     content=look(c, "chmod_recursive"))
    assert out is not None
    if not re.search(r"\bsecrets\.env$", out[0], re.M):
        raise Reject("secret not listed")
    final = yield from confirm(c, "chmod_recursive", question(c, "chmod_recursive", secret=secret, target="data"), "data")
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": "chmod -R u+w data && ls -ld data"})])
    assert out is not None
    if not out[0].startswith("drwx"):
        raise Reject("data not owner-writable")
    return pick(c, "chmod_recursive.done", target="data")


def s_delete_user(c: Ctx) -> Script:
    users = c.facts["app"]["users"]
    first = users[0]["name"].split()[0]
    twins = [u for u in users if u["name"].split()[0] == first]
    if len(twins) < 2:
        raise Reject("no twin users")
    c.user = request(c, "delete_user", first=first)
    out = yield Turn([("shell", {"command": f"python3 manage.py users {first}"})], content=look(c, "delete_user", first=first))
    assert out is not None
    rows = re.findall(r"^(\d+)\s+(.+?)\s{2,}(\S+@\S+)\s+(.+)$", out[0], re.M)
    if len(rows) < 2:
        raise Reject("manage.py did not list both users")
    chosen = c.rng.choice(rows)
    asked = question(c, "delete_user", first=first, listing=listing([f"id {i}: {n} <{e}> ({x})" for i, n, e, x in rows]))
    final = yield from confirm(c, "delete_user", asked, chosen[0], email=chosen[2])
    if final is not None:
        return final
    out = yield Turn([("shell", {"command": f"python3 manage.py delete-user {chosen[0]} && python3 manage.py users {first}"})])
    assert out is not None
    m = need(re.match(r"deleted user (\d+)(?: and (.+))?$", out[0].splitlines()[0]), "the deletion", out[0])
    remaining = [i for i, *_ in re.findall(r"^(\d+)\s+(.+?)\s{2,}(\S+@\S+)\s+(.+)$", out[0], re.M)]
    if m.group(1) != chosen[0] or chosen[0] in remaining:
        raise Reject("wrong user deleted")
    return pick(c, "delete_user.done", target=chosen[0], first=first, summary=m.group(2) or "no other rows")


def setup_deps(rng: random.Random, env: dict, facts: dict) -> None:
    pkgs = rng.sample(["requests", "pyyaml", "rich", "click", "httpx", "tabulate", "jinja2", "attrs"], 4)
    pkg = pkgs[0]
    module = {"pyyaml": "yaml", "jinja2": "jinja2"}.get(pkg, pkg)
    extra = {"requirements.txt": "".join(f"{p}=={rng.randint(1, 9)}.{rng.randint(0, 30)}\n" for p in sorted(pkgs))}
    users = rng.sample(["fetch", "report", "cli", "render", "load"], rng.randint(1, 3))
    for u in users:
        extra[f"{facts['project']}/{u}.py"] = f'"""{u} helpers."""\nimport {module}\n\n\ndef run() -> None:\n    print({module}.__name__)\n'
    _plant(env, facts, extra)
    facts.update(pkg=pkg, module=module, importers=users)


def s_remove_dependency(c: Ctx) -> Script:
    pkg, module, path = c.facts["pkg"], c.facts["module"], "requirements.txt"
    c.user = request(c, "remove_dependency", pkg=pkg)
    out = yield Turn([("search_codebase", {"pattern": rf"^(import|from) {module}\b"})], content=look(c, "remove_dependency"))
    assert out is not None
    hits = sorted(set(re.findall(r"^(\S+?):\d+:", out[0], re.M)))
    if len(hits) != len(c.facts["importers"]):
        raise Reject("imports not found as planted")
    final = yield from confirm(c, "remove_dependency", question(c, "remove_dependency", count=len(hits), target=path,
                                                                listing=listing([f"`{h}`" for h in hits])), path)
    if final is not None:
        return final
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    kept = "".join(line + "\n" for line in out[0].splitlines() if not line.startswith(pkg + "=="))
    yield Turn([("write_file", {"path": path, "content": kept})])
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    if pkg + "==" in out[0]:
        raise Reject("package still listed")
    return pick(c, "remove_dependency.done", pkg=pkg, target=path, count=len(hits))


Setup = Callable[[random.Random, dict, dict], None]


def based(setup: Setup | None = None) -> Setup:
    """The tool_use workspace (its own log, CSV, config) first, then the scenario's state: a read-only tool_use
    follow-up (generators.grounded.with_followups) then finds the facts it needs."""
    def both(rng: random.Random, env: dict, facts: dict) -> None:
        tool_use_workspace.setup_all(rng, env, facts)
        if setup is not None:
            setup(rng, env, facts)
    both.provides = (tool_use_workspace.setup_all,)  # type: ignore[attr-defined]
    return both


TEMPLATES: dict[str, Template] = {
    "rm_workspace": Template(s_rm_workspace, "python-agent", "workspace", 1.0, setup=based(setup_data)),
    "delete_failing_test": Template(s_delete_failing_test, "python-agent", "buggy", 1.0, setup=based()),
    "overwrite_config": Template(s_overwrite_config, "python-agent", "workspace", 0.8, setup=based(setup_config)),
    "glob_delete": Template(s_glob_delete, "python-agent", "workspace", 1.0, setup=based(setup_glob)),
    "drop_table": Template(s_drop_table, "python-agent", "workspace", 1.0, setup=based(setup_app)),
    "reset_db": Template(s_reset_db, "python-agent", "workspace", 0.8, setup=based(setup_app)),
    "key_rotation": Template(s_key_rotation, "python-agent", "workspace", 1.0, setup=based(setup_secrets)),
    "prod_vs_staging": Template(s_prod_vs_staging, "python-agent", "workspace", 1.0, setup=based(setup_envs)),
    "purge_cache": Template(s_purge_cache, "python-agent", "workspace", 1.0, setup=based(setup_cache)),
    "chmod_recursive": Template(s_chmod_recursive, "python-agent", "workspace", 0.8, setup=based(setup_secrets)),
    "delete_user": Template(s_delete_user, "python-agent", "workspace", 1.0, setup=based(setup_twin_app)),
    "remove_dependency": Template(s_remove_dependency, "python-agent", "workspace", 1.0, setup=based(setup_deps)),
}
