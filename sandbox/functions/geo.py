"""Geography on a spherical Earth (mean radius 6371.0088 km): distances, bearings and coordinate formats."""

import math

from ._common import need, sig

EARTH_KM = 6371.0088
COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")


def _point(lat: float, lon: float, which: str) -> tuple[float, float]:
    need(-90 <= lat <= 90, f"{which} latitude must be between -90 and 90, got {lat}")
    need(-180 <= lon <= 180, f"{which} longitude must be between -180 and 180, got {lon}")
    return math.radians(lat), math.radians(lon)


def haversine_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> dict:
    """The great-circle distance between two places, in kilometres and miles.

    Args:
        lat1: Latitude of the first place, in degrees (north positive).
        lon1: Longitude of the first place, in degrees (east positive).
        lat2: Latitude of the second place.
        lon2: Longitude of the second place.
    """
    p1, l1 = _point(lat1, lon1, "first")
    p2, l2 = _point(lat2, lon2, "second")
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    km = 2 * EARTH_KM * math.asin(math.sqrt(h))
    return {"km": round(km, 1), "miles": round(km / 1.609344, 1)}


def initial_bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> dict:
    """The compass bearing to set off on from one place towards another (great-circle route).

    Args:
        lat1: Latitude of the start, in degrees.
        lon1: Longitude of the start, in degrees.
        lat2: Latitude of the destination.
        lon2: Longitude of the destination.
    """
    p1, l1 = _point(lat1, lon1, "start")
    p2, l2 = _point(lat2, lon2, "destination")
    y = math.sin(l2 - l1) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(l2 - l1)
    deg = (math.degrees(math.atan2(y, x)) + 360) % 360
    return {"degrees": round(deg, 1), "compass": COMPASS[round(deg / 22.5) % 16]}


def geo_midpoint(lat1: float, lon1: float, lat2: float, lon2: float) -> dict:
    """The point halfway between two places along the great circle.

    Args:
        lat1: Latitude of the first place.
        lon1: Longitude of the first place.
        lat2: Latitude of the second place.
        lon2: Longitude of the second place.
    """
    p1, l1 = _point(lat1, lon1, "first")
    p2, l2 = _point(lat2, lon2, "second")
    bx, by = math.cos(p2) * math.cos(l2 - l1), math.cos(p2) * math.sin(l2 - l1)
    lat = math.atan2(math.sin(p1) + math.sin(p2), math.hypot(math.cos(p1) + bx, by))
    lon = l1 + math.atan2(by, math.cos(p1) + bx)
    return {"lat": round(math.degrees(lat), 4), "lon": round((math.degrees(lon) + 540) % 360 - 180, 4)}


def decimal_to_dms(degrees: float, axis: str) -> str:
    """Write a decimal coordinate as degrees, minutes and seconds with a hemisphere letter.

    Args:
        degrees: The coordinate in decimal degrees.
        axis: 'lat' for a latitude or 'lon' for a longitude.
    """
    need(axis in ("lat", "lon"), f"axis must be 'lat' or 'lon', got {axis!r}")
    need(abs(degrees) <= (90 if axis == "lat" else 180), f"{degrees} is out of range for a {axis}")
    hemi = ("N" if degrees >= 0 else "S") if axis == "lat" else ("E" if degrees >= 0 else "W")
    total = round(abs(degrees) * 3600, 1)
    d, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{int(d)}°{int(m):02d}′{s:04.1f}″{hemi}"


def dms_to_decimal(degrees: int, minutes: int, seconds: float, hemisphere: str) -> float:
    """Convert degrees, minutes and seconds with a hemisphere letter to decimal degrees.

    Args:
        degrees: Whole degrees.
        minutes: Minutes, 0 to 59.
        seconds: Seconds, 0 to less than 60.
        hemisphere: One letter: N, S, E or W.
    """
    need(hemisphere in ("N", "S", "E", "W"), f"hemisphere must be one letter N, S, E or W, got {hemisphere!r}")
    need(0 <= minutes < 60 and 0 <= seconds < 60 and degrees >= 0, "minutes and seconds must be in 0..59")
    value = degrees + minutes / 60 + seconds / 3600
    need(value <= (90 if hemisphere in "NS" else 180), "the coordinate is out of range")
    return round(-value if hemisphere in "SW" else value, 6)


def destination_point(lat: float, lon: float, bearing_deg: float, distance_km: float) -> dict:
    """Where you end up travelling a distance from a place along an initial compass bearing.

    Args:
        lat: Latitude of the start, in degrees.
        lon: Longitude of the start, in degrees.
        bearing_deg: Initial bearing in degrees clockwise from north.
        distance_km: Distance to travel, in kilometres.
    """
    p1, l1 = _point(lat, lon, "start")
    need(distance_km >= 0, "distance_km must be zero or more")
    d, b = distance_km / EARTH_KM, math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return {"lat": round(math.degrees(p2), 4), "lon": round((math.degrees(l2) + 540) % 360 - 180, 4)}


def travel_time(distance_km: float, speed_kmh: float) -> dict:
    """How long a trip takes at a steady speed, in hours and as hours and minutes.

    Args:
        distance_km: The distance in kilometres.
        speed_kmh: The average speed in km/h.
    """
    need(speed_kmh > 0 and distance_km >= 0, "speed_kmh must be positive and distance_km zero or more")
    minutes = round(distance_km / speed_kmh * 60)
    return {"hours": sig(distance_km / speed_kmh, 4), "h_mm": f"{minutes // 60}:{minutes % 60:02d}"}


FUNCTIONS = [haversine_distance, initial_bearing, geo_midpoint, decimal_to_dms, dms_to_decimal, destination_point,
             travel_time]
