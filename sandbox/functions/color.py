"""Colours: hex and RGB conversions, HSL, WCAG contrast, mixing and lightening."""

import colorsys

from ._common import need, sig


def _rgb(hex_color: str, name: str = "hex_color") -> tuple[int, int, int]:
    text = hex_color.strip()
    need(len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:]),
         f"{name} must look like #RRGGBB (six hex digits after #), got {hex_color!r}")
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def _hex(r: int, g: int, b: int) -> str:
    return f"#{r:02x}{g:02x}{b:02x}"


def hex_to_rgb(hex_color: str) -> dict:
    """The red, green and blue components (0-255) of a hex colour.

    Args:
        hex_color: The colour as #RRGGBB.
    """
    r, g, b = _rgb(hex_color)
    return {"r": r, "g": g, "b": b}


def rgb_to_hex(r: int, g: int, b: int) -> str:
    """The #rrggbb hex code of an RGB colour.

    Args:
        r: Red, 0 to 255.
        g: Green, 0 to 255.
        b: Blue, 0 to 255.
    """
    need(all(0 <= v <= 255 for v in (r, g, b)), "r, g and b must each be between 0 and 255")
    return _hex(r, g, b)


def hex_to_hsl(hex_color: str) -> dict:
    """A hex colour as hue (degrees), saturation and lightness (percent).

    Args:
        hex_color: The colour as #RRGGBB.
    """
    r, g, b = _rgb(hex_color)
    h, lightness, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    return {"hue": round(h * 360), "saturation": round(s * 100), "lightness": round(lightness * 100)}


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> dict:
    """The WCAG contrast ratio of two colours and whether it passes AA (4.5:1) and AAA (7:1) for normal text.

    Args:
        foreground: Text colour as #RRGGBB.
        background: Background colour as #RRGGBB.
    """
    a, b = _luminance(_rgb(foreground, "foreground")), _luminance(_rgb(background, "background"))
    ratio = (max(a, b) + 0.05) / (min(a, b) + 0.05)
    return {"ratio": round(ratio, 2), "passes_aa": ratio >= 4.5, "passes_aaa": ratio >= 7}


def mix_colors(color_a: str, color_b: str, weight: float = 0.5) -> str:
    """Blend two hex colours; weight is the share of color_b (0.5 is an even mix).

    Args:
        color_a: The first colour as #RRGGBB.
        color_b: The second colour as #RRGGBB.
        weight: Share of color_b in the mix, from 0 to 1.
    """
    need(0 <= weight <= 1, f"weight must be between 0 and 1, got {weight}")
    a, b = _rgb(color_a, "color_a"), _rgb(color_b, "color_b")
    r, g, bl = (round(x + (y - x) * weight) for x, y in zip(a, b, strict=True))
    return _hex(r, g, bl)


def lighten_color(hex_color: str, amount: float) -> str:
    """Make a colour lighter (or, with a negative amount, darker) by changing its HSL lightness.

    Args:
        hex_color: The colour as #RRGGBB.
        amount: Lightness to add, -1 to 1 (0.1 lightens by 10 points).
    """
    need(-1 <= amount <= 1, f"amount must be between -1 and 1, got {amount}")
    r, g, b = _rgb(hex_color)
    h, lightness, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    lightness = min(1.0, max(0.0, lightness + amount))
    r2, g2, b2 = (round(v * 255) for v in colorsys.hls_to_rgb(h, lightness, s))
    return _hex(r2, g2, b2)


def grayscale(hex_color: str) -> dict:
    """The grey a colour turns into (by relative luminance), and that luminance (0 to 1).

    Args:
        hex_color: The colour as #RRGGBB.
    """
    lum = _luminance(_rgb(hex_color))
    srgb = 12.92 * lum if lum <= 0.0031308 else 1.055 * lum ** (1 / 2.4) - 0.055
    v = round(srgb * 255)
    return {"gray": _hex(v, v, v), "luminance": sig(lum, 4)}


FUNCTIONS = [hex_to_rgb, rgb_to_hex, hex_to_hsl, contrast_ratio, mix_colors, lighten_color, grayscale]
