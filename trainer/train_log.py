"""The train_log.jsonl that both training loops (train.py, finetune.py) append a row a step to, and its readers.

A row is a JSON object with its `step`, and `loss` and/or `val_loss` among other figures.
"""

import json
from pathlib import Path

from schemas.storage import write_atomic


def trim_log(path: Path, step: int) -> None:
    """Drop the log rows of steps after `step` (done after the checkpoint a run resumes from, then lost with the
    crash), so the resumed run's rows are the only ones for those steps. A torn last line goes too."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] <= step:
            kept.append(line + "\n")
    write_atomic(path, "".join(kept))


def read_curve(path: Path) -> dict[str, list]:
    """The loss and validation-loss curves of a run's log (empty when it has none)."""
    steps, loss, val_steps, val_loss = [], [], [], []
    if path.is_file():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row.get("loss") is not None:
                steps.append(row["step"])
                loss.append(row["loss"])
            if row.get("val_loss") is not None:
                val_steps.append(row["step"])
                val_loss.append(row["val_loss"])
    return {"steps": steps, "loss": loss, "val_steps": val_steps, "val_loss": val_loss}
