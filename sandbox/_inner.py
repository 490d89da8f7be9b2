"""Supervisor that runs *inside* the bubblewrap sandbox (as uid 65534) around the untrusted command.

Why it exists: bwrap reports a signal death as exit code 128+N, which cannot be told apart from `exit(139)`;
the files have to get into a tmpfs that the host cannot see; rlimits should bind the untrusted code only;
background processes must not outlive the command; collect=True must read the tmpfs before it vanishes.
This file is passed to Debian's /usr/bin/python3 with `-I -S -c` (stdlib only, no imports from the project).
It starts on every run, so it imports only builtins: `signal`, `json` or `contextlib` would pull in enum / re /
functools and more than double its start-up cost (measured: ~8 ms -> ~21 ms of CPU per run).

Protocol: argv[1] is the config, marshal'd and hex-encoded (built by the trusted host). stdin carries the input
files: for each, a line `<size> <hex path>` and the bytes, then a line `end`. On the status fd it writes text
lines, simple to parse on the host since a hijacked supervisor could write anything there: `started` once the
sandbox is up, `error <hex message>` if the files cannot be written, then `exit N` or `signal N`, then for collect=True per regular file `file <size> <hex path>` and
the bytes, `skip <hex path> <reason>` for anything else, and `end`. The command gets /dev/null as stdin and the
host's pipes as stdout/stderr.
"""

import _signal  # pyright: ignore[reportMissingImports]  (the C module under `signal`, no enum import)
import marshal
import os
import resource
import sys


def emit(fd, line, payload=b""):
    data = line.encode() + b"\n" + payload
    while data:
        data = data[os.write(fd, data):]


def read_files(workdir):
    stdin = sys.stdin.buffer
    while (line := stdin.readline().split()) and line[0] != b"end":
        size, path = int(line[0]), bytes.fromhex(line[1].decode()).decode()
        data = stdin.read(size)
        assert len(data) == size, f"short input for {path}"
        full = os.path.join(workdir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        # a script with a shebang is meant to be run: let it
        os.chmod(full, 0o755 if data.startswith(b"#!") else 0o644)


def child(cfg):
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # python ignores these at start-up; the untrusted program must see the normal defaults
    for sig in (_signal.SIGPIPE, _signal.SIGXFSZ):
        _signal.signal(sig, _signal.SIG_DFL)
    for name, value in cfg["rlimits"].items():
        soft, hard = value
        resource.setrlimit(getattr(resource, name), (soft, hard))
    argv = cfg["argv"]
    try:
        os.execvpe(argv[0], argv, cfg["env"])
    except OSError as e:
        os.write(2, f"sandbox: cannot execute {argv[0]!r}: {e.strerror}\n".encode())
        os._exit(127 if isinstance(e, FileNotFoundError) else 126)


def collect(fd, workdir):
    for root, dirs, names in os.walk(workdir):
        dirs.sort()
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, workdir)
            if os.path.islink(full) or not os.path.isfile(full):
                emit(fd, f"skip {rel.encode().hex()} not a regular file")
                continue
            try:
                with open(full, "rb") as f:
                    data = f.read()
            except OSError as e:
                emit(fd, f"skip {rel.encode().hex()} unreadable: {e.strerror}")
                continue
            emit(fd, f"file {len(data)} {rel.encode().hex()}", data)
    emit(fd, "end")


def main():
    cfg = marshal.loads(bytes.fromhex(sys.argv[1]))
    fd = cfg["status_fd"]
    os.set_inheritable(fd, False)  # the untrusted command must not be able to forge our report
    emit(fd, "started")
    workdir = os.getcwd()
    try:
        read_files(workdir)
    except (OSError, ValueError, AssertionError) as e:  # e.g. the tmpfs is full: the run cannot start as asked
        emit(fd, f"error {str(e).encode().hex()}")
        raise SystemExit(1) from e
    pid = os.fork()
    if pid == 0:
        child(cfg)
    # locally we are pid 1 of the sandbox (bwrap --as-pid-1): the kernel then drops even SIGKILL sent from inside,
    # so `kill -9 -1` cannot take the reporter down, and orphans are ours to reap (or they pile up as zombies)
    while True:
        done, status = os.waitpid(-1, 0)
        if done == pid:
            break
    # the run ends with the command: stragglers (daemons, `sleep &`) die now; in our own pid namespace -1 means
    # every process but us (off for E2B: no pid namespace there, and the whole VM is killed anyway)
    if cfg["kill_strays"]:
        try:  # noqa: SIM105  (contextlib costs start-up time, see above)
            os.kill(-1, _signal.SIGKILL)
        except ProcessLookupError:
            pass
    if os.WIFSIGNALED(status):
        emit(fd, f"signal {os.WTERMSIG(status)}")
    else:
        emit(fd, f"exit {os.WEXITSTATUS(status)}")
    if cfg["collect"]:
        collect(fd, workdir)


if __name__ == "__main__":
    main()
