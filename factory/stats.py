"""`python -m factory stats persona=lanbot`: what is in a corpus, as a terminal dashboard, stats.json and stats.html.

A corpus is only as good as its mix, its lengths, its tool use and its diversity, and none of that is visible from a
folder of JSONL. This module reads raw, clean and rejected records with polars (the nested JSON columns are decoded in
Rust, so 100k records take seconds, not minutes; bench/bench_stats.py), computes the numbers once into
`reports/stats.json`, prints the rich dashboard and hands the same numbers to factory/report_html.py for the page.

The population the distributions describe is the clean corpus (what the model trains on) when the filter has run,
else the raw records. Tokens are an estimate: characters of the canonical JSON of a record's messages / 4. That JSON
carries what the trainer renders (contents, reasoning, tool-call JSON, tool outputs) plus ~8 tokens of keys per
message, about what the role markers cost, so it tracks rendered length without needing a trained tokenizer. When
the corpus has one (corpora/<p>/tokenizer or shards/tokenizer), a sample is rendered with trainer.render and the
measured ratio is reported next to the estimate.

    python -m factory stats persona=lanbot [root=corpora] [browse=2000] [html=true] [quiet=false]
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from factory import code_shapes, tool_shapes
from schemas import FAMILIES
from schemas.reasons import reason_group
from schemas.settings import UsageError, parse_settings
from schemas.storage import find_tokenizer, shown_path, write_atomic

# The filter's stage order (filters/docs.py STAGES); repeated here so `stats` does not import datatrove (~2 s).
# funnel.json's own "stages" list wins when it exists.
STAGE_ORDER = ("parse", "schema", "exact_dedup", "near_dedup", "decontamination", "lint", "typecheck", "execution",
               "quality")
TOKEN_EDGES = [0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
CHARS_PER_TOKEN = 4
BROWSE_CAP = 2000
NGRAM_SAMPLE = 10_000  # replies per family that distinct-n is computed over (a stride sample; same size per family)
MAX_BROWSE_CHARS = 3000  # per message field in the page: the page must stay small enough to open instantly

MESSAGES = pl.List(pl.Struct({
    "role": pl.String, "content": pl.String, "reasoning": pl.String, "name": pl.String,
    "tool_calls": pl.List(pl.Struct({"id": pl.String, "function": pl.Struct({"name": pl.String})})),
}))
LINEAGE = pl.Struct({"generator": pl.String, "teacher": pl.Struct({"provider": pl.String, "model": pl.String}),
                     "facets": pl.Struct({"language": pl.String, "style": pl.String})})
VERIFICATION = pl.Struct({"level": pl.Int64, "source": pl.String})
# schemas.rejection's shape; a parse-stage reject has no record, only {"raw", "file", "line", "family"}
REJECTED = pl.Struct({"stage": pl.String, "reason": pl.String, "family": pl.String,
                      "record": pl.Struct({"id": pl.String, "family": pl.String})})

# Cheap language guess for identity records that carry no `facets.language`: function words and greetings.
LANG_WORDS = {
    "en": ["the", "you", "are", "what", "who", "is", "your", "and", "hello", "hi", "hey", "do", "i", "me", "my", "how", "name", "made", "built"],
    "es": ["el", "la", "que", "eres", "quién", "quien", "tu", "tú", "cómo", "como", "hola", "qué", "de", "los", "tus", "te", "tienes"],
    "fr": ["le", "la", "les", "est", "tu", "es", "qui", "que", "bonjour", "salut", "ton", "ta", "comment", "vous", "et", "t'a"],
    "de": ["der", "die", "das", "du", "bist", "wer", "wie", "hallo", "ist", "dein", "deine", "und", "hat", "dich", "was"],
    "it": ["il", "che", "sei", "chi", "ciao", "come", "tuo", "tua", "di", "gli", "hai"],
    "pt": ["você", "quem", "olá", "como", "seu", "sua", "não", "do", "da", "os"],
    "nl": ["jij", "wie", "je", "hallo", "hoe", "het", "een", "ben", "wat", "jouw"],
}
_WORD = re.compile(r"[\w']+")
_NEAR = re.compile(r"near duplicate of (\w+)")
_EXACT = re.compile(r"exact duplicate of (\w+)")


# ---------------------------------------------------------------------------------------------------------------------
# reading


@dataclass
class Corpus:
    """Everything `stats` reads from corpora/<persona>/, loaded once."""

    path: Path
    persona: str
    primary: pl.DataFrame  # id, family, messages, lineage, verification (JSON strings), tools or line, status
    population: str  # "clean" or "raw"
    raw_counts: dict[str, int]
    clean_counts: dict[str, int]
    rejected: pl.DataFrame  # stage, reason, id, family, line
    generation_rejects: pl.DataFrame  # family, reason
    funnel: dict | None = None
    decontamination: dict | None = None
    manifests: dict[str, dict] = field(default_factory=dict)
    demo: dict | None = None
    eval_report: dict | None = None  # reports/eval.json from `just eval`


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    return data if isinstance(data, dict) else None


def _lines(paths: list[Path]) -> tuple[list[str], list[str]]:
    """(non-empty lines, the file each came from) of several JSONL files."""
    lines: list[str] = []
    origin: list[str] = []
    for path in paths:
        chunk = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        lines.extend(chunk)
        origin.extend([path.parent.name] * len(chunk))
    return lines, origin


def _count_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _sanitize(value: Any, dtype: Any) -> Any:
    """Project a parsed JSON value onto a polars dtype, nulling what does not fit (the slow path for odd records)."""
    if value is None:
        return None
    if isinstance(dtype, pl.Struct):
        if not isinstance(value, dict):
            return None
        return {f.name: _sanitize(value.get(f.name), f.dtype) for f in dtype.fields}
    if isinstance(dtype, pl.List):
        return [_sanitize(v, dtype.inner) for v in value] if isinstance(value, list) else None
    if dtype == pl.Int64:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def decode(column: pl.Series, dtype: Any) -> pl.Series:
    """json_decode in Rust; a column with a malformed or oddly typed value falls back to a per-value projection."""
    try:
        return column.str.json_decode(dtype)
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError):
        rows = []
        for text in column.to_list():
            try:
                rows.append(_sanitize(json.loads(text), dtype) if text is not None else None)
            except json.JSONDecodeError:
                rows.append(None)
        return pl.Series(column.name, rows, dtype=dtype)


def _read_clean(folder: Path) -> pl.DataFrame | None:
    files = sorted(folder.glob("*/*.parquet"))
    if not files:
        return None
    frames = []
    for path in files:
        try:
            df = pl.read_parquet(path)
        except Exception as exc:
            raise UsageError(f"{path}: cannot read parquet ({type(exc).__name__}: {exc})") from None
        missing = [c for c in ("id", "family", "messages") if c not in df.columns]
        if missing:
            raise UsageError(f"{path}: not a clean record file (missing columns {', '.join(missing)})")
        for name in ("lineage", "verification", "tools"):
            if name not in df.columns:
                df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))
            elif df.schema[name] != pl.String:  # a struct column (another writer): back to JSON text
                df = df.with_columns(pl.col(name).struct.json_encode())
        if df.schema["messages"] != pl.String:
            df = df.with_columns(pl.col("messages").list.eval(pl.element().struct.json_encode()).list.join(","))
            df = df.with_columns(pl.format("[{}]", pl.col("messages")).alias("messages"))
        frames.append(df.select("id", "family", "messages", "lineage", "verification", "tools"))
    return pl.concat(frames)


def _read_raw(folder: Path) -> pl.DataFrame | None:
    files = sorted(p for p in folder.glob("*/part-*.jsonl"))
    if not files:
        return None
    lines, _ = _lines(files)
    s = pl.Series("line", lines)
    # One pass per nested field is cheaper than decoding whole records (tools and environments are most of a line).
    return pl.DataFrame({
        "id": s.str.json_path_match("$.id"),
        "family": s.str.json_path_match("$.family"),
        "messages": s.str.json_path_match("$.messages"),
        "lineage": s.str.json_path_match("$.lineage"),
        "verification": s.str.json_path_match("$.verification"),
        "line": s,
    })


def load_corpus(path: Path, persona: str) -> Corpus:
    if not path.is_dir():
        raise UsageError(f"no corpus folder {path}")
    raw_files = sorted((path / "raw").glob("*/part-*.jsonl"))
    raw_counts: Counter[str] = Counter()
    for f in raw_files:
        raw_counts[f.parent.name] += _count_lines(f)
    clean = _read_clean(path / "clean")
    if clean is not None:
        primary = clean.with_columns(pl.lit("kept").alias("status"))
        population = "clean"
    else:
        raw = _read_raw(path / "raw")
        if raw is None:
            raise UsageError(f"nothing to show in {path}: no clean/<family>/*.parquet and no raw/<family>/part-*.jsonl "
                             f"(run `python -m factory generate persona={persona}` first)")
        primary = raw.with_columns(pl.lit("raw").alias("status"))
        population = "raw"
    primary = primary.with_columns(pl.col("family").fill_null("unknown"))
    clean_counts = dict(Counter(clean["family"].to_list())) if clean is not None else {}

    lines, stages = _lines(sorted((path / "rejected").glob("*/*.jsonl")))
    if lines:
        s = pl.Series("line", lines)
        d = decode(s, REJECTED)
        rejected = pl.DataFrame({
            "stage": d.struct.field("stage").fill_null(pl.Series(stages)),
            "reason": d.struct.field("reason").fill_null("(no reason given)"),
            "id": d.struct.field("record").struct.field("id"),
            "family": d.struct.field("record").struct.field("family")
            .fill_null(d.struct.field("family")).fill_null("unknown"),
            "line": s,
        })
    else:
        rejected = pl.DataFrame(schema={"stage": pl.String, "reason": pl.String, "id": pl.String,
                                        "family": pl.String, "line": pl.String})

    glines, gfam = _lines(sorted((path / "raw").glob("*/rejected.jsonl")))
    if glines:
        g = decode(pl.Series("line", glines), pl.Struct({"reason": pl.String}))
        generation_rejects = pl.DataFrame({"family": gfam, "reason": g.struct.field("reason").fill_null("(none)")})
    else:
        generation_rejects = pl.DataFrame(schema={"family": pl.String, "reason": pl.String})

    manifests = {}
    for m in sorted((path / "raw").glob("*/manifest.json")):
        data = _read_json(m)
        if data is not None:
            manifests[m.parent.name] = data
    reports = path / "reports"
    return Corpus(path=path, persona=persona, primary=primary, population=population, raw_counts=dict(raw_counts),
                  clean_counts=clean_counts, rejected=rejected, generation_rejects=generation_rejects,
                  funnel=_read_json(reports / "funnel.json"), decontamination=_read_json(reports / "decontamination.json"),
                  manifests=manifests, demo=_read_json(reports / "demo.json"),
                  eval_report=_read_json(reports / "eval.json"))


# ---------------------------------------------------------------------------------------------------------------------
# numbers


def _hist(values: pl.Series, edges: list[int]) -> list[int]:
    counts = [0] * len(edges)
    if values.len() == 0:
        return counts
    idx = pl.Series(edges).search_sorted(values, side="right") - 1
    for i, n in Counter(idx.clip(0, len(edges) - 1).to_list()).items():
        counts[i] += n
    return counts


def _counter(series: pl.Series, top: int | None = None) -> dict[str, int]:
    vc = series.drop_nulls().value_counts(sort=True)
    rows = vc.rows()[:top] if top else vc.rows()
    return {str(k): int(v) for k, v in rows}


def detect_language(text: str) -> str:
    words = _WORD.findall(text.lower())
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in LANG_WORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else "und"


def _styles(first: pl.Series) -> pl.Series:
    """First-message style when the generator did not record one: caps, terse, long, emoji, greeting or plain."""
    s = first.fill_null("")
    letters = s.str.replace_all(r"[^\p{L}]", "")
    frame = pl.DataFrame({"s": s, "letters": letters})
    return frame.select(
        pl.when((pl.col("letters").str.len_chars() > 3) & (pl.col("s") == pl.col("s").str.to_uppercase())).then(
            pl.lit("caps"))
        .when(pl.col("s").str.contains(r"[\x{1F300}-\x{1FAFF}\x{2600}-\x{27BF}]")).then(pl.lit("emoji"))
        .when(pl.col("s").str.to_lowercase().str.contains(r"^(hi|hello|hey|hola|bonjour|salut|hallo|ciao|olá|yo)\b"))
        .then(pl.lit("greeting"))
        .when(pl.col("s").str.split(" ").list.len() <= 4).then(pl.lit("terse"))
        .when(pl.col("s").str.len_chars() > 200).then(pl.lit("long"))
        .otherwise(pl.lit("plain")).alias("style")
    )["style"]


def distinct_ngrams(replies: pl.DataFrame) -> dict[str, dict[str, float | int]]:
    """distinct-n per family and over all: unique word n-grams / all word n-grams of assistant replies (n = 1, 2, 3).

    A family with more than NGRAM_SAMPLE replies is sampled by stride (every k-th reply: reproducible outside polars,
    and the same sample size per family keeps families comparable); "all" is the union of the family samples. One
    lowercase/split/explode pass serves every family.
    """
    if replies.height == 0:
        return {}
    sampled = replies.select("family", "content").with_columns(
        pl.int_range(pl.len()).over("family").alias("k"),
        ((pl.len().over("family") + NGRAM_SAMPLE - 1) // NGRAM_SAMPLE).alias("step"),
    ).filter(pl.col("k") % pl.col("step") == 0)
    words = (sampled.select("family", pl.col("content").str.to_lowercase().str.extract_all(r"\w+").alias("w"))
             .with_row_index("r").explode("w").drop_nulls("w"))
    # n-grams never cross replies: the next word counts only while the row index stays the same
    nxt1 = pl.when(pl.col("r").shift(-1) == pl.col("r")).then(pl.col("w").shift(-1))
    nxt2 = pl.when(pl.col("r").shift(-2) == pl.col("r")).then(pl.col("w").shift(-2))
    grams = words.with_columns(nxt1.alias("w2"), nxt2.alias("w3"))
    out: dict[str, dict[str, float | int]] = {}
    for fam, n in sampled.group_by("family").len().rows():
        out[fam] = {"replies": n, "words": 0}
    out["all"] = {"replies": sampled.height, "words": words.height}
    for fam, n in words.group_by("family").len().rows():
        out[fam]["words"] = n
    for n, expr in ((1, pl.col("w")),
                    (2, pl.concat_str([pl.col("w"), pl.col("w2")], separator=" ")),
                    (3, pl.concat_str([pl.col("w"), pl.col("w2"), pl.col("w3")], separator=" "))):
        g = grams.select("family", expr.alias("g")).drop_nulls("g")
        for fam, uniq, total in g.group_by("family").agg(pl.col("g").n_unique().alias("u"), pl.len()).rows():
            out[fam][f"distinct_{n}"] = round(uniq / total, 4) if total else 0.0
        out["all"][f"distinct_{n}"] = round(g["g"].n_unique() / g.height, 4) if g.height else 0.0
    for v in out.values():
        for n in (1, 2, 3):
            v.setdefault(f"distinct_{n}", 0.0)
    return out


def _openings(texts: pl.Series, words: int = 4) -> pl.Series:
    # the first 160 characters hold the first few words; lowering and splitting whole replies would cost far more
    return (texts.fill_null("").str.slice(0, 160).str.to_lowercase().str.extract_all(r"[\w']+").list.head(words)
            .list.join(" ")
            .replace("", None))


def _top10(openings: pl.Series) -> float:
    """Share of the replies that start with one of the 10 most common openings."""
    top = openings.value_counts(sort=True).rows()[:10] if openings.len() else []
    return round(sum(int(v) for _, v in top) / openings.len(), 4) if top else 0.0


def _pct(values: pl.Series, q: float) -> int:
    v = values.quantile(q, interpolation="nearest")
    return int(v) if v is not None else 0  # type: ignore[arg-type]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _manifest_usage(manifest: dict) -> dict[str, Any]:
    """Tokens, requests and dollars of one family from raw/<family>/manifest.json (factory/generate.py writes
    `tokens: {prompt, completion, requests}`, `cost_usd` and the teacher's lineage, None for procedural runs)."""
    tokens: dict = manifest["tokens"] if isinstance(manifest.get("tokens"), dict) else {}
    usage: dict = manifest["usage"] if isinstance(manifest.get("usage"), dict) else {}
    out: dict[str, Any] = {
        "prompt_tokens": _number(tokens.get("prompt")) or _number(usage.get("prompt_tokens")),
        "completion_tokens": _number(tokens.get("completion")) or _number(usage.get("completion_tokens")),
        "requests": _number(tokens.get("requests")) or _number(usage.get("requests")),
        "cost_usd": _number(manifest.get("cost_usd")),
    }
    teacher = manifest.get("teacher")
    if isinstance(teacher, dict):
        out["teacher"] = ":".join(str(teacher[k]) for k in ("provider", "model") if teacher.get(k))
    else:
        out["teacher"] = str(teacher or "procedural")
    for key in ("kept", "rejected", "attempted", "yield"):
        if isinstance(manifest.get(key), (int, float)):
            out[key] = manifest[key]
    return out


def _stage_rows(corpus: Corpus) -> list[dict[str, Any]]:
    """Yield per stage: funnel.json's totals when the filter wrote one, else derived from rejected/ and raw counts."""
    if corpus.funnel and isinstance(corpus.funnel.get("total"), list):
        rows = []
        for r in corpus.funnel["total"]:
            grouped: Counter[str] = Counter()
            for reason, n in r.get("top_reasons") or []:
                grouped[reason_group(str(reason))] += int(n)
            rows.append({k: r.get(k) for k in ("stage", "in", "kept", "rejected")}
                        | {"top_reasons": [[k, v] for k, v in grouped.most_common()]})
        return rows
    per_stage = Counter(corpus.rejected["stage"].to_list())
    reasons: dict[str, Counter[str]] = {}
    for stage, reason in corpus.rejected.select("stage", "reason").iter_rows():
        reasons.setdefault(stage, Counter())[reason_group(reason)] += 1
    stages = [s for s in STAGE_ORDER if s in per_stage] + sorted(set(per_stage) - set(STAGE_ORDER))
    n = sum(corpus.raw_counts.values()) or corpus.primary.height + corpus.rejected.height
    rows = []
    for stage in stages:
        kept = n - per_stage[stage]
        rows.append({"stage": stage, "in": n, "kept": kept, "rejected": per_stage[stage],
                     "top_reasons": [[r, c] for r, c in reasons[stage].most_common(3)]})
        n = kept
    return rows


def compute(corpus: Corpus) -> dict[str, Any]:
    """Every number the dashboard, the page and the dataset card show."""
    p = corpus.primary.with_row_index("rid")
    p = p.with_columns((pl.col("messages").str.len_chars() // CHARS_PER_TOKEN).alias("tokens"),
                       decode(p["messages"], MESSAGES).alias("m"))
    msgs = p.select("rid", "family", "m").explode("m").unnest("m").with_row_index("mid")
    per_rec = msgs.group_by("rid").agg(
        (pl.col("role") == "user").sum().alias("turns"),
        pl.col("tool_calls").list.len().fill_null(0).sum().alias("calls"),
        pl.col("content").filter(pl.col("role") == "assistant").drop_nulls().first().alias("first_reply"),
        pl.col("content").filter(pl.col("role") == "user").first().alias("first_user"),
    )
    p = p.join(per_rec, on="rid", how="left").with_columns(
        pl.col("turns").fill_null(0), pl.col("calls").fill_null(0), pl.col("m").list.len().alias("n_messages"),
        decode(p["lineage"], LINEAGE).alias("lin"))
    p = p.with_columns(_openings(p["first_reply"]).alias("opening"))
    present = set(p["family"].unique().to_list()) | set(corpus.rejected["family"].unique().to_list())
    fams = [f for f in (*FAMILIES, *sorted(present - set(FAMILIES))) if f in present or corpus.raw_counts.get(f)]

    rej_by_family = Counter(corpus.rejected["family"].to_list())
    gen_by_family = Counter(corpus.generation_rejects["family"].to_list())
    families: dict[str, dict[str, Any]] = {}
    token_hist: dict[str, list[int]] = {}
    turns: dict[str, dict[str, int]] = {}
    for fam in fams:
        f = p.filter(pl.col("family") == fam)
        raw = corpus.raw_counts.get(fam, 0)
        clean = f.height if corpus.population == "clean" else corpus.clean_counts.get(fam, 0)
        families[fam] = {
            "raw": raw, "clean": clean, "rejected": rej_by_family.get(fam, 0),
            "generation_rejected": gen_by_family.get(fam, 0),
            "yield": round(clean / raw, 4) if raw and corpus.population == "clean" else None,
            "records": f.height, "tokens": int(f["tokens"].sum() or 0),
            "tokens_mean": round(float(f["tokens"].mean() or 0), 1),  # type: ignore[arg-type]
            "tokens_p50": _pct(f["tokens"], 0.5), "tokens_p90": _pct(f["tokens"], 0.9),
            "tokens_max": int(f["tokens"].max() or 0),  # type: ignore[arg-type]
            "turns_mean": round(float(f["turns"].mean() or 0), 2),  # type: ignore[arg-type]
            "messages_mean": round(float(f["n_messages"].mean() or 0), 2),  # type: ignore[arg-type]
            "tool_calls": int(f["calls"].sum() or 0), "records_with_tool_calls": int((f["calls"] > 0).sum()),
        }
        token_hist[fam] = _hist(f["tokens"], TOKEN_EDGES)
        turns[fam] = {str(k): int(v) for k, v in sorted(Counter(f["turns"].to_list()).items())}

    calls = msgs.select("rid", pl.col("tool_calls")).explode("tool_calls").drop_nulls("tool_calls")
    names = calls["tool_calls"].struct.field("function").struct.field("name")
    traced = p.filter(pl.col("calls") > 0)
    tools = {"calls": _counter(names), "per_trace": {str(k): int(v) for k, v in
                                                     sorted(Counter(traced["calls"].to_list()).items())},
             "traces": traced.height, "total_calls": int(names.len())}

    ident = p.filter(pl.col("family") == "identity")
    facet_lang = ident["lin"].struct.field("facets").struct.field("language")
    facet_style = ident["lin"].struct.field("facets").struct.field("style")
    firsts = ident["first_user"].fill_null("").to_list()
    langs = [fl or detect_language(t) for fl, t in zip(facet_lang.to_list(), firsts, strict=True)]
    styles = pl.Series("style", facet_style.to_list(), dtype=pl.String).fill_null(_styles(ident["first_user"]))
    identity = {"records": ident.height, "languages": dict(Counter(langs).most_common()), "styles": _counter(styles),
                "language_source": "facets" if facet_lang.null_count() == 0 else "facets, else detected from the text",
                "first_messages": _counter(_openings(ident["first_user"], 3), top=10)}

    reas = p.filter(pl.col("family") == "reasoning")
    ver = decode(reas["verification"], VERIFICATION) if reas.height else None
    reasoning = {"records": reas.height,
                 "levels": ({str(k): int(v) for k, v in sorted(
                     Counter(ver.struct.field("level").drop_nulls().to_list()).items())} if ver is not None else {}),
                 "sources": _counter(ver.struct.field("source"), top=12) if ver is not None else {}}

    replies = msgs.filter((pl.col("role") == "assistant") & pl.col("content").is_not_null()
                          & (pl.col("content").str.len_chars() > 0))
    found = distinct_ngrams(replies)
    distinct = {fam: found[fam] for fam in [*fams, "all"] if fam in found}
    openings = p["opening"].drop_nulls()
    top = openings.value_counts(sort=True)
    top_rows = [(str(k), int(v)) for k, v in top.rows()[:15]]
    n_open = openings.len()
    by_family_open = {}
    every = replies.select("family", _openings(replies["content"]).alias("o")).drop_nulls("o")
    for fam in fams:
        o = p.filter(pl.col("family") == fam)["opening"].drop_nulls()
        if o.len():
            all_o = every.filter(pl.col("family") == fam)["o"]
            by_family_open[fam] = {"replies": o.len(), "unique": o.n_unique(), "top10_share": _top10(o),
                                   "top": [[str(k), int(v)] for k, v in o.value_counts(sort=True).rows()[:5]],
                                   "all_replies": all_o.len(), "top10_share_all_replies": _top10(all_o),
                                   **{k: v for k, v in found.get(fam, {}).items() if k.startswith("distinct_")}}
    near = corpus.rejected.filter(pl.col("stage") == "near_dedup")["reason"].str.extract(_NEAR.pattern, 1).drop_nulls()
    exact = corpus.rejected.filter(pl.col("stage") == "exact_dedup")["reason"].str.extract(_EXACT.pattern, 1).drop_nulls()
    diversity = {
        "distinct": distinct,
        "openings": [[k, v] for k, v in top_rows],
        "opening_words": 4,
        "ngram_sample": NGRAM_SAMPLE,
        "replies_with_opening": n_open,
        "unique_openings": openings.n_unique(),
        "unique_opening_share": round(openings.n_unique() / n_open, 4) if n_open else 0.0,
        "top10_opening_share": round(sum(v for _, v in top_rows[:10]) / n_open, 4) if n_open else 0.0,
        # the same over every assistant reply with text, not only each record's first one
        "all_replies": every.height, "top10_opening_share_all_replies": _top10(every["o"]),
        "openings_by_family": by_family_open,
        # a kept record plus its dropped near/exact copies: size = copies + 1
        "near_dup_clusters": {str(k + 1): v for k, v in sorted(Counter(Counter(near.to_list()).values()).items())},
        "exact_dup_groups": {str(k + 1): v for k, v in sorted(Counter(Counter(exact.to_list()).values()).items())},
        "code_shapes": code_shapes.by_family(p["family"].to_list(), p["messages"].to_list(), p["verification"].to_list()),
        "tool_shapes": tool_shapes.of_frame(p),
    }

    gen_reasons = Counter(reason_group(r) for r in corpus.generation_rejects["reason"].to_list())
    teacher = p["lin"].struct.field("teacher")
    models = pl.DataFrame({"p": teacher.struct.field("provider"), "m": teacher.struct.field("model")}).select(
        pl.concat_str(["p", "m"], separator=":"))["p"]
    usage = {fam: _manifest_usage(m) for fam, m in corpus.manifests.items()}
    totals_usage = {k: sum(_number(u.get(k)) for u in usage.values())
                    for k in ("prompt_tokens", "completion_tokens", "requests", "cost_usd")}
    decon = corpus.decontamination or {}
    stats: dict[str, Any] = {
        "persona": corpus.persona,
        "corpus": shown_path(corpus.path),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "population": corpus.population,
        "token_estimate": f"characters of the canonical JSON of a record's messages / {CHARS_PER_TOKEN}",
        "token_edges": TOKEN_EDGES,
        "totals": {
            "raw": sum(corpus.raw_counts.values()), "clean": sum(corpus.clean_counts.values()),
            "rejected": corpus.rejected.height, "generation_rejected": corpus.generation_rejects.height,
            "records": p.height, "tokens": int(p["tokens"].sum() or 0),
        },
        "families": families,
        "token_hist": token_hist,
        "turns": turns,
        "tools": tools,
        "identity": identity,
        "reasoning": reasoning,
        "stages": _stage_rows(corpus),
        "funnel_source": "reports/funnel.json" if corpus.funnel else "derived from rejected/",
        "rejections_by_stage": _counter(corpus.rejected["stage"]),
        "generation": {"rejected": corpus.generation_rejects.height,
                       "top_reasons": [[r, n] for r, n in gen_reasons.most_common(8)]},
        "decontamination": {
            "present": bool(decon), "n": decon.get("n"), "scanned": decon.get("scanned"),
            "removed": decon.get("removed"),
            "benchmarks": {name: {k: b.get(k) for k in ("items", "hits", "by_method")} | {
                "items_hit": len(b.get("items_hit") or []), "examples": (b.get("examples") or [])[:5]}
                for name, b in (decon.get("benchmarks") or {}).items()},
        },
        "diversity": diversity,
        "teachers": {"records_by_teacher": _counter(models.fill_null("procedural")), "by_family": usage,
                     "total": totals_usage},
    }
    return stats


def calibrate_tokens(corpus: Corpus, tokenizer_dir: Path, sample: int = 300) -> dict[str, Any]:
    """How the chars/4 estimate compares with the trainer's own rendering (trainer.render + the corpus tokenizer),
    measured on a stride sample: rendering every record in Python would cost more than all the other stats."""
    from trainer.render import render
    from trainer.tokenizer import Tokenizer

    tok = Tokenizer.load(tokenizer_dir)
    p = corpus.primary
    rows = p.gather_every(max(1, -(-p.height // sample))) if p.height else p
    estimated = rendered = 0
    failed = 0
    for row in rows.iter_rows(named=True):
        try:
            tools = json.loads(row["tools"]) if row.get("tools") else (
                json.loads(row["line"]).get("tools") if row.get("line") else [])
            ids, _ = render({"id": row["id"], "messages": json.loads(row["messages"]), "tools": tools or []}, tok)
        except (ValueError, TypeError, AttributeError):
            failed += 1
            continue
        rendered += len(ids)
        estimated += len(row["messages"]) // CHARS_PER_TOKEN
    return {"tokenizer": tok.id, "dir": shown_path(tokenizer_dir, corpus.path), "sampled": rows.height - failed,
            "failed": failed, "rendered_tokens": rendered, "estimated_tokens": estimated,
            "rendered_per_estimated": round(rendered / estimated, 3) if estimated else None}


# ---------------------------------------------------------------------------------------------------------------------
# the record browser's sample


def _trim(text: Any) -> Any:
    if isinstance(text, str) and len(text) > MAX_BROWSE_CHARS:
        return text[:MAX_BROWSE_CHARS] + f"… [{len(text) - MAX_BROWSE_CHARS} more characters]"
    return text


def browser_record(rec: dict, status: str, stage: str | None = None, reason: str | None = None) -> dict:
    """What the page needs of one record: its conversation (long fields cut), tools by name, the verdict."""
    messages = []
    for m in rec.get("messages") or []:
        if not isinstance(m, dict):
            continue
        out = {k: _trim(m.get(k)) for k in ("role", "content", "reasoning", "name", "tool_call_id") if m.get(k)}
        calls = []
        for c in m.get("tool_calls") or []:
            fn = (c or {}).get("function") or {}
            args = fn.get("arguments")
            calls.append({"id": c.get("id"), "name": fn.get("name"),
                          "arguments": _trim(args if isinstance(args, str) else json.dumps(args, ensure_ascii=False))})
        if calls:
            out["tool_calls"] = calls
        messages.append(out)
    verdicts: dict = rec["verdicts"] if isinstance(rec.get("verdicts"), dict) else {}
    failed = [k for k, v in verdicts.items() if isinstance(v, dict) and v.get("passed") is False]
    return {"id": rec.get("id"), "family": rec.get("family"), "status": status, "stage": stage,
            "raw": _trim(rec.get("raw")) if isinstance(rec.get("raw"), str) else None,
            "reason": _trim(reason) if reason else (verdicts[failed[0]].get("reason") if failed else None),
            "messages": messages,
            "tools": [((t or {}).get("function") or {}).get("name") for t in rec.get("tools") or []],
            "verification": {k: _trim(v) for k, v in (rec.get("verification") or {}).items()
                             if isinstance(v, (str, int, float, bool))},
            "lineage": {k: v for k, v in (rec.get("lineage") or {}).items() if k in ("generator", "teacher", "facets")}}


def browse_sample(corpus: Corpus, cap: int = BROWSE_CAP, seed: int = 0) -> list[dict]:
    """Up to `cap` records for the page: a third rejected (every stage represented), the rest of the population;
    kept records are listed first."""
    rng = random.Random(seed)
    out: list[dict] = []
    rejected_out: list[dict] = []
    rej = corpus.rejected
    if rej.height and cap:
        want = min(rej.height, cap // 3 or 1)
        idx = list(range(rej.height))
        by_stage: dict[str, list[int]] = {}
        for i, stage in enumerate(rej["stage"].to_list()):
            by_stage.setdefault(stage, []).append(i)
        chosen: list[int] = []
        for stage_rows in by_stage.values():  # every stage first, then fill at random
            chosen.extend(rng.sample(stage_rows, min(len(stage_rows), max(1, want // len(by_stage)))))
        rest = sorted(set(idx) - set(chosen))
        chosen.extend(rng.sample(rest, max(0, min(len(rest), want - len(chosen)))))
        for i in sorted(chosen[:want]):
            row = rej.row(i, named=True)
            try:
                line = json.loads(row["line"])
            except json.JSONDecodeError:
                line = {}
            rec = line.get("record") if isinstance(line, dict) else None
            if not isinstance(rec, dict):
                rec = {"messages": [], "raw": line.get("raw") if isinstance(line, dict) else None}
            rec.setdefault("id", row["id"])
            rec.setdefault("family", row["family"])
            rejected_out.append(browser_record(rec, "rejected", row["stage"], row["reason"]))
    p = corpus.primary
    room = min(p.height, max(0, cap - len(rejected_out)))
    # the originals that embedded duplicates point at come first, so "near duplicate of <id>" can be followed
    cited = {m for r in rejected_out for m in re.findall(r"\b[0-9a-f]{32}\b", r.get("reason") or "")}
    must = p.with_row_index("i").filter(pl.col("id").is_in(list(cited)))["i"].to_list()[:room] if cited else []
    others = sorted(set(range(p.height)) - set(must))
    take = sorted(must + rng.sample(others, min(len(others), room - len(must))))
    rows = p[take] if take else p.head(0)
    for row in rows.iter_rows(named=True):
        rec = {"id": row["id"], "family": row["family"]}
        for key in ("messages", "lineage", "verification"):
            try:
                rec[key] = json.loads(row[key]) if row.get(key) else None
            except json.JSONDecodeError:
                rec[key] = None
        out.append(browser_record(rec, row["status"]))
    order = {f: i for i, f in enumerate(FAMILIES)}
    out.sort(key=lambda r: order.get(r["family"], len(order)))
    return out + rejected_out


# ---------------------------------------------------------------------------------------------------------------------
# terminal dashboard


def render_terminal(stats: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # piped into a log: wide enough that the tables are not cut to ellipses
            console = Console(width=max(console.width, 120))
    t = stats["totals"]
    console.rule(f"[bold]{stats['persona']}[/] corpus — {stats['population']} population")
    console.print(f"raw {t['raw']}  ·  clean {t['clean']}  ·  rejected by filters {t['rejected']}  ·  "
                  f"rejected at generation {t['generation_rejected']}  ·  ~{t['tokens']:,} tokens "
                  f"[dim](≈ {stats['token_estimate']})[/]")
    cal = stats.get("token_calibration")
    if cal and cal.get("rendered_per_estimated"):
        console.print(f"[dim]trainer tokenizer {cal['tokenizer']}: rendered tokens = {cal['rendered_per_estimated']}× "
                      f"the estimate (measured on {cal['sampled']} records)[/]")
    fam = Table(title="records and tokens per family", title_justify="left")
    for col in ("family", "raw", "clean", "rejected", "yield", "≈tokens", "p50", "p90", "max", "turns", "calls"):
        fam.add_column(col, justify="left" if col == "family" else "right", no_wrap=True)
    for name, f in stats["families"].items():
        y = f"{f['yield']:.0%}" if f["yield"] is not None else "—"
        fam.add_row(name, str(f["raw"]), str(f["clean"]), str(f["rejected"]), y, f"{f['tokens']:,}",
                    str(f["tokens_p50"]), str(f["tokens_p90"]), str(f["tokens_max"]), f"{f['turns_mean']:.1f}",
                    str(f["tool_calls"]))
    console.print(fam)
    if stats["stages"]:
        st = Table(title=f"yield per stage ({stats['funnel_source']})", title_justify="left")
        for col in ("stage", "in", "kept", "rejected", "yield", "top reasons"):
            st.add_column(col, justify="left" if col in ("stage", "top reasons") else "right")
        for r in stats["stages"]:
            y = f"{r['kept'] / r['in']:.1%}" if r.get("in") else "—"
            reasons = "; ".join(f"{reason} ×{n}" for reason, n in (r.get("top_reasons") or [])[:2])
            st.add_row(r["stage"], str(r["in"]), str(r["kept"]), str(r["rejected"]), y, reasons[:90])
        console.print(st)
    tools = stats["tools"]
    if tools["calls"]:
        tt = Table(title=f"tool usage: {tools['total_calls']} calls in {tools['traces']} traces", title_justify="left")
        tt.add_column("tool")
        tt.add_column("calls", justify="right")
        for name, n in list(tools["calls"].items())[:12]:
            tt.add_row(name, str(n))
        console.print(tt)
    div = stats["diversity"]
    if div["openings"]:
        ot = Table(title=f"most common openings of assistant replies — top 10 cover {div['top10_opening_share']:.0%} "
                         f"({div['unique_openings']} distinct of {div['replies_with_opening']})", title_justify="left")
        ot.add_column("opening")
        ot.add_column("replies", justify="right")
        ot.add_column("share", justify="right")
        for text, n in div["openings"][:8]:
            ot.add_row(text, str(n), f"{n / max(1, div['replies_with_opening']):.1%}")
        console.print(ot)
    d_all = div["distinct"].get("all")
    if d_all:
        console.print(f"distinct n-grams over assistant replies: 1-gram {d_all['distinct_1']:.2f} · "
                      f"2-gram {d_all['distinct_2']:.2f} · 3-gram {d_all['distinct_3']:.2f}")
    pf = Table(title="variety per family: top-10 openings share (first / all replies), distinct-n", title_justify="left")
    for col in ("family", "replies", "openings", "top-10", "top-10 all", "d-1", "d-2", "d-3"):
        pf.add_column(col, justify="left" if col == "family" else "right")
    for fam, o in div.get("openings_by_family", {}).items():
        pf.add_row(fam, str(o["replies"]), str(o["unique"]), f"{o.get('top10_share', 0):.1%}",
                   f"{o.get('top10_share_all_replies', 0):.1%}", *(f"{o.get(f'distinct_{n}', 0):.2f}" for n in (1, 2, 3)))
    console.print(pf)
    code_shapes.render(div.get("code_shapes") or {}, console)
    tool_shapes.render(div.get("tool_shapes") or {}, console)
    cost = stats["teachers"]["total"]
    if any(cost.values()):
        console.print(f"teacher: {int(cost['requests'])} requests · {int(cost['prompt_tokens']):,} prompt + "
                      f"{int(cost['completion_tokens']):,} completion tokens · ${cost['cost_usd']:.2f}")


# ---------------------------------------------------------------------------------------------------------------------
# entry point


def run(corpus_path: Path, persona: str, browse: int = BROWSE_CAP, html: bool = True) -> tuple[dict, Path | None]:
    """Compute, then write reports/stats.json (and stats.html); returns (stats, html path)."""
    t0 = time.perf_counter()
    corpus = load_corpus(corpus_path, persona)
    stats = compute(corpus)
    tok_dir = find_tokenizer(corpus_path)
    stats["token_calibration"] = calibrate_tokens(corpus, tok_dir) if tok_dir is not None else None
    records = browse_sample(corpus, browse) if html else []
    stats["browser"] = {"embedded": len(records), "cap": browse,
                        "available": corpus.primary.height + corpus.rejected.height}
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    reports = corpus_path / "reports"
    write_atomic(reports / "stats.json", json.dumps(stats, indent=1, ensure_ascii=False) + "\n")
    page = None
    if html:
        from factory.report_html import render_page

        page = reports / "stats.html"
        from factory.report_eval import eval_section

        extra = [eval_section(corpus.eval_report)] if corpus.eval_report else []
        write_atomic(page, render_page(stats, records, corpus.funnel, corpus.demo, extra))
    return stats, page


def main(argv: list[str]) -> int:
    settings, _ = parse_settings(argv, ("persona", "root", "browse", "html", "quiet"),
                                 usage="stats persona=<name> [root=corpora] [browse=N]")
    persona = settings.get("persona")
    if not persona:
        raise UsageError("need persona=<name> (a folder under corpora/)")
    from schemas import corpora_root

    root = Path(settings["root"]) if "root" in settings else corpora_root()
    browse = settings.integer("browse", BROWSE_CAP, low=0)
    if not (root / persona).is_dir():
        names = ", ".join(sorted(p.name for p in root.glob("*") if p.is_dir())) or "none"
        raise UsageError(f"unknown persona {persona!r}: no folder {root / persona} (available: {names})")
    stats, page = run(root / persona, persona, browse, settings.flag("html", True))
    if not settings.flag("quiet"):
        render_terminal(stats)
    print(f"stats in {stats['seconds']:.2f}s -> {root / persona / 'reports' / 'stats.json'}"
          + (f", {page}" if page else ""))
    return 0
