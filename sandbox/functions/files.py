"""A files API over the conversation's workspace: list, read, write, search, copy and move text files.

Paths are relative to the workspace; anything outside it, or hidden (the runtime's own state), is refused.
"""

import os
import re
import shutil

from ._common import closest, need, safe_path, visible_files


def _existing(path: str) -> str:
    norm = safe_path(path)
    if os.path.isdir(norm):
        raise IsADirectoryError(f"{path} is a directory")
    if not os.path.isfile(norm):
        raise FileNotFoundError(f"no file {path!r}{closest(norm, visible_files())}")
    return norm


def _read(norm: str) -> str:
    with open(norm, encoding="utf-8", errors="replace") as f:
        return f.read()


def fs_list(directory: str = ".") -> list[str]:
    """List the files under a directory of the workspace (recursively), as paths relative to the workspace.

    Args:
        directory: The directory to list; '.' for the whole workspace.
    """
    root = "." if directory.strip() in ("", ".", "./") else safe_path(directory)
    need(os.path.isdir(root), f"no directory {directory!r}")
    return visible_files(root)


def fs_read(path: str) -> str:
    """Read a text file of the workspace.

    Args:
        path: The file's path, e.g. notes/ideas.txt.
    """
    return _read(_existing(path))


def fs_write(path: str, content: str) -> dict:
    """Create or overwrite a text file in the workspace (missing directories are created).

    Args:
        path: The file's path.
        content: The complete new content.
    """
    norm = safe_path(path)
    existed = os.path.isfile(norm)
    if os.path.dirname(norm):
        os.makedirs(os.path.dirname(norm), exist_ok=True)
    with open(norm, "w", encoding="utf-8") as f:
        f.write(content)
    return {"path": norm, "bytes": len(content.encode("utf-8")), "created": not existed}


def fs_append(path: str, text: str) -> dict:
    """Append text to the end of a file of the workspace (the file is created if missing).

    Args:
        path: The file's path.
        text: The text to add; include a trailing newline for a new line.
    """
    norm = safe_path(path)
    if os.path.dirname(norm):
        os.makedirs(os.path.dirname(norm), exist_ok=True)
    with open(norm, "a", encoding="utf-8") as f:
        f.write(text)
    return {"path": norm, "bytes": os.path.getsize(norm)}


def fs_stat(path: str) -> dict:
    """The size of a file in bytes and lines.

    Args:
        path: The file's path.
    """
    norm = _existing(path)
    text = _read(norm)
    return {"path": norm, "bytes": os.path.getsize(norm), "lines": len(text.splitlines())}


def fs_delete(path: str) -> dict:
    """Delete a file of the workspace.

    Args:
        path: The file's path.
    """
    norm = _existing(path)
    os.remove(norm)
    return {"deleted": norm}


def fs_search(pattern: str, directory: str = ".") -> list[dict]:
    """Find the lines matching a regular expression in the workspace's files.

    Args:
        pattern: A Python regular expression, e.g. 'TODO|FIXME'.
        directory: Limit the search to this directory; '.' for everything.
    """
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad pattern {pattern!r}: {exc}") from None
    hits = []
    for path in fs_list(directory):
        for n, line in enumerate(_read(path).splitlines(), 1):
            if rx.search(line):
                hits.append({"path": path, "line": n, "text": line.strip()[:200]})
    return hits[:100]


def fs_copy(source: str, destination: str) -> dict:
    """Copy a file to a new path in the workspace (an existing destination is overwritten).

    Args:
        source: The file to copy.
        destination: The path of the copy.
    """
    src, dst = _existing(source), safe_path(destination)
    if os.path.dirname(dst):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    return {"copied": src, "to": dst, "bytes": os.path.getsize(dst)}


def fs_move(source: str, destination: str) -> dict:
    """Move or rename a file in the workspace (the destination must not exist).

    Args:
        source: The file to move.
        destination: Its new path.
    """
    src, dst = _existing(source), safe_path(destination)
    need(not os.path.exists(dst), f"{destination} already exists")
    if os.path.dirname(dst):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.replace(src, dst)
    return {"moved": src, "to": dst}


def fs_line_count(path: str, contains: str = "") -> int:
    """Count a file's lines, or only the lines containing some text.

    Args:
        path: The file's path.
        contains: Count only lines containing this text (case-sensitive); empty counts every line.
    """
    return sum(contains in line for line in _read(_existing(path)).splitlines())


FUNCTIONS = [fs_list, fs_read, fs_write, fs_append, fs_stat, fs_delete, fs_search, fs_copy, fs_move, fs_line_count]
MUTATES = ("fs_write", "fs_append", "fs_delete", "fs_copy", "fs_move")
