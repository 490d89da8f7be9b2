"""The filter on real clusters on this machine: a Ray head (2 CPUs) and a single-node Slurm (munged, slurmctld,
slurmd), each started and stopped here (tests/clusters.py). The same corpus as tests/test_filter_pipeline.py (every
family, a planted problem per stage) must come out exactly as the local executor leaves it: the same clean ids, the
same rejected records with the same reasons, the same funnel counts.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
from pathlib import Path

import polars as pl
import pytest

from filters.pipeline import Settings, run
from tests.clusters import ClusterUnavailable, ray_head, slurm_cluster
from tests.conftest import BENCHMARKS
from tests.test_filter_pipeline import build_corpus

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("clusters")]  # one Slurm/Ray cluster at a time (munge, ports)


def outcome(corpus: Path) -> dict:
    """What a filter run decided, without where or how fast it ran."""
    clean = sorted(pl.concat([pl.read_parquet(p, columns=["id"]) for p in (corpus / "clean").glob("*/*.parquet")])
                   ["id"].to_list())
    rejected = []
    for path in sorted((corpus / "rejected").glob("*/*.jsonl")):
        for line in path.read_text().splitlines():
            item = json.loads(line)
            key = item["record"]["id"] if item.get("record") else f"raw:{item.get('raw')}"
            rejected.append((item["stage"], key, item["reason"]))
    funnel = json.loads((corpus / "reports" / "funnel.json").read_text())

    def counts(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    return {"clean": clean, "rejected": sorted(rejected), "total": counts(funnel["total"]),
            "families": {family: counts(rows) for family, rows in funnel["families"].items()},
            "records_in": funnel["records_in"], "records_kept": funnel["records_kept"]}


def copy_input(source: Path, corpora: Path) -> Path:
    """The raw corpus and persona card only, into a new corpora root."""
    corpus = corpora / "lanbot"
    shutil.copytree(source / "raw", corpus / "raw")
    shutil.copy(source / "persona.toml", corpus / "persona.toml")
    return corpus


def filter_cli(corpora: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 600):
    """`just filter ...` as a person types it (the Justfile calls `python -m factory filter`)."""
    argv = [str(REPO / ".venv" / "bin" / "just"), "filter", "persona=lanbot", f"corpora={corpora}",
            f"benchmarks={BENCHMARKS}", "--no-progress", *args]
    proc = subprocess.Popen(argv, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:  # timed out: the recipe's python too, not only `just`
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> tuple[Path, dict]:
    corpora = tmp_path_factory.mktemp("local")
    built = build_corpus(corpora)
    run(Settings(persona="lanbot", corpora=str(corpora), workers=2, benchmarks=str(BENCHMARKS)), progress=False)
    result = outcome(corpora / "lanbot")
    assert result["clean"] == sorted(built["clean"])  # type: ignore[call-overload]
    return corpora / "lanbot", result


def test_ray_cluster_gives_the_local_result(local_run, tmp_path: Path):
    source, expected = local_run
    corpus = copy_input(source, tmp_path)
    try:
        with ray_head(cpus=2) as address:
            done = filter_cli(tmp_path, "executor=ray", f"address={address}", "workers=2")
    except ClusterUnavailable as e:
        pytest.skip(f"no local Ray cluster: {e}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert outcome(corpus) == expected
    funnel = json.loads((corpus / "reports" / "funnel.json").read_text())
    assert funnel["executor"] == "ray"
    # every task ran as a Ray task and left datatrove's completion mark and log
    assert len(list((corpus / ".filter" / "logs" / "checks" / "completions").iterdir())) == 2
    assert (corpus / ".filter" / "logs" / "checks" / "logs" / "task_00001.log").is_file()


def test_ray_node_without_bubblewrap_fails_before_any_phase_with_one_line(local_run, tmp_path: Path):
    source, _ = local_run
    corpus = copy_input(source, tmp_path)
    try:
        with ray_head(cpus=1, hide_bwrap=True) as address:
            done = filter_cli(tmp_path, "executor=ray", f"address={address}")
    except ClusterUnavailable as e:
        pytest.skip(f"no local Ray cluster without bwrap: {e}")
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    [line] = [line for line in done.stderr.splitlines() if "executor=ray" in line]
    assert "executor=ray: sandbox=local cannot run the checks on 1 of 1 node(s)" in line, done.stderr[-2000:]
    assert "bubblewrap not found: install it with `apt-get install bubblewrap`" in line, line
    assert not (corpus / ".filter" / "logs" / "ingest").exists()  # nothing ran


def test_ray_node_without_the_judge_spec_fails_before_any_phase_with_one_line(local_run, tmp_path: Path,
                                                                             monkeypatch):
    """The driver ships no judge secret: a node whose own environment lacks CRUCIBLE_JUDGE_SPEC is found by the
    preflight (one small task per node), and the run stops there with one line naming the variable and the node."""
    import socket

    from generators.teachers.connect import JUDGE_SPEC_ENV

    source, _ = local_run
    corpus = copy_input(source, tmp_path)
    monkeypatch.delenv(JUDGE_SPEC_ENV, raising=False)  # neither the node (started from here) nor the driver has it
    try:
        with ray_head(cpus=1) as address:
            done = filter_cli(tmp_path, "executor=ray", f"address={address}", "judge=openai:gpt-4o-mini",
                              env={"OPENAI_API_KEY": "sk-driver-only-5e1d"})
    except ClusterUnavailable as e:
        pytest.skip(f"no local Ray cluster: {e}")
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    [line] = [line for line in done.stderr.splitlines() if "executor=ray" in line]
    assert "executor=ray: the judge cannot run on 1 of 1 node(s)" in line, done.stderr[-2000:]
    assert f"{JUDGE_SPEC_ENV} is not set on node {socket.gethostname()}" in line, line
    assert not (corpus / ".filter" / "logs" / "ingest").exists()  # nothing ran


def test_ray_judge_reads_its_secrets_on_the_node_and_the_job_table_shows_none(local_run, tmp_path: Path):
    """judge= typed with credentials on the driver's command line (a URL with user:password@ and ?api_key=); the
    node has its own full spec in CRUCIBLE_JUDGE_SPEC (other credentials, the same scrubbed spec). The Ray workers
    judge with the node's spec (the real local llama-server answers); the driver's credentials reach neither the
    cluster's job table (the entrypoint Ray records) nor any file of Ray's session or of the corpus."""
    import ray
    import ray._private.state as ray_state
    import ray._private.worker as ray_worker

    from generators.teachers.localserver import LocalServer, binary_path
    from schemas.secrets import scrub_spec

    if not binary_path().exists():
        pytest.skip("llama-server not built (./install.sh)")
    source, _ = local_run
    corpus = copy_input(source, tmp_path)
    driver = ("driveruser", "pw-driver-91c4e7", "sk-driver-2f8a60")
    node = ("nodeuser", "pw-node-4d2b19", "sk-node-7c3e05")
    with LocalServer(parallel=2, alias="smol") as server:
        def url(user: str, password: str, key: str) -> str:
            return f"http://{user}:{password}@127.0.0.1:{server.port}/v1?api_key={key}@smol"

        try:
            with ray_head(cpus=2, env={"CRUCIBLE_JUDGE_SPEC": url(*node)}) as address:
                done = filter_cli(tmp_path, "executor=ray", f"address={address}", "workers=2", f"judge={url(*driver)}",
                                  "judge_max=1", "judge_threshold=1")
                ray.init(address=address, logging_level=logging.ERROR)
                try:
                    entrypoints = [job["Entrypoint"] for job in ray_state.jobs()]
                    head = ray_worker._global_node
                    assert head is not None
                    session = Path(head.get_session_dir_path())
                finally:
                    ray.shutdown()
                ray_files = [p for p in session.rglob("*") if p.is_file()]
                leaks = [f"{p}: {s}" for p in ray_files for s in driver if s.encode() in p.read_bytes()]
        except ClusterUnavailable as e:
            pytest.skip(f"no local Ray cluster: {e}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    funnel = json.loads((corpus / "reports" / "funnel.json").read_text())
    judge = funnel["judge"]
    assert judge["judged"] + judge["failed"] >= 1 and judge["requests"] >= 1, judge  # the workers reached the judge
    assert judge["spec"] == scrub_spec(url(*driver)) == scrub_spec(url(*node)), judge["spec"]  # what both name
    driver_jobs = [e for e in entrypoints if "factory filter" in e]
    assert driver_jobs and all("judge=http://127.0.0.1:" in e for e in driver_jobs), entrypoints
    assert not [e for e in entrypoints for s in driver if s in e], entrypoints
    leaks += [f"{p}: {s}" for p in corpus.rglob("*") if p.is_file() for s in (*driver, *node) if s.encode() in
              p.read_bytes()]
    leaks += [f"output: {s}" for s in (*driver, *node) if s in done.stdout + done.stderr]
    assert len(ray_files) > 10 and leaks == [], leaks[:10]


def test_ray_without_a_cluster_is_one_line(tmp_path: Path):
    shutil.copytree(REPO / "corpora" / "lanbot", tmp_path / "lanbot", ignore=lambda *_: ["raw", "clean", "rejected"])
    done = filter_cli(tmp_path, "executor=ray", "address=127.0.0.1:1", timeout=120)
    assert done.returncode == 2
    [line] = [line for line in done.stderr.splitlines() if "executor=ray" in line]
    assert "executor=ray: no Ray cluster at address=127.0.0.1:1" in line, done.stderr[-2000:]


def test_slurm_cluster_fails_in_one_line_resumes_only_what_is_missing_and_gives_the_local_result(
        local_run, tmp_path: Path):
    """A real failure first: sandbox=e2b without a key fails the execution stage inside the `checks` array, after
    five phases have finished. The run cancels the rest of its chain and says so in one line; `--resume` with the
    local sandbox submits only the unfinished phases and ends with exactly the local result."""
    source, expected = local_run
    corpus = copy_input(source, tmp_path)
    work = corpus / ".filter"
    try:
        with slurm_cluster(cpus=2) as slurm:
            env = {"SLURM_CONF": slurm["SLURM_CONF"], "E2B_API_KEY": ""}
            args = ("executor=slurm", f"partition={slurm['partition']}", "workers=2")
            failed = filter_cli(tmp_path, *args, "sandbox=e2b", env=env)
            queue_after_failure = subprocess.run(["squeue", "-h"], env={**os.environ, **env}, capture_output=True,
                                                 text=True, check=False).stdout
            marks = {p: p.stat().st_mtime_ns for p in (work / "logs").glob("*/completions/*")}
            done = filter_cli(tmp_path, *args, "--resume", env=env)
    except ClusterUnavailable as e:
        pytest.skip(f"single-node Slurm could not start: {e}")
    assert failed.returncode == 2, failed.stdout[-3000:] + failed.stderr[-3000:]
    [line] = [line for line in failed.stderr.splitlines() if "executor=slurm" in line]
    assert "executor=slurm: phase checks, task " in line and "E2B_API_KEY is not set" in line, line
    assert queue_after_failure.strip() == ""  # finalize's array (pending forever otherwise) was cancelled
    assert {p.parent.parent.name for p in marks} == {"ingest", "exact_index", "exact_dedup", "near_signatures",
                                                     "near_buckets", "near_cluster"}

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert outcome(corpus) == expected
    for path, mtime in marks.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was redone"
    funnel = json.loads((corpus / "reports" / "funnel.json").read_text())
    assert funnel["executor"] == "slurm"
    # phase wall times from submission and completion marks (a chain is submitted at once, nobody times it)
    assert set(funnel["phases"]) == {p.parent.parent.name for p in marks} | {"checks"}, funnel["phases"]
    assert all(0 <= seconds < 600 for seconds in funnel["phases"].values()), funnel["phases"]
    assert len(list((work / "logs" / "checks" / "completions").iterdir())) == 2
    assert list((work / "slurm_logs" / "checks").glob("*_1.out"))  # sbatch's own log, where datatrove puts it
    assert (work / "logs" / "checks" / "launch_script.slurm").read_text().count("#SBATCH --partition=") == 1


def test_slurm_node_without_the_judge_spec_fails_before_any_phase_with_one_line(local_run, tmp_path: Path,
                                                                               monkeypatch):
    """As on Ray: the job's environment on the node (Slurm's --export=ALL of the submitting shell, under the phases'
    own launch script) lacks CRUCIBLE_JUDGE_SPEC. One short srun job, one task per node, finds it before any array
    is submitted: one line naming the variable and the node, exit 2, nothing queued, no output written. With the
    spec and the key in that environment, the same preflight passes on the node."""
    import socket

    from datatrove.executor.slurm import SlurmPipelineExecutor

    from filters.cluster import slurm_preflight
    from generators.teachers.connect import JUDGE_SPEC_ENV, JudgeConnection

    source, _ = local_run
    corpus = copy_input(source, tmp_path)
    monkeypatch.delenv(JUDGE_SPEC_ENV, raising=False)  # neither the node's daemons (started from here) nor the driver
    try:
        with slurm_cluster(cpus=2) as slurm:
            env = {"SLURM_CONF": slurm["SLURM_CONF"], "OPENAI_API_KEY": "sk-driver-only-5e1d"}
            done = filter_cli(tmp_path, "executor=slurm", f"partition={slurm['partition']}",
                              "judge=openai:gpt-4o-mini", env=env)
            queue = subprocess.run(["squeue", "-h"], env={**os.environ, **env}, capture_output=True, text=True,
                                   check=False).stdout
            for name, value in {**env, JUDGE_SPEC_ENV: "openai:gpt-4o-mini", "PYTHONPATH": str(REPO)}.items():
                monkeypatch.setenv(name, value)
            ex = SlurmPipelineExecutor([], tasks=1, time="00:05:00", partition=slurm["partition"], qos="",
                                       job_name="crucible-filter-lanbot-ingest", logging_dir=str(tmp_path / "logs"),
                                       venv_path=str(REPO / ".venv" / "bin" / "activate"))
            checked = slurm_preflight(ex, JudgeConnection("openai:gpt-4o-mini").check)
    except ClusterUnavailable as e:
        pytest.skip(f"single-node Slurm could not start: {e}")
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    [line] = [line for line in done.stderr.splitlines() if "executor=slurm" in line]
    assert "executor=slurm: the judge cannot run on 1 of 1 node(s)" in line, done.stderr[-2000:]
    assert f"{JUDGE_SPEC_ENV} is not set on node {socket.gethostname()}" in line, line
    assert queue.strip() == ""  # no phase was submitted
    assert not (corpus / ".filter" / "logs" / "ingest").exists() and not (corpus / ".filter" / "slurm_logs").exists()
    assert not (corpus / "clean").exists() and not (corpus / "rejected").exists()
    assert checked == 1
