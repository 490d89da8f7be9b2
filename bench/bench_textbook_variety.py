"""How many procedural textbook lessons survive the filter's near dedup, and do they all verify?

Why: within one lesson kind the procedural lessons used to read almost alike, and MinHash near dedup (word 5-gram
shingles, effective Jaccard threshold ~0.72) dropped nearly all of them. This plans N procedural lessons
(teacher=None, teacher_share 0), runs them through `generators.textbook.run` with the real local sandbox (each
lesson's tests must pass against its module), then puts the records through the same checks the filter makes:
ruff and pyright (`filters.lint` / `filters.typecheck`, one batched run each) and near dedup on the text the
filter dedups (`conversation_text`, via `record_to_document`) with `datasketch_near_duplicates` and the default
`NearDedupConfig`. Prints: lessons planned, generated, verified, lint/pyright clean, near-dedup survivors, the
survival rate, the identifier-normalised AST-shape figure (factory/code_shapes.py) and survivors per kind.

    .venv/bin/python bench/bench_textbook_variety.py            # n=300 seed=0
    .venv/bin/python bench/bench_textbook_variety.py n=60 seed=3 checks=0   # skip ruff/pyright
    .venv/bin/python bench/bench_textbook_variety.py tool_use=150   # also the code shapes of 150 tool_use records

Measured 2026-11-22 on the 2-core box, n=300 seed=0:
- VERSION 1 (12 kinds, commit 2e046cf): 300 generated, 300 verified, ruff/pyright clean 300/300; near dedup kept
  29 of 300 (9.7%): 1-6 per kind out of 21-33.
- VERSION 2 (59 kinds, generators/textbook_lessons.py): 300 generated, 300 verified, ruff/pyright clean 300/300;
  near dedup kept 290 of 300 (96.7%), every kind 3-6 of 5-6. Lessons are longer (mean 318 words vs 183).
  n=1000 seed=1: 1000 verified, ruff/pyright clean 1000/1000, near dedup kept 886 (88.6%).
Measured 2026-12-05, n=300 seed=0 (nice'd, box shared):
- VERSION 2 (main 5f536b2): 300 verified in 43.9s, ruff/pyright clean 300/300, near dedup kept 290 (96.7%).
- VERSION 3 (document or tutoring form): 300 verified in 49.4s (95 documents, 205 tutoring conversations with 615
  real tool calls), ruff/pyright clean 300/300, near dedup kept 298 (99.3%), mean 330 words.
- n=2000 seed=1 checks=0: VERSION 2 (93f72f3) near dedup kept 1622 (81.1%); VERSION 3 kept 1720 (86.0%); code
  shapes 4000 pieces / 972 (24.3%), 12435 functions / 932 (7.5%): the skeletons saturate.
- Code shapes (factory/code_shapes.py), n=300 seed=0 tool_use=300: textbook 600 pieces, 364 distinct shapes
  (60.7%), 1850 functions, 590 function shapes (31.9%), top-10 cover 7.6%: identical for VERSION 2 and 3 (the
  same modules; the lift changed no text). tool_use (lanbot): 284 records, 166 with Python, 228 pieces / 97 shapes
  (42.5%), 189 functions / 34 shapes (18.0%), top-10 cover 66.1%; at 93f72f3 (before the tool_use variety commit
  5f536b2): 157 with Python, 218 pieces / 75 shapes (34.4%), 189 functions / 24 shapes (12.7%), top-10 65.1%.
"""

import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from factory.code_shapes import family_shapes  # noqa: E402
from filters.dedup import NearDedupConfig, datasketch_near_duplicates  # noqa: E402
from filters.docs import record_to_document  # noqa: E402
from generators import textbook  # noqa: E402
from sandbox import get_sandbox  # noqa: E402


def lint_and_typecheck(records: list[dict]) -> tuple[int, int, list[str]]:
    """Records clean under the filter's ruff stage and its pyright stage, and the first few findings."""
    from filters.lint import LintFilter
    from filters.typecheck import TypecheckFilter

    docs = [record_to_document(r) for r in records]
    findings: list[str] = []
    clean = []
    for stage in (LintFilter(), TypecheckFilter(workers=1)):
        verdicts = stage.filter_batch(docs)
        ok = 0
        for rec, verdict in zip(records, verdicts, strict=True):
            if verdict is True or (isinstance(verdict, tuple) and verdict[0]):
                ok += 1
            else:
                findings.append(f"{stage.name} {rec['lineage']['facets'].get('template')}: {verdict}")
        clean.append(ok)
    return clean[0], clean[1], findings[:10]


def print_shapes(label: str, records: list[dict]) -> None:
    """The identifier-normalised AST-shape figure (factory/code_shapes.py) of the records' Python."""
    f = family_shapes([(r["messages"], r["verification"]) for r in records])
    print(f"code shapes, {label}: {f['records_with_code']} of {f['records']} records carry Python; {f['pieces']} pieces, "
          f"{f['piece_shapes']} distinct shapes ({f['piece_shape_share']:.1%}); {f['functions']} functions, "
          f"{f['function_shapes']} distinct shapes ({f['function_shape_share']:.1%}), the 10 commonest cover "
          f"{f['top10_function_shape_share']:.1%}; unparsed {f['unparsed']}")


def main(argv: list[str]) -> int:
    args = dict(a.split("=", 1) for a in argv)
    n, seed, checks = int(args.get("n", 300)), int(args.get("seed", 0)), args.get("checks", "1") == "1"
    tool_use = int(args.get("tool_use", 0))
    persona = SimpleNamespace(slug="lanbot", name="LanBot", family_settings={"textbook": {"teacher_share": 0.0}})
    tasks = textbook.plan(persona, n, seed)
    assert all(t["procedural"] for t in tasks)
    print(f"textbook VERSION {textbook.VERSION}: {len(textbook.TEMPLATES)} lesson kinds, {n} lessons planned")

    t = time.perf_counter()
    results = textbook.run(tasks, None, get_sandbox("local"), "bench-variety")
    seconds = time.perf_counter() - t
    records = [r for r in results if not r.get("rejected")]
    rejected = [r for r in results if r.get("rejected")]
    print(f"generated {len(results)}, verified (tests pass in the sandbox) {len(records)} "
          f"({len(records) / max(1, len(results)):.1%}) in {seconds:.1f}s")
    for r in rejected[:5]:
        print("  rejected:", r["reason"][:300])

    forms = Counter(r["lineage"]["facets"].get("form", "document") for r in records)
    calls = sum(1 for r in records for m in r["messages"] for _ in m.get("tool_calls") or [])
    print(f"forms: {dict(sorted(forms.items()))}; real tool calls in the transcripts: {calls}")

    if checks and records:
        lint_ok, types_ok, findings = lint_and_typecheck(records)
        print(f"ruff clean {lint_ok}/{len(records)}, pyright clean {types_ok}/{len(records)}")
        for f in findings:
            print("  ", f[:300])

    docs = [record_to_document(r) for r in records]
    config = NearDedupConfig()
    drops = datasketch_near_duplicates(((str(d.id), d.text) for d in docs), config)
    kinds = [r["lineage"]["facets"]["template"] for r in records]
    total, kept = Counter(kinds), Counter(k for i, k in enumerate(kinds) if i not in drops)
    survivors = len(records) - len(drops)
    print(f"near dedup (threshold ~{config.threshold:.2f}): {survivors} of {len(records)} survive "
          f"({survivors / max(1, len(records)):.1%}); of {n} planned: {survivors / max(1, n):.1%}")
    words = [len(d.text.split()) for d in docs]
    print(f"words per lesson: mean {sum(words) / max(1, len(words)):.0f}, min {min(words, default=0)}")
    print_shapes("textbook", records)
    if tool_use:
        from generators import tool_use as tool_use_family
        from schemas import load_persona

        lanbot = load_persona("lanbot")  # python-agent: its workspaces run Python
        tu_tasks = [t for t in tool_use_family.plan(lanbot, tool_use, seed) if t.get("mode") != "teacher"]
        tu = [r for r in tool_use_family.run(tu_tasks, None, get_sandbox("local"), "bench-variety", lanbot)
              if not r.get("rejected")]
        print_shapes("tool_use (lanbot, python-agent)", tu)
    print("per kind (survivors/verified):")
    for kind in sorted(total):
        print(f"  {kind:22s} {kept[kind]:3d}/{total[kind]:3d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
