"""Plane and solid geometry: areas, perimeters, volumes, distances and angles."""

import math

from ._common import need, sig


def _positive(**values: float) -> None:
    for name, v in values.items():
        need(v > 0, f"{name} must be positive, got {v}")


def circle_area(radius: float) -> float:
    """The area of a circle.

    Args:
        radius: The circle's radius.
    """
    _positive(radius=radius)
    return sig(math.pi * radius**2)


def circle_circumference(radius: float) -> float:
    """The circumference (perimeter) of a circle.

    Args:
        radius: The circle's radius.
    """
    _positive(radius=radius)
    return sig(2 * math.pi * radius)


def rectangle_area(width: float, height: float) -> dict:
    """The area, perimeter and diagonal of a rectangle.

    Args:
        width: The rectangle's width.
        height: The rectangle's height.
    """
    _positive(width=width, height=height)
    return {"area": sig(width * height), "perimeter": sig(2 * (width + height)), "diagonal": sig(math.hypot(width, height))}


def triangle_area(a: float, b: float, c: float) -> float:
    """The area of a triangle from its three side lengths (Heron's formula).

    Args:
        a: Length of the first side.
        b: Length of the second side.
        c: Length of the third side.
    """
    _positive(a=a, b=b, c=c)
    need(a + b > c and a + c > b and b + c > a, f"sides {a}, {b}, {c} do not make a triangle")
    s = (a + b + c) / 2
    return sig(math.sqrt(s * (s - a) * (s - b) * (s - c)))


def distance_2d(x1: float, y1: float, x2: float, y2: float) -> float:
    """The straight-line distance between two points of the plane.

    Args:
        x1: x of the first point.
        y1: y of the first point.
        x2: x of the second point.
        y2: y of the second point.
    """
    return sig(math.hypot(x2 - x1, y2 - y1))


def polygon_area(xs: list[float], ys: list[float]) -> float:
    """The area of a simple polygon from its vertices in order (shoelace formula).

    Args:
        xs: The vertices' x coordinates, in order around the polygon.
        ys: The vertices' y coordinates, same order.
    """
    need(len(xs) == len(ys), f"xs and ys must be the same length ({len(xs)} vs {len(ys)})")
    need(len(xs) >= 3, "a polygon needs at least 3 vertices")
    twice = sum(xs[i] * ys[(i + 1) % len(xs)] - xs[(i + 1) % len(xs)] * ys[i] for i in range(len(xs)))
    return sig(abs(twice) / 2)


def sphere_volume(radius: float) -> dict:
    """The volume and surface area of a sphere.

    Args:
        radius: The sphere's radius.
    """
    _positive(radius=radius)
    return {"volume": sig(4 / 3 * math.pi * radius**3), "surface_area": sig(4 * math.pi * radius**2)}


def cylinder_volume(radius: float, height: float) -> dict:
    """The volume and total surface area of a closed cylinder.

    Args:
        radius: The base radius.
        height: The height.
    """
    _positive(radius=radius, height=height)
    return {"volume": sig(math.pi * radius**2 * height),
            "surface_area": sig(2 * math.pi * radius * (radius + height))}


def cone_volume(radius: float, height: float) -> float:
    """The volume of a right circular cone.

    Args:
        radius: The base radius.
        height: The height.
    """
    _positive(radius=radius, height=height)
    return sig(math.pi * radius**2 * height / 3)


def hypotenuse(a: float, b: float) -> float:
    """The hypotenuse of a right triangle from its two legs (Pythagoras).

    Args:
        a: The first leg.
        b: The second leg.
    """
    _positive(a=a, b=b)
    return sig(math.hypot(a, b))


def regular_polygon(sides: int, side_length: float) -> dict:
    """The interior angle, perimeter and area of a regular polygon.

    Args:
        sides: Number of sides (3 or more).
        side_length: Length of one side.
    """
    need(sides >= 3, f"sides must be 3 or more, got {sides}")
    _positive(side_length=side_length)
    area = sides * side_length**2 / (4 * math.tan(math.pi / sides))
    return {"interior_angle_deg": sig((sides - 2) * 180 / sides), "perimeter": sig(sides * side_length),
            "area": sig(area)}


FUNCTIONS = [circle_area, circle_circumference, rectangle_area, triangle_area, distance_2d, polygon_area, sphere_volume,
             cylinder_volume, cone_volume, hypotenuse, regular_polygon]
