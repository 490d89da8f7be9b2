"""SIGKILL at every commit and publish step of generate, filter, pack and train, of the main process alone (the OOM
killer) or of its whole process group (a power cut), then the same command again.

Each case ends with the same checks: the rerun finishes; what it produced equals what an uninterrupted run produced
(nothing lost, nothing duplicated); no process of the killed run is left; no temp folder is left, neither in the
run's TMPDIR nor beside the files it was writing.

Kill points are named in the code (`schemas.faults.point`), so a case kills exactly between two steps of a commit
instead of hoping a timer lands there; one timed kill per command covers "anywhere else".
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.faults.conftest import (
    PERSONA,
    TRAIN,
    generate_args,
    raw_summary,
    temp_leftovers,
    tree,
    wait_gone,
)

pytestmark = pytest.mark.slow

LEFTOVER_MARKS = (".tmp", ".old", "staged")


def corpus_leftovers(root) -> list[str]:
    """Half-written files and renamed-aside versions anywhere under the corpus root (none may survive a rerun)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if any(mark in p.name for mark in LEFTOVER_MARKS) and ".filter/logs" not in str(p))


def assert_no_leftovers(env, *runs) -> None:
    for run in runs:
        assert wait_gone(run) == [], f"processes left by {run.args[:2]}"
    assert temp_leftovers(env.tmp) == []
    assert corpus_leftovers(env.root) == []


# ---------------------------------------------------------------------------------------------------------------
# generate: the three steps of a commit (rejects appended, part file renamed in, ledger line) and a timed kill

GENERATE_KILLS = [
    ("generate.commit.rejects:1", False),
    ("generate.commit.part:2", False),
    ("generate.commit.ledger:3", True),
    ("timed:6", True),
    ("timed:9", False),
]


@pytest.mark.parametrize("point, group", GENERATE_KILLS, ids=[f"{p}-{'group' if g else 'main'}" for p, g in GENERATE_KILLS])
def test_generate_killed_resumes_to_the_same_records(built, case, point, group):
    want_counts, want_ids, _ = raw_summary(built / PERSONA)
    for path in (case.corpus / "raw").iterdir():  # start from nothing, with the reference's card and seed
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
    if point.startswith("timed:"):
        killed = case.kill_after("factory", *generate_args(), seconds=float(point.split(":")[1]), group=group)
    else:
        killed = case.run("factory", *generate_args(), CRUCIBLE_FAULT=point + (":group" if group else ""))
    assert killed.returncode in (-signal.SIGKILL, 0), killed.stderr[-2000:]
    again = case.run("factory", *generate_args(), check=True)
    counts, ids, lines = raw_summary(case.corpus)
    assert lines == len(ids) == sum(want_counts.values()), "a record was lost or written twice"
    assert counts == want_counts and ids == want_ids, "the resumed run made other records than an uninterrupted one"
    assert_no_leftovers(case, killed, again)


# ---------------------------------------------------------------------------------------------------------------
# filter: every step of the publish (journal written, each rename, done mark), then the resume

FILTER_KILLS = [
    ("filter.publish.journal", False),
    ("filter.publish.move:1", True),
    ("filter.publish.move:2", False),
    ("filter.publish.move:3", False),
    ("filter.publish.done", True),
]


def published(corpus) -> dict:
    """clean/, rejected/ and the reports as a reader sees them: the funnel without its creation time and the folders
    it names (they carry the corpus root, which differs per case); not filter.log, the third-party lines of each run."""
    files = {k: v for k, v in tree(corpus).items() if k.split("/")[0] in ("clean", "rejected", "reports")
             and k != "reports/filter.log"}
    funnel = json.loads(files.pop("reports/funnel.json"))
    for volatile in ("created_at", "clean", "rejected"):
        funnel.pop(volatile, None)
    return {**files, "funnel": funnel}


@pytest.mark.parametrize("point, group", FILTER_KILLS, ids=[f"{p}-{'group' if g else 'main'}" for p, g in FILTER_KILLS])
def test_filter_killed_inside_its_publish_resumes(built, staged_case, point, group):
    from schemas.settings import InputError
    from schemas.storage import publish_pending, read_clean

    killed = staged_case.run("factory", "filter", f"persona={PERSONA}", "--no-progress", "--resume",
                             CRUCIBLE_FAULT=point + (":group" if group else ""))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    if point != "filter.publish.done":  # decided but unfinished: a reader must refuse, not mix two runs
        assert publish_pending(staged_case.corpus)
        with pytest.raises(InputError, match="--resume"):
            read_clean(staged_case.corpus)
    again = staged_case.run("factory", "filter", f"persona={PERSONA}", "--no-progress", "--resume", check=True)
    assert not publish_pending(staged_case.corpus)
    assert published(staged_case.corpus) == published(built / PERSONA)
    assert_no_leftovers(staged_case, killed, again)


@pytest.mark.parametrize("group", [False, True], ids=["main", "group"])
def test_filter_killed_mid_run_leaves_no_helper_and_resumes(built, case, group):
    """The datatrove pool, its forkserver, Manager and resource tracker die with the main process (issue 18 item 7)."""
    import shutil

    for name in ("clean", "rejected", "reports", ".filter"):
        shutil.rmtree(case.corpus / name, ignore_errors=True)
    # ~2.4 s into the first phase, while its worker pool runs
    killed = case.run("factory", "filter", f"persona={PERSONA}", "--no-progress",
                      CRUCIBLE_FAULT="filter.running:8" + (":group" if group else ""))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert wait_gone(killed) == [], "datatrove helpers outlived the filter"
    again = case.run("factory", "filter", f"persona={PERSONA}", "--no-progress", "--resume", check=True)
    assert published(case.corpus) | {"funnel": None} == published(built / PERSONA) | {"funnel": None}
    assert_no_leftovers(case, killed, again)


# ---------------------------------------------------------------------------------------------------------------
# pack: staged, and between the two renames of the swap

@pytest.mark.parametrize("point", ["pack.staged", "storage.replace_dir.aside", "timed:4"])
def test_pack_killed_then_packed_again(built, case, point):
    args = ("pack", f"persona={PERSONA}", "seq_len=128", "rows_per_shard=8")
    if point.startswith("timed:"):
        killed = case.kill_after("trainer", *args, seconds=float(point.split(":")[1]), group=True)
    else:
        killed = case.run("trainer", *args, CRUCIBLE_FAULT=point)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    again = case.run("trainer", *args, check=True)

    def shards(root):
        files = tree(root / PERSONA / "shards")
        manifest = json.loads(files.pop("manifest.json"))
        for key in ("created_at", "source"):
            manifest.pop(key)
        return {**files, "manifest": manifest}

    assert shards(case.root) == shards(built)
    assert_no_leftovers(case, killed, again)


# ---------------------------------------------------------------------------------------------------------------
# train: the three steps of a checkpoint save, and a timed kill; resume=latest must give the uninterrupted curve

TRAIN_KILLS = [("train.checkpoint.staged:2", False), ("train.checkpoint.renamed:1", True),
               ("train.checkpoint.latest:2", False), ("timed:8", True)]


def curve(run_dir) -> dict[int, float]:
    rows = [json.loads(line) for line in (run_dir / "train_log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in rows if "loss" in r]
    assert len(steps) == len(set(steps)), f"train_log.jsonl repeats steps: {steps}"
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


@pytest.mark.parametrize("point, group", TRAIN_KILLS, ids=[f"{p}-{'group' if g else 'main'}" for p, g in TRAIN_KILLS])
def test_train_killed_resumes_to_the_same_curve(built, case, point, group):
    out = case.root / "again"
    args = ("train", *TRAIN, f"persona={PERSONA}", f"shards={case.corpus / 'shards'}", f"out={out}")
    if point.startswith("timed:"):
        killed = case.kill_after("trainer", *args, seconds=float(point.split(":")[1]), group=group)
    else:
        killed = case.run("trainer", *args, CRUCIBLE_FAULT=point + (":group" if group else ""))
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    if any(out.glob("step_*")):  # resume=latest finds the newest whole checkpoint, with or without `latest`
        again = case.run("trainer", "train", f"out={out}", f"shards={case.corpus / 'shards'}", "resume=latest",
                         check=True)
    else:  # killed before its first checkpoint: a fresh run, whose log must not keep the killed run's steps
        again = case.run("trainer", *args, check=True)
    assert curve(out) == curve(built / "ckpt")
    assert_no_leftovers(case, killed, again)
