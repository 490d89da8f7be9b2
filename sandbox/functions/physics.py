"""Classical physics formulas in SI units (g = 9.80665 m/s²): motion, energy, circuits, pendulums, density."""

import math

from ._common import need, sig

G = 9.80665


def kinetic_energy(mass_kg: float, speed_m_s: float) -> dict:
    """The kinetic energy of a moving mass, in joules and kilojoules.

    Args:
        mass_kg: Mass in kilograms.
        speed_m_s: Speed in metres per second.
    """
    need(mass_kg > 0, f"mass_kg must be positive, got {mass_kg}")
    e = 0.5 * mass_kg * speed_m_s**2
    return {"joules": sig(e), "kilojoules": sig(e / 1000)}


def ohms_law(voltage: float = 0, current: float = 0, resistance: float = 0) -> dict:
    """Solve Ohm's law (V = I * R) for the missing quantity: give exactly two of the three, leave the third 0.

    Args:
        voltage: Voltage in volts, or 0 if unknown.
        current: Current in amperes, or 0 if unknown.
        resistance: Resistance in ohms, or 0 if unknown.
    """
    given = [name for name, v in (("voltage", voltage), ("current", current), ("resistance", resistance)) if v]
    need(len(given) == 2, f"give exactly two of voltage, current and resistance (got {', '.join(given) or 'none'})")
    if "voltage" not in given:
        voltage = current * resistance
    elif "current" not in given:
        current = voltage / resistance
    else:
        resistance = voltage / current
    return {"voltage": sig(voltage), "current": sig(current), "resistance": sig(resistance),
            "power_watts": sig(voltage * current)}


def free_fall(height_m: float) -> dict:
    """Time to fall from a height without air resistance, and the speed on impact.

    Args:
        height_m: Drop height in metres.
    """
    need(height_m > 0, f"height_m must be positive, got {height_m}")
    t = math.sqrt(2 * height_m / G)
    return {"seconds": sig(t, 4), "impact_speed_m_s": sig(G * t, 4), "impact_speed_km_h": sig(G * t * 3.6, 4)}


def projectile_range(speed_m_s: float, angle_deg: float) -> dict:
    """Range, flight time and peak height of a projectile launched from the ground (no air resistance).

    Args:
        speed_m_s: Launch speed in metres per second.
        angle_deg: Launch angle above the horizontal, in degrees (0 to 90).
    """
    need(speed_m_s > 0 and 0 < angle_deg < 90, "speed_m_s must be positive and angle_deg between 0 and 90")
    a = math.radians(angle_deg)
    return {"range_m": sig(speed_m_s**2 * math.sin(2 * a) / G, 4),
            "flight_time_s": sig(2 * speed_m_s * math.sin(a) / G, 4),
            "max_height_m": sig((speed_m_s * math.sin(a)) ** 2 / (2 * G), 4)}


def pendulum_period(length_m: float) -> dict:
    """The period and frequency of a simple pendulum (small swings).

    Args:
        length_m: Length of the pendulum in metres.
    """
    need(length_m > 0, f"length_m must be positive, got {length_m}")
    t = 2 * math.pi * math.sqrt(length_m / G)
    return {"period_s": sig(t, 4), "frequency_hz": sig(1 / t, 4)}


def density(mass_kg: float, volume_m3: float) -> dict:
    """Density from mass and volume, and whether the object would float in fresh water.

    Args:
        mass_kg: Mass in kilograms.
        volume_m3: Volume in cubic metres.
    """
    need(mass_kg > 0 and volume_m3 > 0, "mass_kg and volume_m3 must be positive")
    rho = mass_kg / volume_m3
    return {"kg_per_m3": sig(rho), "g_per_cm3": sig(rho / 1000), "floats_in_water": rho < 1000}


def wavelength(frequency_hz: float, speed_m_s: float = 299792458) -> dict:
    """The wavelength of a wave from its frequency (light in vacuum by default; 343 for sound in air).

    Args:
        frequency_hz: Frequency in hertz.
        speed_m_s: Propagation speed in m/s (299792458 for light, 343 for sound).
    """
    need(frequency_hz > 0 and speed_m_s > 0, "frequency_hz and speed_m_s must be positive")
    return {"metres": sig(speed_m_s / frequency_hz), "period_s": sig(1 / frequency_hz)}


FUNCTIONS = [kinetic_energy, ohms_law, free_fall, projectile_range, pendulum_period, density, wavelength]
