"""The dashboard's SVG bar charts keep their text inside the picture: a category label is right-aligned against its
bar, so a column narrower than the label cut it at the left edge ("na-valid tool calls" in the demo's eval chart of
2026-12-06), and a legend placed after the label column ran off the right edge ("SmolLM2-135M base")."""

import re

from factory.report_eval import rate_bars
from factory.report_html import LABEL_PX, grouped_hbar, hbar, share_bars

LONG = "schema-valid tool calls"
NAMES = ["d4 from scratch", "SmolLM2-135M tuned", "SmolLM2-135M base"]


def _label_column(svg: str) -> float:
    """The x where category labels end (text-anchor end, font-size 12)."""
    return min(float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*font-size="12" text-anchor="end"', svg))


def _width(svg: str) -> float:
    return float(re.findall(r'viewBox="0 0 (\d+)', svg)[0])


def test_every_bar_chart_has_room_for_its_longest_label():
    charts = [hbar([(LONG, 3.0), ("short", 1.0)]),
              grouped_hbar([LONG, "identity recall"], {n: [0.5, 0.2] for n in NAMES}, vmax=1.0),
              share_bars([(LONG, [1.0, 2.0])], ["1", "2"])]
    for svg in charts:
        assert _label_column(svg) >= LABEL_PX * len(LONG), f"label column too narrow for {LONG!r}: {svg[:200]}"
    cell = {"rate": 0.5, "lo": 0.3, "hi": 0.7, "n": 24, "k": 12}
    svg = rate_bars([("m", LONG)], [{"label": n} for n in NAMES], lambda s, k: cell, "evals")
    assert float(re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end"', svg)[0]) >= LABEL_PX * len(LONG)


def test_a_label_longer_than_the_column_is_cut_with_an_ellipsis_and_kept_whole_in_its_tooltip():
    label = "reasoning_gym:base_conversion_with_a_very_long_name"
    svg = hbar([(label, 1.0)])
    assert f"<title>{label}</title>" in svg and "…</text>" in svg


def _legend_ends(svg: str, y: int) -> tuple[float, float]:
    """Where the legend starts and where its last entry's text ends (report_html.legend: 24 + 7 px a character)."""
    xs = [float(x) for x in re.findall(rf'<rect x="([\d.]+)" y="{y}" width="10"', svg)]
    assert len(xs) == len(NAMES), svg[:300]
    return xs[0], xs[-1] + 14 + 7 * len(NAMES[-1])


def test_a_legend_ends_inside_the_picture():
    svg = grouped_hbar(["identity"], {n: [0.5] for n in NAMES}, vmax=1.0)
    assert _legend_ends(svg, 3)[1] <= _width(svg), "the last legend entry runs past the right edge"


def test_the_eval_bars_legend_moves_left_to_fit():
    """rate_bars draws its legend with report_html's: when the label column plus the subjects' names are wider than
    the picture it starts left of the label column (its own loop started at the column and ran off the edge)."""
    cell = {"rate": 0.5, "lo": 0.3, "hi": 0.7, "n": 24, "k": 12}
    svg = rate_bars([("m", LONG)], [{"label": n} for n in NAMES], lambda s, k: cell, "evals", width=520)
    start, end = _legend_ends(svg, 27)
    assert start < _label_column(svg) and end <= _width(svg) == 520, svg[:400]
