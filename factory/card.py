"""The dataset card (README.md) of a published corpus: Hub metadata in YAML, then what a reader needs to trust it.

A synthetic corpus is only reusable if its card says who the model is meant to be, how the data was made and by
which teachers, what the filters removed and why, whether benchmarks leaked in, and how to load it. Everything here
comes from files the pipeline wrote (persona.toml, stats, funnel.json, decontamination.json, lineage): the card is a
report, not a brochure. It never sees a token or an environment variable.

The YAML block is built by huggingface_hub's DatasetCardData, so the Hub parses it exactly as it was written:
one config per family (plus `all`), each with its parquet data_files, which is what `load_dataset(repo, family)` reads.
The prose is factory/templates/card.md.jinja (package data); this module only computes what it shows.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
TAGS_BY_FAMILY = {"identity": ["persona", "identity"], "tool_use": ["tool-use", "function-calling", "agent"],
                  "reasoning": ["reasoning", "math"], "textbook": ["code", "python", "textbook"],
                  "safety": ["safety", "tool-use"]}


def size_category(n: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if n < limit:
            return name
    return "n>1B"


def configs(families: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"config_name": fam, "data_files": [{"split": "train", "path": f"data/{fam}/*.parquet"}]}
                                 for fam in families]
    # `all` is the default, so load_dataset(repo) without a config name gets the whole corpus
    out.append({"config_name": "all", "data_files": [{"split": "train", "path": "data/*/*.parquet"}], "default": True})
    return out


def card_data(persona: Any, families: dict[str, int], license: str) -> Any:
    from huggingface_hub import DatasetCardData

    tags = ["synthetic", "crucible", "sft", "conversational"]
    for fam in families:
        tags += [t for t in TAGS_BY_FAMILY.get(fam, []) if t not in tags]
    return DatasetCardData(
        license=license, language=list(persona.languages), task_categories=["text-generation"],
        size_categories=[size_category(sum(families.values()))], tags=tags,
        pretty_name=f"{persona.name} synthetic corpus", configs=configs(list(families)))


def _cell(value: Any) -> str:
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


@cache
def template() -> Any:
    from jinja2 import Environment, StrictUndefined

    env = Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined,
                      autoescape=False)  # markdown, not HTML
    env.filters["cell"] = _cell
    env.filters["n"] = _number
    source = resources.files("factory").joinpath("templates", "card.md.jinja").read_text(encoding="utf-8")
    return env.from_string(source)


def lineage_summary(records: list[dict]) -> dict[str, Counter[str]]:
    """Generators (with version) and teachers, counted over the published records."""
    gens: Counter[str] = Counter()
    teachers: Counter[str] = Counter()
    for rec in records:
        lin = rec.get("lineage") or {}
        gens[f"{lin.get('generator', '?')} v{lin.get('generator_version', '?')}"] += 1
        t = lin.get("teacher")
        teachers[f"{t.get('provider')}:{t.get('model')}" if isinstance(t, dict) else "none (procedural)"] += 1
    return {"generators": gens, "teachers": teachers}


FIELDS = [
    ["id", "content hash of family + messages + tools (duplicates collide)"],
    ["family", "identity, tool_use, reasoning, textbook or safety"],
    ["persona", "the persona card's slug"],
    ["messages", "list of JSON objects for apply_chat_template: role, content, and where they apply reasoning_content "
                 "(hidden reasoning), tool_calls (arguments as objects, 9-character ids), tool_call_id and name"],
    ["tools", "list of JSON objects: the OpenAI function tools offered in the conversation ([] when none)"],
    ["verification", "JSON object: family ground truth (expected answer and checker, module + tests and their "
                     "outcome, tool environment)"],
    ["lineage", "JSON object: generator and generator_version, teacher {provider, model, params}, "
                "prompt_template_hash, seed, facets (sampled topic, style, language...), run_id, created_at"],
    ["verdicts", "JSON object: filter stage -> {passed, reason, score}"],
]


def build_card(*, persona: Any, repo: str, families: dict[str, int], records: list[dict], stats: dict[str, Any],
               funnel: dict | None, decontamination: dict | None, validation: dict[str, Any], license: str,
               calls: str = "split") -> str:
    """The whole README.md: YAML front matter + prose (factory/templates/card.md.jinja)."""
    lin = lineage_summary(records)
    fam_stats = stats.get("families", {})
    usage = (stats.get("teachers") or {}).get("by_family") or {}
    div = stats.get("diversity") or {}
    d_all = (div.get("distinct") or {}).get("all") or {}
    stage_rows = []
    # stats' stage rows are funnel.json's totals with reasons grouped (schemas.reasons)
    for r in stats.get("stages") or (funnel or {}).get("total") or []:
        top = "; ".join(f"{reason} (×{n})" for reason, n in (r.get("top_reasons") or [])[:3])
        stage_rows.append([r.get("stage"), r.get("in", 0), r.get("kept", 0), r.get("rejected", 0), top[:200]])
    decon = None
    bench_rows: list[list[Any]] = []
    if decontamination:
        decon = {"scanned": decontamination.get("scanned", 0), "n": decontamination.get("n", "?"),
                 "removed": decontamination.get("removed", 0)}
        bench_rows = [[name, b.get("n", decontamination.get("n")), b.get("items", 0), b.get("hits", 0),
                       len(b.get("items_hit") or []),
                       ", ".join(f"{m} ×{c}" for m, c in (b.get("by_method") or {}).items()) or "—"]
                      for name, b in (decontamination.get("benchmarks") or {}).items()]
    context = {
        "yaml": card_data(persona, families, license).to_yaml(),
        "persona": persona, "repo": repo, "families": families, "total": sum(families.values()),
        "first": next(iter(families), "identity"), "calls": calls,
        "tool_names": [t["function"]["name"] for t in persona.tools()],
        "mix": [[fam, f"{share:.0%}", families.get(fam, 0)] for fam, share in persona.families.items() if share],
        "generators": [[g, n] for g, n in lin["generators"].most_common()],
        "teachers": [[t, n] for t, n in lin["teachers"].most_common()],
        "usage": [[fam, u.get("teacher", "?"), int(u.get("requests") or 0), int(u.get("prompt_tokens") or 0),
                   int(u.get("completion_tokens") or 0), f"${float(u.get('cost_usd') or 0):.4f}"]
                  for fam, u in usage.items()],
        "token_estimate": stats.get("token_estimate", "characters / 4"),
        "family_stats": [[fam, families.get(fam, 0), f.get("tokens", 0), f.get("tokens_p50", 0),
                          f.get("tokens_p90", 0), f.get("turns_mean", 0), f.get("tool_calls", 0)]
                         for fam, f in fam_stats.items() if fam in families],
        "tool_calls": [[k, v] for k, v in ((stats.get("tools") or {}).get("calls") or {}).items()],
        "diversity": {"distinct_1": d_all.get("distinct_1", 0), "distinct_2": d_all.get("distinct_2", 0),
                      "distinct_3": d_all.get("distinct_3", 0), "top10": div.get("top10_opening_share", 0)}
        if d_all else None,
        "stages": stage_rows, "decontamination": decon, "benchmarks": bench_rows,
        "validation": validation,
        "left_out_reasons": [[k, v] for k, v in (validation.get("reasons") or {}).items()],
        "left_out_families": [[k, v] for k, v in (validation.get("by_family") or {}).items()],
        "fields": FIELDS,
    }
    return template().render(**context)
