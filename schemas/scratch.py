"""One private temp folder per command, so nothing a run leaves in /tmp outlives it, killed or not.

distilabel's pipeline caches, multiprocessing's `pymp-*` folders, pyright's `pyright-<pid>-*` folders and our own
`tempfile` users each clean up after themselves only when they end normally; a SIGKILL, an `os._exit` in a worker or
a wall-clock kill leaves them behind (5.9 MB after one round of the fault tests). Rather than chase each library,
every command points TMPDIR (inherited by every child: datatrove and distilabel workers, node for pyright) and
Python's `tempfile` at `<tmp>/crucible-run-<pid>-<start>/`, removes it when the command exits, and removes the
folders of commands that no longer run whenever a new one starts. <start> is the process's start time, so a reused
pid is never mistaken for the process that made the folder.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "crucible-run-"
# A Unix socket's path holds at most 107 bytes, and multiprocessing puts its Manager's listener at
# `<TMPDIR>/pymp-XXXXXXXX/listener-XXXXXXXX` (32 more): under a deep TMPDIR (a pytest tmp_path, a CI work folder) the
# filter's datatrove Manager then dies with a bare EOFError. Such a TMPDIR gets its private folder in /tmp instead.
SOCKET_PATH_MAX = 107
SOCKET_ROOM = 40


def _start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None when no such process runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the parenthesised command name


def _owner_gone(folder: Path) -> bool:
    parts = folder.name[len(PREFIX):].split("-")
    if len(parts) < 2 or not parts[0].isdigit():
        return False  # not one of ours in the expected shape: leave it alone
    return _start_time(int(parts[0])) != parts[1]


def sweep(base: Path) -> list[Path]:
    """Remove the private temp folders of commands that are no longer running; returns what was removed."""
    removed = []
    for folder in base.glob(f"{PREFIX}*"):
        if folder.is_dir() and not folder.is_symlink() and _owner_gone(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def use_private_tmp() -> Path:
    """Make this process's temp folder the one everything below it uses; removed at exit (idempotent)."""
    current = os.environ.get("TMPDIR", "")
    own = f"{PREFIX}{os.getpid()}-"
    if Path(current).name.startswith(own):
        return Path(current)
    base = Path(tempfile.gettempdir())
    name = f"{own}{_start_time(os.getpid()) or 0}"
    if len(str(base / name)) + SOCKET_ROOM > SOCKET_PATH_MAX:
        base = Path("/tmp")
    sweep(base)
    folder = base / name
    folder.mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    atexit.register(_remove, folder, os.getpid())
    return folder


def _remove(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # a forked child that exits normally must not take its parent's folder with it
        shutil.rmtree(folder, ignore_errors=True)
