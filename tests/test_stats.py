"""`python -m factory stats`: the numbers in stats.json match the hand-built corpus, the page is self-contained."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import pytest

from factory import __main__ as factory_cli
from factory.stats import main as stats_main
from schemas import canonical_json, rejection
from tests.stats_corpus import PERSONA, write_corpus


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    info = write_corpus(root, n=140)
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true"]) == 0
    reports = info["corpus"] / "reports"
    return {**info, "root": root, "stats": json.loads((reports / "stats.json").read_text()),
            "html": (reports / "stats.html").read_text()}


def test_counts_match_the_corpus(built):
    s = built["stats"]
    assert s["population"] == "clean"
    assert s["totals"]["raw"] == 140 and s["totals"]["clean"] == 120 and s["totals"]["rejected"] == 20
    assert s["totals"]["generation_rejected"] == 5
    for fam, n in built["raw"].items():
        f = s["families"][fam]
        assert (f["raw"], f["clean"], f["records"]) == (n, built["clean"][fam], built["clean"][fam])
        assert f["raw"] == f["clean"] + f["rejected"]
    assert s["rejections_by_stage"] == built["rejected"]


def test_numbers_agree_with_a_plain_python_count(built):
    s, kept = built["stats"], built["kept"]
    for fam, recs in kept.items():
        tokens = [len(canonical_json(r["messages"])) // 4 for r in recs]
        assert s["families"][fam]["tokens"] == sum(tokens)
        assert s["families"][fam]["tokens_max"] == max(tokens)
        turns = Counter(str(sum(m["role"] == "user" for m in r["messages"])) for r in recs)
        assert s["turns"][fam] == dict(turns)
    calls = Counter(c["function"]["name"] for recs in kept.values() for r in recs for m in r["messages"]
                    for c in m.get("tool_calls") or [])
    assert s["tools"]["calls"] == dict(calls)
    levels = Counter(str(r["verification"]["level"]) for r in kept["reasoning"])
    assert s["reasoning"]["levels"] == dict(levels)
    langs = Counter(r["lineage"]["facets"]["language"] for r in kept["identity"])
    assert s["identity"]["languages"] == dict(langs)
    assert s["identity"]["language_source"] == "facets"


def test_funnel_diversity_decontamination_and_cost(built):
    s = built["stats"]
    assert s["funnel_source"] == "reports/funnel.json"
    assert [r["stage"] for r in s["stages"]][0] == "parse" and s["stages"][-1]["kept"] == 120
    near = next(r for r in s["stages"] if r["stage"] == "near_dedup")
    assert near["top_reasons"] == [["near duplicate", 6]]
    # all six near-duplicates point at one kept record: one cluster of 7
    assert s["diversity"]["near_dup_clusters"] == {"7": 1}
    assert s["diversity"]["openings"][0][0] == "i'm lanbot made by"
    assert 0 < s["diversity"]["distinct"]["all"]["distinct_1"] < s["diversity"]["distinct"]["all"]["distinct_3"] <= 1
    for fam, o in s["diversity"]["openings_by_family"].items():  # per family: top-10 share and distinct-n
        assert 0 < o["top10_share"] <= 1 and 0 < o["top10_share_all_replies"] <= 1 and o["all_replies"] >= o["replies"]
        assert o["distinct_1"] == s["diversity"]["distinct"][fam]["distinct_1"]
    assert 0 < s["diversity"]["top10_opening_share_all_replies"] <= 1
    assert s["decontamination"]["benchmarks"]["humaneval"]["hits"] == 3
    assert s["teachers"]["total"]["cost_usd"] == pytest.approx(0.01)
    assert s["teachers"]["records_by_teacher"]["local:smollm2-135m-instruct"] == built["clean"]["identity"]


def test_code_shapes_see_through_renamed_copies(built):
    """Every textbook module of the test corpus is one function skeleton renamed, and every test one test skeleton:
    two function shapes, however many functions; the figure reaches stats.json and the page."""
    shapes = built["stats"]["diversity"]["code_shapes"]
    tb = shapes["textbook"]
    assert tb["records"] == tb["records_with_code"] == built["clean"]["textbook"] and tb["unparsed"] == 0
    assert tb["functions"] > 10 and tb["function_shapes"] == 2 and tb["top10_function_shape_share"] == 1.0
    assert "identity" not in shapes
    assert "code structure per family" in built["html"]


def test_page_is_self_contained_and_embeds_the_browser_sample(built):
    page = built["html"]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must not load anything remote"
    assert "<link" not in page and "@import" not in page
    data = re.search(r'<script type="application/json" id="records-data">(.*?)</script>', page, re.S)
    assert data
    records = json.loads(data.group(1))
    assert len(records) == built["stats"]["browser"]["embedded"] == 140
    statuses = Counter(r["status"] for r in records)
    assert statuses == {"kept": 120, "rejected": 20}
    assert {r["stage"] for r in records if r["status"] == "rejected"} == set(built["rejected"])
    assert page.count('class="plot"') >= 20


def test_repeated_system_prompts_are_stored_once(built):
    shared = re.search(r'<script type="application/json" id="shared-data">(.*?)</script>', built["html"], re.S)
    assert shared
    texts = json.loads(shared.group(1))
    assert len(texts) == 1 and texts[0].startswith("You are LanBot, an AI assistant made by Lance")
    assert built["html"].count("allergic to corporate-speak") == 1


def test_browse_cap_is_stated(built, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(built["root"], root)
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true", "browse=12"]) == 0
    page = (root / PERSONA / "reports" / "stats.html").read_text()
    assert "12 of 140 records are embedded (capped at 12" in page


def test_raw_only_corpus_and_demo_section(tmp_path):
    info = write_corpus(tmp_path, n=40, reports=False)
    shutil.rmtree(info["corpus"] / "clean")
    shutil.rmtree(info["corpus"] / "rejected")
    # the shape factory/demo.py writes
    demo = {"variant": "full", "total_seconds": 1500.0, "funnel": {"records_in": 600, "records_kept": 520},
            "stages": [{"stage": "generate", "seconds": 600.0}, {"stage": "train", "seconds": 400.0}],
            "train": {"steps": [0, 10, 20], "loss": [4.1, 3.0, 2.2], "val_steps": [20], "val_loss": [2.57]},
            "evals": {"identity": 0.47, "tool_call": 0.2, "safety": 0.9, "reasoning": 0.05, "val_loss": 2.57,
                      "val_bpb": 1.1},
            "eval_counts": {"identity": 130, "tool_call": 50, "safety": 62, "reasoning": 120},
            "ablation": {"without_identity": {"identity": 0.1}}}
    (info["corpus"] / "reports").mkdir()
    (info["corpus"] / "reports" / "demo.json").write_text(json.dumps(demo))
    assert stats_main([f"persona={PERSONA}", f"root={tmp_path}", "quiet=true"]) == 0
    s = json.loads((info["corpus"] / "reports" / "stats.json").read_text())
    assert s["population"] == "raw" and s["totals"]["records"] == 40
    assert s["funnel_source"] == "derived from rejected/" and s["totals"]["rejected"] == 0
    page = (info["corpus"] / "reports" / "stats.html").read_text()
    demo_html = page.split('<section id="demo">')[1].split("</section>")[0]
    assert "Demo: what the model learned" in demo_html and 'data-plot="line"' in demo_html
    # at a glance: tiles, rates on their own 0-100% axis with their n, the loss never on that axis
    assert "<b>2.57</b><span>validation loss</span>" in demo_html and "<b>4.10 → 2.20</b>" in demo_html
    rates = demo_html.split('data-plot="rates"')[1].split("</svg>")[0]
    assert "identity recall" in rates and "47% (n=130)" in rates and "loss" not in rates and "bpb" not in rates
    assert "ablation: without identity" in demo_html and "10%" in demo_html
    assert "<details><summary>every number in demo.json" in demo_html  # the raw dump is folded away
    assert "ablation.without_identity.identity" in demo_html


def test_demo_section_shows_both_paths_and_the_base(tmp_path):
    """With the fine-tune in the demo, demo.json carries one column per subject (factory/demo.py columns()): the
    section shows them side by side, each rate with its n and Wilson interval, on a fixed 0-100% axis."""
    info = write_corpus(tmp_path, n=20, reports=False)

    def col(label: str, name: str, ident: float, n: int) -> dict:
        return {"label": label, "name": name, "identity_by_lang": {"en": ident, "de": 0.0},
                "rates": {"identity": {"rate": ident, "k": round(ident * n), "n": n, "lo": 0.1, "hi": 0.9},
                          "tool_schema_valid": {"rate": 0.5, "k": 12, "n": 24, "lo": 0.31, "hi": 0.69}}}

    demo = {"variant": "full", "evals": {"identity": 0.5}, "eval_counts": {"identity": 48},
            "columns": [col("d4", "d4 from scratch", 0.5, 48), col("tuned", "SmolLM2-135M tuned", 0.75, 48),
                        col("base", "SmolLM2-135M base", 0.0, 48)]}
    (info["corpus"] / "reports").mkdir(exist_ok=True)
    (info["corpus"] / "reports" / "demo.json").write_text(json.dumps(demo))
    assert stats_main([f"persona={PERSONA}", f"root={tmp_path}", "quiet=true"]) == 0
    page = (info["corpus"] / "reports" / "stats.html").read_text()
    demo_html = page.split('<section id="demo">')[1].split("</section>")[0]
    for name in ("d4 from scratch", "SmolLM2-135M tuned", "SmolLM2-135M base"):
        assert name in demo_html
    assert "75% [10%–90%] n=48" in demo_html and "50% [31%–69%] n=24" in demo_html and "identity [de]" in demo_html
    assert 'data-plot="grouped"' in demo_html


def test_every_chart_carries_information(built):
    """No histogram of one bar (the turns of a family whose conversations all have one user turn), no plot title
    drawn as SVG text (it is cut at the SVG's edge); turns of every family in one chart of shares."""
    import re

    page = built["html"]
    for svg in re.findall(r'<svg class="plot" data-plot="vbar".*?</svg>', page, re.S):
        bars = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
        assert sum(h > 0 for h in bars) >= 2, svg[:300]
    assert 'data-plot="single"' in page  # e.g. the reasoning family's one-bin histograms, said in words
    for svg in re.findall(r'<svg class="plot" data-plot="(?:hbar|vbar|grouped|shares|line|rates)".*?</svg>', page,
                          re.S):
        assert 'font-weight="600"' not in svg
    turns = page.split('<section id="turns">')[1].split("</section>")[0]
    assert turns.count('data-plot="shares"') == 1 and turns.count("<svg") == 1


def test_odd_rejected_lines_do_not_crash(built, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(built["root"], root)
    with open(root / PERSONA / "rejected" / "lint" / "00000.jsonl", "a") as f:
        f.write(json.dumps({"stage": "lint", "reason": 5, "record": "not a record"}) + "\n")
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true"]) == 0
    s = json.loads((root / PERSONA / "reports" / "stats.json").read_text())
    assert s["rejections_by_stage"]["lint"] == built["rejected"]["lint"] + 1


@pytest.mark.parametrize("args, message", [
    (["persona=nobody"], "unknown persona 'nobody'"),
    ([], "need persona="),
    (["persona=lanbot", "browse=many"], "browse must be an integer"),
    (["persona=lanbot", "colour=red"], "unknown setting 'colour'"),
])
def test_bad_input_is_one_line_and_exit_2(built, capsys, args, message):
    root = [f"root={built['root']}"]
    assert factory_cli.main(["stats", *args, *root]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_empty_corpus_folder(tmp_path, capsys):
    (tmp_path / PERSONA).mkdir()
    assert factory_cli.main(["stats", f"persona={PERSONA}", f"root={tmp_path}"]) == 2
    assert "nothing to show" in capsys.readouterr().err


def test_terminal_dashboard(built, capsys):
    assert stats_main([f"persona={PERSONA}", f"root={built['root']}", "html=false"]) == 0
    out = capsys.readouterr().out
    assert "records and tokens per family" in out and "yield per stage" in out and "execute_python" in out
    assert "most common openings" in out


def test_oddly_typed_fields_fall_back_instead_of_failing(built, tmp_path):
    import polars as pl

    root = tmp_path / "c"
    shutil.copytree(built["root"], root)
    path = root / PERSONA / "clean" / "identity" / "00000.parquet"
    df = pl.read_parquet(path)
    odd = json.loads(df["lineage"][0])
    odd["facets"] = {"language": ["en"], "style": 3}  # not strings: the Rust decoder rejects the column
    df = df.with_columns(pl.Series("lineage", [json.dumps(odd), *df["lineage"].to_list()[1:]]))
    df.write_parquet(path)
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true"]) == 0
    s = json.loads((root / PERSONA / "reports" / "stats.json").read_text())
    assert sum(s["identity"]["languages"].values()) == built["clean"]["identity"]
    assert s["identity"]["language_source"] == "facets, else detected from the text"


def test_parse_rejects_count_for_their_source_family(built, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(built["root"], root)
    folder = root / PERSONA / "rejected" / "parse"
    folder.mkdir()
    line = rejection("parse", "not JSON: line 9 of reasoning/part-000000.jsonl (Expecting value, column 1)", None,
                     raw="this is not json {", file="reasoning/part-000000.jsonl", line=9, family="reasoning")
    (folder / "00000.jsonl").write_text(json.dumps(line) + "\n")
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true"]) == 0
    s = json.loads((root / PERSONA / "reports" / "stats.json").read_text())
    assert s["families"]["reasoning"]["rejected"] == built["stats"]["families"]["reasoning"]["rejected"] + 1
    assert "unknown" not in s["families"]
    page = (root / PERSONA / "reports" / "stats.html").read_text()
    assert '"raw":"this is not json {"' in page  # the browser shows the line that did not parse


def test_token_estimate_is_calibrated_with_the_trainer_tokenizer(built, tmp_path):
    from trainer.render import render
    from trainer.tokenizer import Tokenizer

    root = tmp_path / "c"
    shutil.copytree(built["root"], root)
    kept = [r for recs in built["kept"].values() for r in recs]
    tok = Tokenizer.train([json.dumps(r["messages"]) for r in kept], vocab_size=300)
    tok.save(root / PERSONA / "tokenizer")
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true"]) == 0
    cal = json.loads((root / PERSONA / "reports" / "stats.json").read_text())["token_calibration"]
    assert cal["tokenizer"] == tok.id and cal["failed"] == 0 and 0 < cal["sampled"] <= 300
    assert cal["sampled"] == len(kept)  # fewer than 300: every record
    assert cal["rendered_tokens"] == sum(len(render(r, tok)[0]) for r in kept)
    assert "conversations are" in (root / PERSONA / "reports" / "stats.html").read_text()
    assert built["stats"]["token_calibration"] is None  # no tokenizer, no claim


def test_tool_shapes_count_parallel_turns_no_calls_and_user_turns():
    from factory.tool_shapes import by_family, rows

    def call(name):
        return {"id": name, "type": "function", "function": {"name": name, "arguments": {}}}

    tools = [{"type": "function", "function": {"name": n, "parameters": {}}} for n in ("a", "b", "c")]
    parallel = [{"role": "user", "content": "x"}, {"role": "assistant", "content": None, "tool_calls": [call("a"), call("b")]},
                {"role": "tool", "tool_call_id": "a", "content": "1"}, {"role": "tool", "tool_call_id": "b", "content": "2"},
                {"role": "assistant", "content": "done"}, {"role": "user", "content": "and c?"},
                {"role": "assistant", "content": None, "tool_calls": [call("c")]},
                {"role": "tool", "tool_call_id": "c", "content": "3"}, {"role": "assistant", "content": "3"}]
    declined = [{"role": "user", "content": "y"}, {"role": "assistant", "content": "none of these tools fits"}]
    figure = by_family(["function_calling", "function_calling", "identity"],
                       [json.dumps(parallel), declined, [{"role": "user", "content": "hi"}]],
                       [json.dumps(tools), tools[:2], []],
                       [json.dumps({"facets": {"shape": "parallel"}}), {"facets": {"shape": "no_call"}}, {}])
    assert list(figure) == ["function_calling"], "a family offering no tools has no row"
    f = figure["function_calling"]
    assert (f["records"], f["functions_offered"], f["functions_called"]) == (2, 3, 3)
    assert f["no_call_share"] == 0.5 and f["parallel_turn_share"] == 0.5 and f["calls_per_record"] == 1.5
    assert f["user_turns_mean"] == 1.5 and f["multi_turn_share"] == 0.5
    assert f["shapes"] == {"parallel": 0.5, "no_call": 0.5} and rows(figure)[0][5] == "50.0%"
