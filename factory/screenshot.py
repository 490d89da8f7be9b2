"""`python -m factory screenshot persona=lanbot`: the dashboard (reports/stats.html) as a PNG, as headless Chromium paints it.

    python -m factory screenshot persona=lanbot [root=corpora] [out=docs/dashboard-after.png] [width=1400]
        [scale=0.6] [colors=128] [html=PAGE] [stats=true]

Runs `stats` first (stats=false, or html= an existing page, skips it), opens the page in headless Chromium with the
flags that keep it off the network, shoots the whole page (a window taller than the page, the empty bottom cropped)
and writes it downscaled by `scale` and quantised to `colors` colours, so a full page stays a few hundred KB.
`just dashboard-png` regenerates the README's docs/dashboard-after.png from the demo corpus this way.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from schemas.settings import InputError, UsageError, parse_settings
from schemas.storage import write_atomic

# Without these, headless Chromium tries to reach the network (updates, sync, QUIC) and hangs on a closed one.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
TALL = 16000  # px: the window the page is painted in; taller pages are cut there (said on stdout)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(args: list[str], profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Headless Chromium with a throwaway profile; `args` are the page and what to do with it."""
    exe = chromium_path()
    if exe is None:
        raise InputError("chromium is not installed (apt-get install -y chromium; install.sh does)")
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=timeout)


def shoot(page: Path, width: int = 1400, height: int = TALL):
    """`page` painted in a width x height window, the empty bottom cropped (a PIL image)."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="crucible-shot-") as tmp:
        raw = Path(tmp) / "shot.png"
        proc = chromium([f"--screenshot={raw}", f"--window-size={width},{height}", page.resolve().as_uri()],
                        Path(tmp) / "profile")
        if proc.returncode != 0 or not raw.is_file():
            raise InputError(f"chromium could not shoot {page}: {proc.stderr.strip()[-300:]}")
        image = Image.open(raw).convert("RGB")
        return image.crop((0, 0, image.width, content_height(image)))


def content_height(image) -> int:
    """The last row that differs from the page's bottom-right background colour, plus a small margin."""
    background = image.getpixel((image.width - 1, image.height - 1))
    pixels = image.load()
    for y in range(image.height - 1, -1, -1):
        if any(pixels[x, y] != background for x in range(0, image.width, 4)):
            return min(image.height, y + 24)
    return image.height


def optimise(image, scale: float, colors: int) -> bytes:
    """Downscaled and quantised PNG bytes (the README's pictures stay small enough for a repository)."""
    from PIL import Image

    if scale != 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    image = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    settings, _ = parse_settings(argv, ("persona", "root", "out", "width", "scale", "colors", "html", "stats"),
                                 usage="screenshot persona=<name> [out=PNG] [html=PAGE]")
    width = settings.integer("width", 1400, low=320)
    scale = settings.number("scale", 0.6, low=0.1, high=1)
    colors = settings.integer("colors", 128, low=2)
    out = Path(settings.get("out", "docs/dashboard-after.png"))
    if settings.get("html"):
        page = Path(settings["html"])
    else:
        from schemas import corpora_root

        persona = settings.get("persona", "lanbot")
        root = Path(settings["root"]) if "root" in settings else corpora_root()
        if settings.flag("stats", True):
            from factory.stats import main as stats_main

            code = stats_main([f"persona={persona}", f"root={root}", "quiet=true"])
            if code:
                return code
        page = root / persona / "reports" / "stats.html"
    if not page.is_file():
        raise UsageError(f"no page at {page}: run `just stats` first (or give html=PAGE)")
    image = shoot(page, width)
    write_atomic(out, optimise(image, scale, colors))
    cut = " (the window's height: the page goes on below)" if image.height >= TALL else ""
    print(f"{page} -> {out}: {image.width}x{image.height} px painted{cut}, saved at scale {scale}, "
          f"{out.stat().st_size // 1024} KB")
    return 0
