"""Unit conversion: length, mass, temperature, volume, speed, area, data size, energy, pressure, durations.

Units are short symbols checked at run time, so a call with a spelled-out unit ("kilometers") fails with the list of
accepted symbols rather than being guessed at.
"""

from ._common import closest, sig

LENGTH = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048, "yd": 0.9144,
          "mi": 1609.344, "nmi": 1852.0}
MASS = {"mg": 1e-6, "g": 0.001, "kg": 1.0, "t": 1000.0, "oz": 0.028349523125, "lb": 0.45359237, "st": 6.35029318}
VOLUME = {"ml": 0.001, "cl": 0.01, "l": 1.0, "m3": 1000.0, "tsp": 0.00492892159375, "tbsp": 0.01478676478125,
          "cup": 0.2365882365, "pt": 0.473176473, "qt": 0.946352946, "gal": 3.785411784, "floz": 0.0295735295625}
SPEED = {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704, "kn": 1852 / 3600, "ft/s": 0.3048}
AREA = {"mm2": 1e-6, "cm2": 1e-4, "m2": 1.0, "ha": 1e4, "km2": 1e6, "in2": 0.00064516, "ft2": 0.09290304,
        "yd2": 0.83612736, "acre": 4046.8564224, "mi2": 2589988.110336}
DATA = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4, "KiB": 1024, "MiB": 1024**2,
        "GiB": 1024**3, "TiB": 1024**4, "bit": 0.125}
ENERGY = {"J": 1.0, "kJ": 1000.0, "cal": 4.184, "kcal": 4184.0, "Wh": 3600.0, "kWh": 3.6e6, "BTU": 1055.05585262,
          "eV": 1.602176634e-19}
PRESSURE = {"Pa": 1.0, "kPa": 1000.0, "bar": 1e5, "atm": 101325.0, "psi": 6894.757293168, "mmHg": 133.322387415}
DURATION = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0, "week": 604800.0}


def _convert(table: dict, kind: str, value: float, from_unit: str, to_unit: str) -> float | int:
    for unit in (from_unit, to_unit):
        if unit not in table:
            raise ValueError(f"unknown {kind} unit {unit!r}{closest(unit, table)}; use one of: {', '.join(table)}")
    return sig(value * table[from_unit] / table[to_unit])


def convert_length(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a length or distance between metric and imperial units.

    Args:
        value: The length to convert.
        from_unit: Unit of `value`, one of mm, cm, m, km, in, ft, yd, mi, nmi.
        to_unit: Unit to convert to, one of mm, cm, m, km, in, ft, yd, mi, nmi.
    """
    return _convert(LENGTH, "length", value, from_unit, to_unit)


def convert_mass(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a mass or weight between metric and imperial units.

    Args:
        value: The mass to convert.
        from_unit: Unit of `value`, one of mg, g, kg, t, oz, lb, st.
        to_unit: Unit to convert to, one of mg, g, kg, t, oz, lb, st.
    """
    return _convert(MASS, "mass", value, from_unit, to_unit)


def convert_temperature(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K).

    Args:
        value: The temperature to convert.
        from_unit: Scale of `value`: C, F or K.
        to_unit: Scale to convert to: C, F or K.
    """
    scales = ("C", "F", "K")
    for unit in (from_unit, to_unit):
        if unit not in scales:
            raise ValueError(f"unknown temperature scale {unit!r}{closest(unit, scales)}; use C, F or K")
    kelvin = {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[from_unit]
    if kelvin < 0:
        raise ValueError(f"{value} {from_unit} is below absolute zero")
    return sig({"C": kelvin - 273.15, "F": (kelvin - 273.15) * 9 / 5 + 32, "K": kelvin}[to_unit], 5)


def convert_volume(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a volume between metric and US customary units.

    Args:
        value: The volume to convert.
        from_unit: Unit of `value`, one of ml, cl, l, m3, tsp, tbsp, cup, pt, qt, gal, floz (US measures).
        to_unit: Unit to convert to (same choices as from_unit).
    """
    return _convert(VOLUME, "volume", value, from_unit, to_unit)


def convert_speed(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a speed between m/s, km/h, mph, knots (kn) and ft/s.

    Args:
        value: The speed to convert.
        from_unit: Unit of `value`: m/s, km/h, mph, kn or ft/s.
        to_unit: Unit to convert to: m/s, km/h, mph, kn or ft/s.
    """
    return _convert(SPEED, "speed", value, from_unit, to_unit)


def convert_area(value: float, from_unit: str, to_unit: str) -> float:
    """Convert an area between metric and imperial units.

    Args:
        value: The area to convert.
        from_unit: Unit of `value`, one of mm2, cm2, m2, ha, km2, in2, ft2, yd2, acre, mi2.
        to_unit: Unit to convert to (same choices as from_unit).
    """
    return _convert(AREA, "area", value, from_unit, to_unit)


def convert_data_size(value: float, from_unit: str, to_unit: str) -> float:
    """Convert an amount of data between bits, bytes and decimal (KB, MB ...) or binary (KiB, MiB ...) multiples.

    Args:
        value: The amount to convert.
        from_unit: Unit of `value`, one of bit, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB.
        to_unit: Unit to convert to (same choices as from_unit).
    """
    return _convert(DATA, "data", value, from_unit, to_unit)


def convert_energy(value: float, from_unit: str, to_unit: str) -> float:
    """Convert energy between joules, calories, watt-hours, BTU and electronvolts.

    Args:
        value: The energy to convert.
        from_unit: Unit of `value`, one of J, kJ, cal, kcal, Wh, kWh, BTU, eV.
        to_unit: Unit to convert to (same choices as from_unit).
    """
    return _convert(ENERGY, "energy", value, from_unit, to_unit)


def convert_pressure(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a pressure between pascals, bar, atmospheres, psi and mmHg.

    Args:
        value: The pressure to convert.
        from_unit: Unit of `value`, one of Pa, kPa, bar, atm, psi, mmHg.
        to_unit: Unit to convert to (same choices as from_unit).
    """
    return _convert(PRESSURE, "pressure", value, from_unit, to_unit)


def convert_duration(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a span of time between milliseconds, seconds, minutes, hours, days and weeks.

    Args:
        value: The duration to convert.
        from_unit: Unit of `value`: ms, s, min, h, day or week.
        to_unit: Unit to convert to: ms, s, min, h, day or week.
    """
    return _convert(DURATION, "duration", value, from_unit, to_unit)


FUNCTIONS = [convert_length, convert_mass, convert_temperature, convert_volume, convert_speed, convert_area,
             convert_data_size, convert_energy, convert_pressure, convert_duration]
