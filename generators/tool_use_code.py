"""The Python that procedural tool_use scripts run (generators/tool_use_workspace.py), composed per record.

Every program is assembled from independent parts in prompts/tool_use_code.toml (for csv_stats: how the CSV is read,
how rows are grouped, how a group is reduced, how the result is printed, and whether each part is top-level code, a
function, or everything sits in `main()`), so the function structures keep growing with the corpus instead of
repeating two skeletons. Nothing here decides an answer: the scripts run the program in the sandbox, parse what it
printed and check it against a reference computed from the planted files.
"""

import random
import textwrap
import tomllib
from pathlib import Path

CODE = tomllib.loads((Path(__file__).resolve().parent / "prompts" / "tool_use_code.toml").read_text(encoding="utf-8"))
CSV_PARTS = ("read", "group", "summarise", "report")


def _imports(lines: list[str]) -> str:
    found = sorted({x for line in lines for x in line.splitlines() if x.strip()},
                   key=lambda i: (i.startswith("from "), i))
    return "\n".join(found) + "\n\n" if found else ""


def csv_program(rng: random.Random, path: str, g: str, v: str, agg: str) -> tuple[str, dict[str, str]]:
    """A program printing `key value` lines, largest first, for `agg` of column `v` per `g`; and its parts."""
    parts = {name: rng.choice(sorted(CODE["csv"][name])) for name in CSV_PARTS}
    expr, expr_import = rng.choice(CODE["csv"]["reduce"][agg])
    layout = rng.choice(["flat", "functions", "mixed", "main"])
    fill = {"path": path, "g": g, "v": v, "expr": expr}
    defs, body = [], []
    for name in CSV_PARTS:
        part = CODE["csv"][name][parts[name]]
        as_func = layout in ("functions", "main") or (layout == "mixed" and rng.random() < 0.5)
        if as_func:
            defs.append(part["func"].format(**fill).strip("\n"))
            body.append(part["use"].format(**fill))
        else:
            body.append(part["flat"].format(**fill).strip("\n"))
    imports = [*CODE["csv"]["read"][parts["read"]]["imports"], *CODE["csv"]["group"][parts["group"]]["imports"],
               expr_import]
    statements = "\n".join(body)
    if layout == "main":
        defs.append("def main() -> None:\n" + textwrap.indent(statements, "    "))
        statements = "main()"
    code = _imports(imports) + "".join(d + "\n\n\n" for d in defs) + statements
    return code.strip("\n"), {**parts, "layout": layout, "reduce": expr}


def _simple(rng: random.Random, table: str, **fill: str) -> tuple[str, str]:
    key = rng.choice(sorted(CODE[table]))
    part = CODE[table][key]
    return (_imports(part.get("imports", [])) + part["code"].format(**fill)).strip("\n"), key


def count_program(rng: random.Random, path: str, level: str) -> tuple[str, str]:
    """A program printing how many lines of the log at `path` carry ` {level} `."""
    return _simple(rng, "count", path=path, level=level)


def lines_program(rng: random.Random, path: str) -> tuple[str, str]:
    """A program printing how many lines the file at `path` has."""
    return _simple(rng, "lines", path=path)


def probe_program(rng: random.Random, mod_path: str, fn: str, call: str) -> str:
    """A program whose last printed line is `repr(call)`."""
    return _simple(rng, "probe", mod_path=mod_path, fn=fn, call=call)[0] + "\n"


def pin_test(rng: random.Random, mod_path: str, fn: str, call: str, value: str, name: str) -> str:
    """A test file with one test, `name`, asserting `call == value`."""
    op = "is" if value in ("True", "False", "None") else "=="
    return _simple(rng, "pin", mod_path=mod_path, fn=fn, call=call, value=value, name=name, op=op)[0] + "\n"
