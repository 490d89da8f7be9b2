"""stats.html in a real browser: headless Chromium runs the page's script, paints the plots and the record browser.

The DOM after load (--dump-dom) must carry the marker the page's script writes when it has run, with the number of
plots, embedded records and rendered messages; the screenshot must be a real picture (not blank) with the family
colours of the bars in it. Set CRUCIBLE_DASHBOARD_PNG=docs/dashboard.png to also write the README's picture.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from factory import screenshot
from factory.report_html import PALETTE
from factory.stats import main as stats_main
from tests.stats_corpus import PERSONA, write_corpus

CHROMIUM = screenshot.chromium_path()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")]


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return screenshot.chromium(args, profile)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    write_corpus(root, n=700)
    assert stats_main([f"persona={PERSONA}", f"root={root}", "quiet=true", "browse=400"]) == 0
    return root / PERSONA / "reports" / "stats.html"


def test_script_ran_and_rendered_plots_and_browser(page, tmp_path):
    proc = chromium(["--dump-dom", page.as_uri()], tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert re.search(r'<html[^>]*data-rendered="true"', dom), "the page's script did not finish"
    marker = re.search(r'<div id="render-marker"([^>]*)>rendered</div>', dom)
    assert marker, "no render marker"
    attrs = dict(re.findall(r'data-(\w+)="(\d+)"', marker.group(1)))
    assert int(attrs["plots"]) >= 20
    assert int(attrs["records"]) == 400
    assert int(attrs["listed"]) == 300  # the list shows the first 300 matches
    assert int(attrs["messages"]) >= 2  # the first record's conversation is on screen
    assert int(attrs["clipped"]) == 0  # no heading wider than its box (titles used to be cut at the SVG's edge)
    assert '<div class="msg user">' in dom and "embedded records" in dom
    # the persona's system prompt is stored once in the page and put back into every conversation by the script
    conversation = dom.split('id="conversation"', 1)[1]
    assert "allergic to corporate-speak" in conversation


def test_a_rejected_record_opens_with_its_reason(page, tmp_path):
    data = re.search(r'id="records-data">(.*?)</script>', page.read_text(), re.S)
    assert data
    near = next(r for r in json.loads(data.group(1)) if r["stage"] == "near_dedup")
    proc = chromium(["--dump-dom", f"{page.as_uri()}#record={near['id']}"], tmp_path / "profile")
    dom = proc.stdout
    assert 'data-rendered="true"' in dom
    conversation = dom.split('id="conversation"', 1)[1]
    assert "rejected at near_dedup:" in conversation and "near duplicate of" in conversation
    assert "→ show" in conversation  # the kept original is embedded: a link to it


def test_screenshot_is_a_real_dashboard(page, tmp_path):
    from PIL import Image, ImageStat

    png = tmp_path / "dashboard.png"
    proc = chromium([f"--screenshot={png}", "--window-size=1400,2600", page.as_uri()], tmp_path / "profile")
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-2000:]
    image = Image.open(png).convert("RGB")
    assert image.size == (1400, 2600)
    assert max(ImageStat.Stat(image).stddev) > 20, "screenshot is (nearly) blank"
    pixels = colour_counts(image)
    assert len(pixels) > 200, "too few distinct colours for a page of plots"
    for family in ("identity", "tool_use", "reasoning"):  # bars in the family colours were painted
        hexa = PALETTE[family]
        rgb = (int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16))
        assert pixels.get(rgb, 0) > 200, f"no {family} bars in the screenshot"
    target = os.environ.get("CRUCIBLE_DASHBOARD_PNG")
    if target:
        shutil.copy(png, target)


def colour_counts(image) -> dict[tuple[int, int, int], int]:
    return {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 20) or []}
