"""Supervisor that runs *inside* the bubblewrap sandbox (as uid 65534) around the untrusted command.

Why it exists: bwrap reports a signal death as exit code 128+N, which cannot be told apart from `exit(139)`;
the files have to get into a tmpfs that the host cannot see; rlimits should bind the untrusted code only;
background processes must not outlive the command; collect=True must read the tmpfs before it vanishes.
This file is passed to Debian's /usr/bin/python3 with `-I -S -c` (stdlib only, no imports from the project).

Protocol: argv[1] is a JSON config. stdin carries the input files: one JSON line `[[path, size], ...]`
followed by the concatenated bytes. On the status fd it writes JSON lines: `{"started": true}` once the
sandbox is up, `{"exit_code": int|None, "signal": int|None}` after the command, then for collect=True one
`{"path": str, "size": int}` line followed by that many raw bytes per regular file and a final
`{"end": true, "skipped": [...]}`. The command gets /dev/null as stdin and the host's pipes as stdout/stderr.
"""

import contextlib
import json
import os
import resource
import signal
import sys


def emit(fd, obj, payload=b""):
    data = json.dumps(obj).encode() + b"\n" + payload
    while data:
        data = data[os.write(fd, data):]


def read_files(workdir):
    stdin = sys.stdin.buffer
    index = json.loads(stdin.readline() or b"[]")
    for path, size in index:
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
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
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
    skipped = []
    for root, dirs, names in os.walk(workdir):
        dirs.sort()
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, workdir)
            if os.path.islink(full) or not os.path.isfile(full):
                skipped.append([rel, "not a regular file"])
                continue
            try:
                with open(full, "rb") as f:
                    data = f.read()
            except OSError as e:
                skipped.append([rel, f"unreadable: {e.strerror}"])
                continue
            emit(fd, {"path": rel, "size": len(data)}, data)
    emit(fd, {"end": True, "skipped": skipped})


def main():
    cfg = json.loads(sys.argv[1])
    fd = cfg["status_fd"]
    os.set_inheritable(fd, False)  # the untrusted command must not be able to forge our report
    emit(fd, {"started": True})
    workdir = os.getcwd()
    read_files(workdir)
    pid = os.fork()
    if pid == 0:
        child(cfg)
    _, status = os.waitpid(pid, 0)
    # the run ends with the command: stragglers (daemons, `sleep &`) die now; -1 spares pid 1 and us
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)
    if os.WIFSIGNALED(status):
        emit(fd, {"exit_code": None, "signal": os.WTERMSIG(status)})
    else:
        emit(fd, {"exit_code": os.WEXITSTATUS(status), "signal": None})
    if cfg["collect"]:
        collect(fd, workdir)


if __name__ == "__main__":
    main()
