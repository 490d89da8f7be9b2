"""The sandbox against real attacks: every test runs real code in the real bubblewrap sandbox and checks what
happened (no mocks). The e2b tests need E2B_API_KEY; its offline test only checks the requests we build."""

import json
import marshal
import os
import secrets
import shlex
import socket
import textwrap
import time
from pathlib import Path

import pytest

from sandbox import Job, Limits, SandboxError, SandboxUnavailable, get_sandbox
from sandbox._cgroup import RUN_PREFIX
from sandbox.local import LocalSandbox

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sb():
    return get_sandbox("local")


def py(sb, code: str, limits: Limits | None = None, **files):
    return sb.run({"main.py": textwrap.dedent(code), **files}, ["python3", "main.py"], limits or Limits())


def host_processes_with(marker: str) -> list[str]:
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmd:
                found.append(f"{p.name}: {cmd}")
    return found


# --- time, processes, memory, files -----------------------------------------------------------------------------

def test_infinite_loop_times_out(sb):
    res = py(sb, "while True: pass", Limits(wall_s=1))
    assert res.timed_out and res.exit_code is None and res.signal == 9, res
    assert res.wall_s < 6, res


def test_sleep_times_out_and_leaves_nothing(sb):
    res = sb.run({}, "sleep 1000.4242 & sleep 1000.4243", Limits(wall_s=1))
    assert res.timed_out, res
    assert host_processes_with("1000.424") == []


def test_kill_all_inside_does_not_break_the_report(sb):
    res = sb.run({}, "sleep 5 & kill -9 -1; echo after; exit 7")
    assert (res.exit_code, res.signal, res.stdout) == (7, None, "after\n"), res


def test_cpu_limit_kills_busy_process(sb):
    res = py(sb, "while True: pass", Limits(wall_s=20, cpu_s=1))
    assert not res.timed_out and res.signal in (24, 9), res  # SIGXCPU at the soft limit, SIGKILL at the hard one


def fork_loop(most: int, child_s: int) -> str:
    """A program that forks up to `most` children (each sleeps child_s seconds) and, when a fork is refused,
    prints how many it had made and why."""
    return textwrap.dedent(f"""
        import os, time
        n = 0
        try:
            while n < {most}:
                if os.fork() == 0:
                    time.sleep({child_s})
                    os._exit(0)
                n += 1
        except OSError as e:
            print(n, e.strerror)
    """)


def test_fork_loop_is_capped_at_nproc(sb):
    res = py(sb, fork_loop(5000, 60), Limits(wall_s=20, nproc=20))
    assert res.exit_code == 0 and res.stdout, res  # a fork was refused
    assert int(res.stdout.split()[0]) < 20, res.stdout


def test_fork_bomb_contained_and_killed(sb):
    # the bomb rages for 2 s next to a parent that never needs to fork again, then the run ends with the parent
    res = py(sb, """
        import subprocess, time
        subprocess.Popen(["/bin/sh", "-c", "echo forkbomb-7391 >/dev/null; b() { b | b & }; b"])
        time.sleep(2)
        print("survived")
    """, Limits(wall_s=10, nproc=32))
    assert "Cannot fork" in res.stderr and res.stdout == "survived\n" and not res.timed_out, res.notes
    assert host_processes_with("forkbomb-7391") == []
    assert get_sandbox("local").run({}, "echo alive").stdout == "alive\n"  # the host still forks fine


@pytest.mark.skipif(tuple(map(int, os.uname().release.split(".")[:2])) < (5, 14),
                    reason="RLIMIT_NPROC is counted per user namespace only since Linux 5.14")
def test_nproc_rlimit_alone_is_per_sandbox():
    # without the pids cgroup, RLIMIT_NPROC is the cap; since 5.14 each bwrap user namespace counts its own
    # processes, so parallel sandboxes (all uid 65534) do not eat into each other's limit
    sb = LocalSandbox(use_cgroups=False)
    jobs = [Job({"main.py": fork_loop(500, 2)}, ["python3", "main.py"], Limits(nproc=20, wall_s=20))] * 2
    counts = [int(r.stdout.split()[0]) for r in sb.run_many(jobs, workers=2)]
    assert counts[0] == counts[1] and 12 <= counts[0] < 20, counts


def test_8gib_allocation_fails(sb):
    res = py(sb, "x = bytearray(8 << 30)\nprint('allocated')")
    assert res.memory_exceeded and res.exit_code != 0 and "allocated" not in res.stdout, res


def test_slow_memory_growth_stopped(sb):
    res = py(sb, """
        import time
        chunks = []
        while True:
            chunks.append(bytearray(8 << 20))
            time.sleep(0.002)
    """, Limits(memory_mb=256, wall_s=30))
    assert res.memory_exceeded and not res.timed_out, res


def test_memory_spread_over_processes_hits_the_cgroup(sb):
    if sb.cgroups is None:
        pytest.skip(f"no cgroup on this machine: {sb.cgroup_note}")
    # each process stays under RLIMIT_AS (256 MiB); together they pass the sandbox's memory cap
    res = py(sb, """
        import os, time
        for _ in range(6):
            if os.fork() == 0:
                x = bytearray(200 << 20)
                time.sleep(1)
                os._exit(0)
        for _ in range(6):
            os.wait()
    """, Limits(memory_mb=256, wall_s=30))
    assert res.memory_exceeded and any("OOM killer" in n for n in res.notes), res


@pytest.mark.parametrize("target", ["/etc/crucible-x", "/usr/crucible-x", "/usr/bin/crucible-x", "SITE", "/crucible-x",
                                    "/dev/crucible-x", "/proc/sys/kernel/hostname"])
def test_writes_outside_the_work_dir_are_blocked(sb, target):
    res = py(sb, f"""
        import sysconfig
        target = {target!r}
        if target == "SITE":
            target = sysconfig.get_paths()["purelib"] + "/evil.pth"
        try:
            open(target, "w").write("x")
            print("WROTE", target)
        except OSError as e:
            print("blocked", e.strerror)
    """)
    assert res.exit_code == 0 and res.stdout.startswith("blocked"), res


def test_4gib_file_is_blocked(sb):
    res = py(sb, """
        import os
        written = 0
        try:
            with open("big.bin", "wb") as f:
                while written < (4 << 30):
                    written += f.write(b"\\0" * (1 << 20))
        except OSError as e:
            print("blocked", e.strerror)
        print(os.path.getsize("big.bin"))
    """, Limits(wall_s=30))
    assert "blocked" in res.stdout, res
    assert int(res.stdout.split()[-1]) <= 64 << 20, res.stdout
    # a sparse 4 GiB file would fit the tmpfs: RLIMIT_FSIZE is what stops it
    res = py(sb, """
        try:
            with open("sparse.bin", "wb") as f:
                f.seek(4 << 30)
                f.write(b"x")
        except OSError as e:
            print("blocked", e.errno, e.strerror)
    """)
    assert res.stdout.startswith("blocked 27 "), res  # EFBIG


def test_tmpfs_total_size_is_capped(sb):
    # many files each under RLIMIT_FSIZE still cannot fill more than tmpfs_mb
    res = py(sb, """
        n = 0
        try:
            while n < 100:
                open(f"f{n}", "wb").write(b"x" * (8 << 20))
                n += 1
        except OSError as e:
            print("blocked", n, e.strerror)
    """, Limits(tmpfs_mb=32, file_size_mb=16))
    assert "blocked" in res.stdout and int(res.stdout.split()[1]) <= 4, res


# --- what the sandbox can see -----------------------------------------------------------------------------------

def test_host_secrets_and_project_are_absent(sb):
    paths = ["/root", "/home", str(PROJECT), os.path.expanduser("~/.ssh"), "/etc/shadow", "/etc/gshadow",
             "/etc/ssh", "/work", str(PROJECT / ".venv")]
    res = py(sb, f"import json, os\nprint(json.dumps({{p: os.path.exists(p) for p in {paths!r}}}))")
    seen = json.loads(res.stdout)
    assert seen == {p: False for p in paths}, seen


def test_identity_no_privileges(sb):
    res = sb.run({}, "id -u; id -g; grep -E '^(NoNewPrivs|CapEff)' /proc/self/status")
    lines = res.stdout.split()
    assert lines[:2] == ["65534", "65534"], res
    assert "NoNewPrivs:" in lines and lines[lines.index("NoNewPrivs:") + 1] == "1", res
    assert lines[lines.index("CapEff:") + 1] == "0000000000000000", res


def test_canary_secret_never_visible(sb, monkeypatch):
    canary = "canary-" + secrets.token_hex(16)
    monkeypatch.setenv("CRUCIBLE_CANARY", canary)
    res = py(sb, """
        import glob, json, os
        print(json.dumps(dict(os.environ)))
        for f in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
            try:
                print(f, open(f, "rb").read())
            except OSError as e:
                print(f, "unreadable", e)
    """)
    assert "/proc/1/cmdline" in res.stdout and "/proc/1/environ" in res.stdout, res
    assert canary not in res.stdout and canary not in res.stderr
    env = json.loads(res.stdout.splitlines()[0])
    assert set(env) <= {"PATH", "HOME", "LANG", "LC_CTYPE", "PWD"}, env


def test_network_blocked(sb):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        res = py(sb, f"""
            import socket
            for host, port in [("127.0.0.1", {port}), ("1.1.1.1", 443), ("8.8.8.8", 53)]:
                try:
                    socket.create_connection((host, port), timeout=2).close()
                    print("CONNECTED", host)
                except OSError as e:
                    print("blocked", host, e)
            try:
                socket.getaddrinfo("pypi.org", 443)
                print("RESOLVED")
            except OSError as e:
                print("blocked dns", e)
        """)
        assert res.stdout.count("blocked") == 4 and "CONNECTED" not in res.stdout, res
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever reached the host's listener
    finally:
        listener.close()


def test_loopback_inside_works(sb):
    res = py(sb, """
        import socket, threading
        srv = socket.create_server(("localhost", 0))
        port = srv.getsockname()[1]
        threading.Thread(target=lambda: srv.accept()[0].sendall(b"pong"), daemon=True).start()
        print(socket.create_connection(("localhost", port), timeout=5).recv(4).decode())
    """)
    assert res.stdout == "pong\n", res


# --- output and status ------------------------------------------------------------------------------------------

def test_huge_output_truncated_at_cap(sb):
    res = py(sb, "import sys\nsys.stdout.write('x' * 50_000_000)\nsys.stderr.write('y' * 50_000_000)",
             Limits(stdout_bytes=1000, stderr_bytes=500, wall_s=30))
    assert res.output_truncated and res.stdout == "x" * 1000 and res.stderr == "y" * 500, res.notes
    assert not res.timed_out


def test_endless_output_does_not_hang(sb):
    res = sb.run({}, "yes flood", Limits(stdout_bytes=10_000, wall_s=20))
    assert res.output_truncated and len(res.stdout) == 10_000 and not res.timed_out, res.notes
    assert any("flood" in n for n in res.notes), res.notes


@pytest.mark.parametrize("code,exit_code,sig", [
    ("raise SystemExit(3)", 3, None),
    ("import ctypes; ctypes.string_at(0)", None, 11),
    ("import os; os.abort()", None, 6),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", None, 15),
    ("raise SystemExit(139)", 139, None),  # told apart from a real SIGSEGV
])
def test_exit_codes_and_signals(sb, code, exit_code, sig):
    res = py(sb, code)
    assert (res.exit_code, res.signal) == (exit_code, sig), res
    assert not res.timed_out and not res.memory_exceeded


def test_missing_command_reported(sb):
    res = sb.run({}, ["no-such-program"])
    assert res.exit_code == 127 and "no-such-program" in res.stderr, res


def test_unicode_and_invalid_utf8(sb):
    res = py(sb, "import sys\nprint('héllo ✓ 🐍')\nsys.stdout.flush()\nsys.stdout.buffer.write(b'bad:\\xff\\xfe\\n')"
                 "\nsys.stderr.buffer.write(b'\\xc3')")
    assert res.exit_code == 0 and res.stdout == "héllo ✓ 🐍\nbad:\ufffd\ufffd\n" and res.stderr == "\ufffd", res


def test_stdin_is_empty(sb):
    res = sb.run({}, ["cat"], Limits(wall_s=5))
    assert res.exit_code == 0 and res.stdout == "" and not res.timed_out, res


def test_no_process_survives(sb):
    res = py(sb, """
        import os, subprocess
        subprocess.Popen(["sleep", "1000.5151"])
        subprocess.Popen(["setsid", "sleep", "1000.5152"], start_new_session=True)
        if os.fork() == 0:  # a classic daemon: double fork, new session
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "1000.5153"])
            os._exit(0)
        print("spawned")
    """)
    assert res.exit_code == 0 and res.stdout == "spawned\n", res
    assert host_processes_with("1000.515") == []
    assert not any("not removed" in n for n in res.notes), res.notes  # rmdir succeeds only on an empty cgroup
    if sb.cgroups is not None:
        assert list(sb.cgroups.pids_base.glob(f"{RUN_PREFIX}{os.getpid()}-*")) == []


# --- files, pool, tools -----------------------------------------------------------------------------------------

def test_collect_returns_written_files(sb):
    res = sb.run({"in.txt": "given", "pkg/a.py": "x = 1"},
                 "mkdir -p out/deep && echo made > out/deep/r.txt && printf '\\377' > bin.dat && ln -s in.txt link",
                 collect=True)
    assert res.exit_code == 0, res
    assert res.files == {"in.txt": b"given", "pkg/a.py": b"x = 1", "out/deep/r.txt": b"made\n", "bin.dat": b"\xff"}
    assert any("link" in n and "not a regular file" in n for n in res.notes), res.notes
    assert sb.run({}, "true").files is None
    big = os.urandom(5 << 20)  # more than a pipe buffer each way
    res = sb.run({"big.bin": big}, "cp big.bin copy.bin", collect=True)
    assert res.files is not None and res.files["copy.bin"] == big and res.files["big.bin"] == big


def test_run_many_preserves_order_and_runs_in_parallel(sb):
    jobs = [Job({"main.py": f"import time\nt = time.time()\ntime.sleep(1.5)\nprint({i}, t, time.time())"},
                ["python3", "main.py"]) for i in range(4)]
    results = sb.run_many(jobs, workers=2)
    spans = [tuple(map(float, r.stdout.split())) for r in results]
    assert [int(s[0]) for s in spans] == [0, 1, 2, 3], results
    # jobs 0 and 1 start together on 2 workers: their run intervals overlap
    assert max(spans[0][1], spans[1][1]) < min(spans[0][2], spans[1][2]), spans


def test_run_many_rejects_a_bad_job_before_running_any(sb):
    with pytest.raises(ValueError, match=r"jobs\[1\]: file path must be relative"):
        sb.run_many([Job({}, "true"), Job({"/abs": "x"}, "true")])


def test_pytest_runs_inside(sb):
    assert sb.run({}, "command -v python3").stdout == "/usr/bin/python3\n"
    res = sb.run({"lesson.py": "def add(a, b):\n    return a + b\n",
                  "test_lesson.py": "from lesson import add\n\ndef test_ok():\n    assert add(1, 2) == 3\n\n"
                                    "def test_bad():\n    assert add(1, 1) == 3\n"},
                 ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"], Limits(wall_s=60))
    assert res.exit_code == 1 and "1 failed, 1 passed" in res.stdout, res


@pytest.mark.parametrize("call,message", [
    (lambda sb: sb.run({"/etc/x": "1"}, "true"), "relative"),
    (lambda sb: sb.run({"../x": "1"}, "true"), "relative"),
    (lambda sb: sb.run({"x": 1}, "true"), "str or bytes"),
    (lambda sb: sb.run({"a": "1", "a/b": "2"}, "true"), "as a directory"),
    (lambda sb: sb.run({}, []), "non-empty"),
    (lambda sb: get_sandbox("docker"), "unknown sandbox 'docker'"),
    (lambda sb: sb.run({}, "true", Limits(wall_s=0)), "wall_s"),
    (lambda sb: sb.run({"x": b"0" * (2 << 20)}, "true", Limits(tmpfs_mb=1)), "tmpfs_mb"),
])
def test_bad_input_rejected(sb, call, message):
    with pytest.raises(ValueError, match=message):
        call(sb)


def test_setup_failure_is_an_error_not_a_result(sb):
    # 550 files of 3700 bytes pass the host's byte-sum check for a 2 MiB work dir, but each takes a 4 KiB page
    # in the tmpfs: it fills up while the supervisor writes them, which must raise, not look like a crash
    files = {f"f{i}.txt": b"x" * 3700 for i in range(550)}
    with pytest.raises(SandboxError, match="could not set up the work dir.*No space"):
        sb.run(files, "true", Limits(tmpfs_mb=2))


def test_missing_bwrap_refuses(monkeypatch, tmp_path):
    from sandbox import local
    monkeypatch.setattr(local, "BWRAP_SEARCH_PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match=r"bubblewrap not found: install it with `apt-get install bubblewrap`"):
        get_sandbox("local")


# --- e2b --------------------------------------------------------------------------------------------------------

def test_e2b_requires_key(monkeypatch):
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    with pytest.raises(SandboxUnavailable, match="E2B_API_KEY"):
        get_sandbox("e2b")


def test_e2b_plan_offline(monkeypatch):
    from sandbox.e2b import E2BSandbox
    monkeypatch.setenv("CRUCIBLE_CANARY", "canary-e2b-123")
    plan = E2BSandbox(api_key="k").plan({"main.py": "print(1)"}, ["python3", "main.py"], Limits(wall_s=7),
                                         collect=True)
    assert plan.create["allow_internet_access"] is False and plan.create["envs"] == {}
    assert plan.create["timeout"] >= 7 and plan.cmd_timeout == 7
    assert "canary-e2b-123" not in repr(plan)
    assert set(plan.uploads) == {"/tmp/.crucible/inner.py", "/tmp/.crucible/input"}
    assert plan.uploads["/tmp/.crucible/input"] == b"8 %s\nprint(1)end\n" % b"main.py".hex().encode()
    assert plan.command.endswith("< /tmp/.crucible/input 3> /tmp/.crucible/status"), plan.command
    python, flag_i, flag_s, script, cfg_hex = shlex.split(plan.command.split(" exec ", 1)[1])[:5]
    assert (python, flag_i, flag_s, script) == ("python3", "-I", "-S", "/tmp/.crucible/inner.py")
    cfg = marshal.loads(bytes.fromhex(cfg_hex))
    assert cfg["argv"] == ["python3", "main.py"] and cfg["collect"] is True and cfg["status_fd"] == 3
    assert cfg["env"] == {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": "/home/user/work", "LANG": "C.UTF-8"}
    assert cfg["rlimits"]["RLIMIT_AS"] == [1024 << 20] * 2 and not cfg["kill_strays"]


@pytest.mark.network(env="E2B_API_KEY")
def test_e2b_runs_code_without_internet():
    sb = get_sandbox("e2b")
    res = sb.run({"main.py": "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 443), timeout=3)\n"
                             "    print('online')\nexcept OSError:\n    print('offline')\nopen('o.txt','w').write('hi')"},
                 ["python3", "main.py"], Limits(wall_s=60), collect=True)
    assert res.exit_code == 0 and res.stdout == "offline\n", res
    assert res.files is not None and res.files["o.txt"] == b"hi"
    res = sb.run({}, ["python3", "-c", "import ctypes; ctypes.string_at(0)"], Limits(wall_s=60))
    assert res.signal == 11, res
    start = time.monotonic()
    res = sb.run({}, "sleep 100", Limits(wall_s=3))
    assert res.timed_out and time.monotonic() - start < 60, res
