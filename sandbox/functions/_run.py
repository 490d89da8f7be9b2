"""The call runner: executes one library function inside the sandbox and prints what the tool message will hold.

Runs under Debian's python3 with `-I -B` (stdlib only). The host writes `.fncall.json` ({domain, name,
arguments}) and the library modules under `.fnlib/fnlib/`; this prints the JSON of the return value, or
`{"error": "<Type>: <message>"}` when the function raised, and exits 0 either way: a raised error is a result the
model must read, not a crash of the machinery.
"""

import importlib
import json
import os
import sys


def main() -> None:
    with open(".fncall.json", encoding="utf-8") as f:
        call = json.load(f)
    os.remove(".fncall.json")
    sys.path.insert(0, ".fnlib")
    try:
        module = importlib.import_module("fnlib." + call["domain"])
        result = getattr(module, call["name"])(**call["arguments"])
        out = json.dumps(result, ensure_ascii=False)
    except Exception as exc:  # the function's own failure is the tool's answer
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        out = json.dumps({"error": f"{type(exc).__name__}: {message}"}, ensure_ascii=False)
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
