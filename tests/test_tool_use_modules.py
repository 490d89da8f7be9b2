"""The composed project modules (generators/tool_use_modules.py): every body of every kind passes its tests and every
planted bug fails them, in every composed form; the modules are ruff-clean under the filter's rules and their
function shapes vary; a buggy workspace fails exactly the planted function's test in the real sandbox and passes
once the fix is written."""

import itertools
import random
import subprocess
import sys

import pytest

from factory.code_shapes import shapes
from generators import tool_use_modules as tm
from sandbox import Job, Limits, get_sandbox
from sandbox.environments import sample_workspace


def _passes(spec: dict, source: str) -> bool:
    space: dict = {}
    exec("\n".join(spec["imports"]) + "\n" + source, space)  # noqa: S102  (our own data, checked here)
    try:
        for line in spec["tests"]:
            exec(line, space)  # noqa: S102
    except Exception:  # noqa: BLE001  (an assertion or the error a bug raises: both fail the test)
        return False
    return True


def _all_forms(kind: str) -> list[dict]:
    """Every body of `kind` in every annotation mode, with each guard or none, returning directly or via a local."""
    k = tm.KINDS[kind]
    guards = [None, *range(len(k.get("guards", [])))]
    return [tm.build(kind, k["names"][0], {"body": b, "annotations": a, "guard": g, "local": loc, "doc": 0})
            for b, a, g, loc in itertools.product(range(len(k["bodies"])), tm.ANNOTATIONS, guards, (False, True))]


@pytest.mark.parametrize("kind", sorted(tm.KINDS))
def test_every_body_passes_and_every_bug_fails(kind):
    for spec in _all_forms(kind):
        assert _passes(spec, spec["src"]), (kind, spec["src"])
        assert not _passes(spec, spec["buggy"]), (kind, spec["buggy"])
        assert spec["good"] and spec["src"].count(spec["buggy"]) == 0 and spec["buggy"] != spec["src"]
        planted = tm.KINDS[kind]["bodies"][spec["form"]["body"]]["bug"][1]
        assert bool(spec["bad"]) == bool(planted), (kind, spec["good"], spec["bad"])  # `why` names the right lines


def test_names_are_unique_across_kinds():
    names = [n for k in tm.KINDS.values() for n in k["names"]]
    assert len(names) == len(set(names))


def test_composed_modules_are_ruff_clean_and_vary(tmp_path):
    fn_shapes = []
    for seed in range(120):
        rng = random.Random(seed)
        env, facts = sample_workspace(rng, buggy=seed % 2 == 0)
        tm.setup_modules(rng, env, facts)
        project = facts["project"]
        for mod in facts["modules"]:
            text = env["workspace"]["files"][f"{project}/{mod}.py"]
            (tmp_path / f"m{seed}_{mod}.py").write_text(text)
            found = shapes(text)
            assert found is not None
            fn_shapes += found[1]
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--target-version", "py311", "--select",
                           "E4,E7,E9,F,B", "--ignore", "B905,B008,B023,E731,E741", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    counts = sorted((fn_shapes.count(s) for s in set(fn_shapes)), reverse=True)
    assert len(counts) >= 150, len(counts)
    assert sum(counts[:10]) / len(fn_shapes) < 0.2, (sum(counts[:10]), len(fn_shapes))


def test_planted_bug_fails_in_the_sandbox_and_the_fix_passes():
    jobs, expect = [], []
    for seed in range(8):
        rng = random.Random(1000 + seed)
        env, facts = sample_workspace(rng, buggy=True)
        tm.setup_modules(rng, env, facts)
        mod, fn = facts["bug"]
        files = env["workspace"]["files"]
        path = f"{facts['project']}/{mod}.py"
        spec = facts["functions"][fn]
        fixed = dict(files) | {path: files[path].replace(spec["buggy"], spec["src"], 1)}
        assert fixed[path] != files[path]
        for variant, want in ((files, fn), (fixed, None)):
            jobs.append(Job(files=variant, command=["python3", "-B", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            limits=Limits(wall_s=60.0)))
            expect.append(want)
    for res, want in zip(get_sandbox("local").run_many(jobs), expect, strict=True):
        failed = [line for line in res.stdout.splitlines() if line.startswith("FAILED")]
        if want is None:
            assert res.exit_code == 0 and not failed, res.stdout[-1500:]
        else:
            assert len(failed) == 1 and f"::test_{want} " in failed[0] + " ", res.stdout[-1500:]
