"""The same filter phases on every datatrove executor, built without a cluster; and --resume after a real crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dill
import pytest

from factory.filter import main
from filters.pipeline import Settings, build_executors, build_phases, prepare_work, run
from schemas.settings import InputError
from tests.conftest import BENCHMARKS
from tests.filter_corpus import TEXTBOOKS, grounded, identity, safety, textbook, write_jsonl

REPO = Path(__file__).resolve().parents[1]


def _corpus(corpora: Path, records: list[dict] | None = None) -> Path:
    corpus = corpora / "lanbot"
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "corpora" / "lanbot" / "persona.toml", corpus / "persona.toml")
    for record in records or []:
        write_jsonl(corpus / "raw" / record["family"] / f"part-{record['id'][:5]}.jsonl", [record])
    return corpus


def _settings(corpora: Path, **kw) -> Settings:
    return Settings(persona="lanbot", corpora=str(corpora), benchmarks=str(BENCHMARKS), **kw)


def test_slurm_jobs_are_built_with_dependencies_and_sbatch_scripts(tmp_path: Path):
    _corpus(tmp_path)
    settings = _settings(tmp_path, executor="slurm", workers=8, partition="cpu-long")
    assert main(["persona=lanbot", f"corpora={tmp_path}", f"benchmarks={BENCHMARKS}", "executor=slurm", "workers=8",
                 "partition=cpu-long", "--dry-run"]) == 0
    jobs = settings.work / "jobs"
    names = [p.name for p in build_phases(settings)]
    assert sorted(p.stem for p in jobs.glob("*.slurm")) == sorted(names)
    checks = (jobs / "checks.slurm").read_text()
    assert "#SBATCH --partition=cpu-long" in checks and "#SBATCH --array=0-7%8" in checks
    assert "launch_pickled_pipeline" in checks and "crucible-filter-lanbot-checks" in checks
    assert "#SBATCH --array=0-13" in (jobs / "near_buckets.slurm").read_text()
    executors = build_executors(settings, build_phases(settings))
    assert all(b.depends is a for a, b in zip(executors, executors[1:], strict=False))
    dill.loads(dill.dumps(executors[-1]))  # the whole chain ships as a pickle


def test_ray_executors_are_constructed_without_a_cluster(tmp_path: Path):
    _corpus(tmp_path)
    settings = _settings(tmp_path, executor="ray", workers=4)
    prepare_work(settings, resume=False)
    executors = build_executors(settings, build_phases(settings))
    from datatrove.executor.ray import RayPipelineExecutor

    assert all(isinstance(e, RayPipelineExecutor) for e in executors)
    assert executors[-1].depends is executors[-2] and executors[0].world_size == 4
    assert run(settings, dry_run=True) is None
    assert len(list((settings.work / "jobs").glob("*.json"))) == len(executors)


@pytest.mark.parametrize("argv", [["executor=pbs"], ["workers=0"], ["sandbox=docker"], ["colour=red"], []])
def test_bad_settings_are_usage_errors(tmp_path: Path, argv: list[str]):
    _corpus(tmp_path)
    with pytest.raises(InputError):
        main([*(["persona=lanbot"] if argv else []), f"corpora={tmp_path}", *argv])


@pytest.mark.slow
def test_resume_after_a_crash_redoes_only_unfinished_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    records = [identity(1), identity(2), textbook(3, *TEXTBOOKS[0][1:]), safety(4),
               grounded("tool_use", 5, [("execute_python", {"code": "print(3)"})])]
    corpus = _corpus(tmp_path, records)
    # A real crash: the execution stage cannot reach E2B, after every earlier phase has finished.
    from sandbox import SandboxUnavailable

    with pytest.raises(SandboxUnavailable):
        run(_settings(tmp_path, workers=2, sandbox="e2b"), progress=False)
    logs = corpus / ".filter" / "logs"
    done_before = {p: p.stat().st_mtime_ns for p in logs.glob("*/completions/*")}
    assert {p.parent.parent.name for p in done_before} == {"ingest", "exact_index", "exact_dedup", "near_signatures",
                                                           "near_buckets", "near_cluster"}
    counts_before = {p: p.stat().st_mtime_ns for p in (corpus / ".filter" / "counts" / "schema").glob("*.json")}

    with pytest.raises(InputError, match="settings changed"):
        run(_settings(tmp_path, workers=2, ngram=8), resume=True, progress=False)

    funnel = run(_settings(tmp_path, workers=2, sandbox="local"), resume=True, progress=False)
    assert funnel is not None and funnel["records_kept"] == len(records)
    for path, mtime in {**done_before, **counts_before}.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was redone"
    assert len(list(logs.glob("checks/completions/*"))) == 2
    # resuming a finished run does nothing and keeps the same result
    again = run(_settings(tmp_path, workers=2), resume=True, progress=False)
    assert again == funnel
    assert json.loads((corpus / "reports" / "funnel.json").read_text()) == funnel


@pytest.mark.slow
def test_a_corpus_with_nothing_parseable_gives_an_empty_clean_set_not_a_crash(tmp_path: Path):
    corpus = _corpus(tmp_path)
    write_jsonl(corpus / "raw" / "identity" / "part-00000.jsonl", ["garbage", "{\"half\": "])
    assert main(["persona=lanbot", f"corpora={tmp_path}", f"benchmarks={BENCHMARKS}", "workers=2",
                 "--no-progress"]) == 0
    funnel = json.loads((corpus / "reports" / "funnel.json").read_text())
    assert funnel["records_in"] == 2 and funnel["records_kept"] == 0
    assert [r["rejected"] for r in funnel["total"]][:2] == [2, 0]
    assert (corpus / "clean").is_dir() and not any((corpus / "clean").iterdir())
