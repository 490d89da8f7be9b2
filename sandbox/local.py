"""The local sandbox backend: bubblewrap around Debian's /usr/bin/python3 + tools, nothing of the host leaking in.

How one run is put together (outside in):
  /bin/sh (root, only when cgroups are used): moves itself into the run's cgroup(s), then execs
  env -i: from here on the environment is empty, so no API key can reach /proc/1/environ inside
  setpriv (only when root): drop to uid/gid 65534 with no groups and no_new_privs, so the sandbox's processes
      are uid 65534 on the host too (RLIMIT_NPROC means something, a leftover process is easy to spot)
  bwrap: new user/pid/net/ipc/uts/cgroup namespaces (no network at all: not even the host's loopback),
      read-only root with /usr and a short allowlist of /etc; a size-capped tmpfs as work dir and /tmp;
      --die-with-parent so killing our process group takes the pid namespace (and everything in it) down
  _inner.py (python3 -I -S, pid 1 of the sandbox): writes the files, applies rlimits, runs the command, reports its exact status,
      kills stragglers, and for collect=True streams the work dir back (see _inner.py for why it exists)

Files travel in on stdin and come back on a separate pipe rather than through a host directory bind-mounted
rw: a tmpfs inside bwrap has a kernel-enforced total size (--size), a host dir would only have RLIMIT_FSIZE
per file and an after-the-fact total check, i.e. a sandbox could fill the host disk before we noticed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping

from sandbox._cgroup import Cgroups, RunCgroup, detect
from sandbox._protocol import MIB, build_result, encode_files, inner_argv, parse_status
from sandbox.base import (
    SANDBOX_ENV,
    WORKDIR,
    Limits,
    Result,
    Sandbox,
    SandboxError,
    SandboxUnavailable,
    check_inputs,
)

BWRAP_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin", "/bin"])
PYTHON = "/usr/bin/python3"  # Debian's interpreter, with python3-pytest; never the project's venv
SANDBOX_UID = 65534
# /etc entries the sandbox may see; everything else (shadow, ssh host keys, pip/npm/git configs) is absent
ETC_ALLOW = ("passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
             "alternatives", "python3", "python3.11", "mime.types", "os-release", "debian_version")
ETC_HOSTS = b"127.0.0.1 localhost sandbox\n::1 localhost ip6-localhost ip6-loopback\n"
BOOT_PROCS = 3  # outer bwrap (sh/env/setpriv exec into it), its forked child and the supervisor (pid 1) also count
# output this far past the cap (x16, at least 64 MiB) is a flood: kill the sandbox rather than drain it until the
# deadline; below that we drain and discard, so a program that merely prints too much still finishes and exits
FLOOD_FACTOR, FLOOD_MIN = 16, 64 * 1024 * 1024

_detect_lock = threading.Lock()
_detected: tuple[Cgroups | None, str] | None = None


def _cgroups() -> tuple[Cgroups | None, str]:
    global _detected
    with _detect_lock:
        if _detected is None:
            _detected = detect()
        return _detected


def _root_binds() -> list[str]:
    """/usr read-only, the merged-usr symlinks (/bin, /lib...) recreated, the /etc allowlist bound read-only."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--dir", "/etc"]
    for name in ETC_ALLOW:
        path = f"/etc/{name}"
        if os.path.lexists(path):
            args += ["--ro-bind-try", path, path]
    return args


class LocalSandbox(Sandbox):
    """bubblewrap backend. Construction checks that untrusted code can be run here, or raises SandboxUnavailable."""

    name = "local"
    _probed = False

    def __init__(self, use_cgroups: bool = True):
        self.bwrap = shutil.which("bwrap", path=BWRAP_SEARCH_PATH)
        if self.bwrap is None:
            raise SandboxUnavailable("bubblewrap not found: install it with `apt-get install bubblewrap`")
        if not os.path.exists(PYTHON):
            raise SandboxUnavailable(f"{PYTHON} not found: install Debian's python3 and python3-pytest")
        self.as_root = os.geteuid() == 0
        self.setpriv = shutil.which("setpriv") if self.as_root else None
        if self.as_root and self.setpriv is None:
            raise SandboxUnavailable("setpriv not found (util-linux): needed to drop root before running bwrap")
        self.cgroups, self.cgroup_note = _cgroups()
        if not use_cgroups:  # the fallback path, on purpose (tests, or hosts where cgroup writes are unwanted)
            self.cgroups, self.cgroup_note = None, "per-run cgroup off (use_cgroups=False): rlimits only"
        self.binds = _root_binds()
        if not LocalSandbox._probed:  # fail at get_sandbox(), not in the middle of a pipeline
            try:
                res = self.run({}, ["true"], Limits(wall_s=30))
            except SandboxError as e:
                raise SandboxUnavailable(f"bubblewrap cannot start a sandbox here: {e}") from e
            if res.exit_code != 0:
                raise SandboxUnavailable(f"bubblewrap cannot start a sandbox here: {res.stderr.strip()[:300]}")
            LocalSandbox._probed = True

    def _argv(self, argv: list[str], limits: Limits, collect: bool, status_fd: int, hosts_fd: int,
              cgroup: RunCgroup | None) -> list[str]:
        tmpfs = str(limits.tmpfs_mb * MIB)
        bwrap = [
            self.bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID), "--hostname", "sandbox", "--die-with-parent", "--new-session", "--as-pid-1",
            "--cap-drop", "ALL", *self.binds, "--ro-bind-data", str(hosts_fd), "/etc/hosts", "--proc", "/proc",
            # bwrap's /dev is an unsized tmpfs: make it read-only and give /dev/shm (POSIX semaphores) a cap
            "--dev", "/dev", "--size", tmpfs, "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
            "--size", tmpfs, "--tmpfs", "/tmp", "--size", tmpfs, "--tmpfs", WORKDIR,
            "--remount-ro", "/", "--chdir", WORKDIR, "--clearenv",
            *[x for k, v in SANDBOX_ENV.items() for x in ("--setenv", k, v)],
            *inner_argv(PYTHON, argv, limits, collect, status_fd),
        ]
        cmd = ["/usr/bin/env", "-i"]
        if self.setpriv:
            cmd += [self.setpriv, f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                    "--no-new-privs"]
        cmd += bwrap
        if cgroup is not None:
            procs = cgroup.procs_files
            join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"'
            cmd = ["/bin/sh", "-c", join, "sh", str(len(procs)), *procs, *cmd]
        return cmd

    def run(self, files: Mapping[str, str | bytes], command: list[str] | str, limits: Limits | None = None,
            collect: bool = False) -> Result:
        data, argv, limits = check_inputs(files, command, limits)
        notes = [self.cgroup_note]
        cgroup = None
        if self.cgroups is not None:
            # the sandbox's total: its processes' memory plus the three tmpfs mounts (work dir, /tmp, /dev/shm),
            # whose pages are charged as memory, plus a little for bwrap and the supervisor
            memory = (limits.memory_mb + 3 * limits.tmpfs_mb + 32) * MIB
            cgroup = self.cgroups.create(limits.nproc + BOOT_PROCS, memory)
        try:
            proc, pump, wall = self._execute(argv, payload=encode_files(data), limits=limits, collect=collect,
                                             cgroup=cgroup)
            oom = cgroup.oom_kills() if cgroup is not None else 0
            if cgroup is not None and cgroup.pids_max_hits():
                notes.append(f"process limit reached {cgroup.pids_max_hits()} time(s) (pids.max)")
        finally:
            if cgroup is not None:  # nothing may outlive the run, whatever happened above
                cgroup.kill()
                notes += cgroup.remove()
        notes += pump.notes
        status, files_out, collect_notes = parse_status(bytes(pump.status), collect)
        if not status.get("started"):
            err = pump.err.decode("utf-8", errors="replace").strip()
            raise SandboxError(f"sandbox failed to start (bwrap exit {proc.returncode}): {err[:300]}")
        return build_result(status, bytes(pump.out), bytes(pump.err), timed_out=pump.timed_out,
                            truncated=pump.truncated, oom_kills=oom, wall_s=wall, collect=collect, files=files_out,
                            notes=notes + collect_notes)

    def _execute(self, argv: list[str], payload: bytes, limits: Limits, collect: bool, cgroup: RunCgroup | None
                 ) -> tuple[subprocess.Popen, _Pump, float]:
        status_r, status_w = os.pipe()
        # the host's /etc/hosts names internal machines; the sandbox gets its own (its loopback works)
        hosts_r, hosts_w = os.pipe()
        os.write(hosts_w, ETC_HOSTS)
        os.close(hosts_w)
        start = time.monotonic()
        try:
            try:
                # env={} here and `env -i` in argv: bwrap must never inherit the launcher's secrets
                proc = subprocess.Popen(
                    self._argv(argv, limits, collect, status_w, hosts_r, cgroup), stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w, hosts_r), env={},
                    process_group=0, close_fds=True, cwd="/")
            finally:
                os.close(status_w)
                os.close(hosts_r)
            pump = _Pump(proc, status_r, payload, limits, start + limits.wall_s, cgroup)
            try:
                pump.loop()
            finally:  # also on KeyboardInterrupt or a bug in the loop: no sandbox is left running
                if not pump.done:
                    pump.kill()
                proc.wait()
                for pipe in (proc.stdout, proc.stderr):  # don't leave fds to the GC over thousands of runs
                    if pipe is not None:
                        pipe.close()
            return proc, pump, time.monotonic() - start
        finally:
            os.close(status_r)


class _Pump:
    """Feeds the input files on stdin and drains stdout, stderr and the status pipe concurrently, with caps.

    Reads continue past a cap (discarded) so a chatty program can still finish; a flood far past the cap, or the
    wall-clock deadline, kills the whole sandbox (process group, pid namespace, cgroup)."""

    def __init__(self, proc: subprocess.Popen, status_fd: int, payload: bytes, limits: Limits,
                 deadline: float, cgroup: RunCgroup | None):
        self.proc, self.payload, self.deadline, self.cgroup = proc, payload, deadline, cgroup
        assert proc.stdin and proc.stdout and proc.stderr
        self.out, self.err, self.status = bytearray(), bytearray(), bytearray()
        self.caps = {"out": limits.stdout_bytes, "err": limits.stderr_bytes,
                     "status": limits.tmpfs_mb * MIB + MIB}  # the work dir's bytes plus headers
        self.seen = {"out": 0, "err": 0, "status": 0}
        self.bufs = {"out": self.out, "err": self.err, "status": self.status}
        self.timed_out = self.truncated = self.killed = self.done = False
        self.notes: list[str] = []
        self.sel = selectors.DefaultSelector()
        self.stdin_fd = proc.stdin.fileno()
        os.set_blocking(self.stdin_fd, False)
        self.sel.register(self.stdin_fd, selectors.EVENT_WRITE, "in")
        self.sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "out")
        self.sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "err")
        self.sel.register(status_fd, selectors.EVENT_READ, "status")
        self.sent = 0

    def kill(self) -> None:
        if self.killed:
            return
        self.killed = True
        # bwrap dies, and --die-with-parent takes its pid namespace (everything inside) with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.cgroup is not None:
            self.cgroup.kill()

    def _close_stdin(self) -> None:
        self.sel.unregister(self.stdin_fd)
        assert self.proc.stdin
        self.proc.stdin.close()

    def loop(self) -> None:
        grace_end = None
        while len(self.sel.get_map()) > 0:
            now = time.monotonic()
            if not self.killed and now >= self.deadline:
                self.timed_out = True
                self.kill()
            if self.killed:
                grace_end = grace_end or now + 5
                if now >= grace_end:  # everything is SIGKILLed; a pipe still open means a bug, not a wait
                    self.notes.append("pipes still open 5 s after the kill; stopped reading")
                    break
            timeout = max(0.0, (grace_end if grace_end is not None else self.deadline) - now)
            for key, _ in self.sel.select(timeout):
                name = key.data
                if name == "in":
                    try:
                        self.sent += os.write(self.stdin_fd, self.payload[self.sent:self.sent + 65536])
                    except (BrokenPipeError, OSError):
                        self.sent = len(self.payload)
                    if self.sent >= len(self.payload):
                        self._close_stdin()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    self.sel.unregister(key.fd)
                    continue
                self._take(name, chunk)
        for key in list(self.sel.get_map().values()):
            self.sel.unregister(key.fd)
        self.sel.close()
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        self.done = True

    def _take(self, name: str, chunk: bytes) -> None:
        cap, buf = self.caps[name], self.bufs[name]
        self.seen[name] += len(chunk)
        room = cap - len(buf)
        if room > 0:
            buf += chunk[:room]
        if self.seen[name] > cap:
            if name == "status":
                self.notes.append(f"collected files exceed {cap} bytes: sandbox killed, files incomplete")
                self.kill()
                return
            self.truncated = True
            if self.seen[name] > max(cap * FLOOD_FACTOR, FLOOD_MIN) and not self.killed:
                self.notes.append(f"std{name} flood: killed after {self.seen[name]} bytes (cap {cap})")
                self.kill()
