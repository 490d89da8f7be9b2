"""The dataset card (README.md) of a published corpus: Hub metadata in YAML, then what a reader needs to trust it.

A synthetic corpus is only reusable if its card says who the model is meant to be, how the data was made and by
which teachers, what the filters removed and why, whether benchmarks leaked in, and how to load it. Everything here
comes from files the pipeline wrote (persona.toml, stats, funnel.json, decontamination.json, lineage): the card is a
report, not a brochure. It never sees a token or an environment variable.

The YAML block is built by huggingface_hub's DatasetCardData, so the Hub parses it exactly as it was written:
one config per family (plus `all`), each with its parquet data_files, which is what `load_dataset(repo, family)` reads.
"""

from __future__ import annotations

from collections import Counter
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


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "_none_\n"

    def cell(v: Any) -> str:
        text = f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {x}" for x in items) + "\n"


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


def build_card(*, persona: Any, repo: str, families: dict[str, int], records: list[dict], stats: dict[str, Any],
               funnel: dict | None, decontamination: dict | None, validation: dict[str, Any], license: str) -> str:
    """The whole README.md: YAML front matter + prose."""
    total = sum(families.values())
    data = card_data(persona, families, license)
    lin = lineage_summary(records)
    fam_stats = stats.get("families", {})
    parts = [f"---\n{data.to_yaml()}\n---\n"]
    parts.append(f"# {persona.name} synthetic corpus\n\n"
                 f"{total:,} conversations that teach a small model to be **{persona.name}**. "
                 f"{persona.description}\n\nGenerated, grounded and filtered with Crucible; "
                 f"{len(families)} configs, one per family ({', '.join(families)}), plus `all`.\n")

    parts.append("## Persona card\n\n"
                 f"- **Name:** {persona.name}\n- **Creator:** {persona.creator}\n- **Year:** {persona.year}\n"
                 f"- **Tool set:** `{persona.toolset}` "
                 f"({', '.join(t['function']['name'] for t in persona.tools())})\n"
                 f"- **Languages:** {', '.join(persona.languages)}\n\n"
                 "**Personality**\n\n" + _bullets(persona.personality) +
                 "\n**Capabilities**\n\n" + _bullets(persona.capabilities) +
                 "\n**Limitations**\n\n" + _bullets(persona.limitations) +
                 "\n**Facts the model should know about itself**\n\n" + _bullets(persona.facts))

    mix = [[fam, f"{share:.0%}", families.get(fam, 0)] for fam, share in persona.families.items() if share]
    usage = (stats.get("teachers") or {}).get("by_family") or {}
    usage_rows = [[fam, u.get("teacher", "?"), int(u.get("requests") or 0), int(u.get("prompt_tokens") or 0),
                   int(u.get("completion_tokens") or 0), f"${float(u.get('cost_usd') or 0):.4f}"]
                  for fam, u in usage.items()]
    parts.append("## Generation recipe and teachers\n\n"
                 "User turns, tasks and environments are sampled procedurally (topics, user personas, conversation "
                 "dynamics, first-message styles, languages); a teacher LLM writes replies where the family needs one, "
                 "and families whose answers can be computed (reasoning, grounded tool use) are generated "
                 "procedurally. Every tool call in a trace was executed for real in a sandbox: tool messages hold what "
                 "the call printed.\n\n**Target mixture (persona recipe) vs. published records**\n\n"
                 + _table(["family", "target share", "records"], mix)
                 + "\n**Generators**\n\n" + _table(["generator", "records"], [[g, n] for g, n in lin["generators"].most_common()])
                 + "\n**Teachers (from lineage)**\n\n" + _table(["teacher", "records"], [[t, n] for t, n in lin["teachers"].most_common()])
                 + "\n**Teacher usage (generation manifests)**\n\n"
                 + _table(["family", "teacher", "requests", "prompt tokens", "completion tokens", "cost"], usage_rows))

    rows = [[fam, families.get(fam, 0), f.get("tokens", 0), f.get("tokens_p50", 0), f.get("tokens_p90", 0),
             f.get("turns_mean", 0), f.get("tool_calls", 0)] for fam, f in fam_stats.items() if fam in families]
    tools = (stats.get("tools") or {}).get("calls") or {}
    div = stats.get("diversity") or {}
    d_all = (div.get("distinct") or {}).get("all") or {}
    parts.append("## Statistics\n\n"
                 f"Tokens are estimates ({stats.get('token_estimate', 'characters / 4')}).\n\n"
                 + _table(["family", "records", "≈ tokens", "p50", "p90", "mean user turns", "tool calls"], rows)
                 + "\n**Tool calls per tool**\n\n" + _table(["tool", "calls"], [[k, v] for k, v in tools.items()])
                 + ("\n**Diversity** (assistant replies): "
                    f"distinct-1 {d_all.get('distinct_1', 0):.2f}, distinct-2 {d_all.get('distinct_2', 0):.2f}, "
                    f"distinct-3 {d_all.get('distinct_3', 0):.2f}; the 10 most common 4-word openings start "
                    f"{div.get('top10_opening_share', 0):.0%} of replies.\n" if d_all else ""))

    stage_rows = []
    # stats' stage rows are funnel.json's totals with reasons grouped (ids and numbers folded)
    for r in stats.get("stages") or (funnel or {}).get("total") or []:
        top = "; ".join(f"{reason} (×{n})" for reason, n in (r.get("top_reasons") or [])[:2])
        stage_rows.append([r.get("stage"), r.get("in", 0), r.get("kept", 0), r.get("rejected", 0), top[:160]])
    parts.append("## Filter funnel\n\n"
                 "Every stage keeps or rejects each record with a precise reason; for every stage, records in = kept + "
                 "rejected. Stages: schema validation, exact and MinHash near-dedup, benchmark decontamination, ruff "
                 "lint, pyright typecheck, sandboxed execution of code and tests, quality checks.\n\n"
                 + _table(["stage", "in", "kept", "rejected", "top reasons"], stage_rows))

    if decontamination:
        bench_rows = [[name, b.get("n", decontamination.get("n")), b.get("items", 0), b.get("hits", 0),
                       len(b.get("items_hit") or []), ", ".join(f"{m} ×{c}" for m, c in (b.get("by_method") or {}).items())
                       or "—"] for name, b in (decontamination.get("benchmarks") or {}).items()]
        parts.append("## Decontamination\n\n"
                     f"{decontamination.get('scanned', 0):,} records were checked against public benchmarks with "
                     f"{decontamination.get('n', '?')}-gram word overlap and whitespace-normalised code substring "
                     f"matching; {decontamination.get('removed', 0):,} were removed.\n\n"
                     + _table(["benchmark", "n-gram n", "items", "hits (records removed)", "items hit", "how found"],
                              bench_rows))
    else:
        parts.append("## Decontamination\n\nNo decontamination report was found for this corpus.\n")

    parts.append("## Chat-template validation\n\n"
                 f"Before publishing, every clean record was rendered and tokenised with {validation['method']}, "
                 f"and checked for a context of {validation['context']:,} tokens and a non-empty supervised span: "
                 f"{validation['checked']:,} checked, {validation['failed']:,} failed"
                 + (f" and left out ({', '.join(f'{k}: {v}' for k, v in validation['reasons'].items())})"
                    if validation["failed"] else "")
                 + f"; longest {validation['max_tokens']:,} tokens.\n")

    parts.append("## Fields and lineage\n\n"
                 + _table(["column", "content"], [
                     ["id", "content hash of family + messages + tools (duplicates collide)"],
                     ["family", "identity, tool_use, reasoning, textbook or safety"],
                     ["persona", "the persona card's slug"],
                     ["messages", "role, content, reasoning_content (hidden reasoning), tool_calls (arguments as JSON "
                                  "strings), tool_call_id and name; null where a field does not apply"],
                     ["tools", "JSON string: the OpenAI function tools offered in the conversation"],
                     ["verification", "JSON string: family ground truth (expected answer and checker, module + tests "
                                      "and their outcome, tool environment)"],
                     ["lineage", "JSON string: generator and generator_version, teacher {provider, model, params}, "
                                 "prompt_template_hash, seed, facets (sampled topic, style, language...), run_id, "
                                 "created_at"],
                     ["verdicts", "JSON string: filter stage -> {passed, reason, score}"],
                 ]))

    first = next(iter(families), "identity")
    parts.append("## How to load\n\n```python\nimport json\nfrom datasets import load_dataset\n\n"
                 f"ds = load_dataset(\"{repo}\", \"{first}\", split=\"train\")   # or \"all\"\n"
                 "row = ds[0]\n"
                 "tools = json.loads(row[\"tools\"])\n"
                 "text = tokenizer.apply_chat_template(row[\"messages\"], tools=tools or None, tokenize=False)\n"
                 "```\n\nConfigs: " + ", ".join(f"`{f}` ({n:,})" for f, n in families.items())
                 + f", `all` ({total:,}). Other trainers: `python -m factory export format=nanochat|openai|hf` "
                 "writes nanochat CustomJSON and OpenAI fine-tuning JSONL from the same records.\n")
    return "\n".join(parts)
