"""The composed Python of the procedural tool_use scripts (generators/tool_use_code.py): every program runs in the
real sandbox and prints what the reference computes, the pieces are ruff-clean under the filter's rules, and the
structures vary."""

import random
import subprocess
import sys

from factory.code_shapes import shapes
from generators import tool_use_code as code
from generators.tool_use_workspace import csv_reference
from sandbox import Job, Limits, get_sandbox

CSV = ("date,region,units,unit_price\n2026-01-01,north,3,2.50\n2026-01-01,south,5,10.25\n2026-01-02,north,7,3.10\n"
       "2026-01-02,east,1,9.99\n2026-01-03,south,2,4.00\n")
LOG = "".join(f"2026-01-01 10:00:{i:02d} {lv:<7} event {i}\n" for i, lv in
              enumerate(["INFO", "ERROR", "WARNING", "ERROR", "DEBUG", "INFO", "ERROR"]))


def _programs(n: int) -> list[tuple[str, str, dict]]:
    out = []
    for seed in range(n):
        rng = random.Random(seed)
        agg = ("sum", "mean", "max", "count")[seed % 4]
        out.append(("csv", code.csv_program(rng, "data/s.csv", "region", "unit_price", agg)[0], {"agg": agg}))
        out.append(("count", code.count_program(rng, "logs/app.log", "ERROR")[0], {}))
        out.append(("lines", code.lines_program(rng, "data/s.csv")[0], {}))
    return out


def test_composed_programs_print_what_the_reference_computes():
    programs = _programs(24)
    jobs = [Job(files={"data/s.csv": CSV, "logs/app.log": LOG}, command=["python3", "-B", "-c", text],
                limits=Limits(wall_s=30.0)) for _, text, _ in programs]
    for (kind, text, extra), res in zip(programs, get_sandbox("local").run_many(jobs), strict=True):
        assert res.exit_code == 0, (text, res.stderr)
        out = res.stdout.strip()
        if kind == "count":
            assert out == "3", (text, out)
        elif kind == "lines":
            assert out == str(CSV.count("\n")), (text, out)
        else:
            expected = csv_reference(CSV, "region", "unit_price", extra["agg"])
            rows = [line.split() for line in out.splitlines()]
            assert {k for k, _ in rows} == set(expected), (text, out)
            assert all(abs(float(x) - expected[k]) <= 0.011 for k, x in rows), (text, out, expected)
            assert [float(x) for _, x in rows] == sorted((float(x) for _, x in rows), reverse=True), out


def test_composed_pieces_are_ruff_clean_and_vary(tmp_path):
    rng = random.Random(3)
    pieces = [text for _, text, _ in _programs(40)]
    pieces += [code.pin_test(rng, "proj.mod", "clamp", "clamp(7, 1, 5)", value, "test_clamp_pinned")
               for value in ("5", "True", "None", "'a-b'") for _ in range(6)]  # E711/E712: `is` for True/None
    pieces += [code.probe_program(rng, "proj.mod", "clamp", "clamp(7, 1, 5)") for _ in range(10)]
    for i, text in enumerate(pieces):
        (tmp_path / f"p{i}.py").write_text(text + "\n")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--target-version", "py311", "--select",
                           "E4,E7,E9,F,B", "--ignore", "B905,B008,B023,E731,E741", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    csv_shapes = {shapes(text)[0] for kind, text, _ in _programs(40) if kind == "csv"}  # type: ignore[index]
    assert len(csv_shapes) >= 30, len(csv_shapes)
