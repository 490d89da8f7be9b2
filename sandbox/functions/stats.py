"""Descriptive statistics over lists of numbers (the stdlib `statistics` module underneath)."""

import math
import statistics as st
from collections.abc import Callable
from typing import Any

from ._common import need, sig


def _values(values: list[float], least: int = 1, name: str = "values") -> list[float]:
    need(len(values) >= least, f"{name} needs at least {least} number{'s' if least != 1 else ''}, got {len(values)}")
    return values


def _paired(fn: Callable[[list[float], list[float]], Any], x: list[float], y: list[float]) -> Any:
    """fn(x, y) for two equally long lists of at least two numbers; what `statistics` rejects as a ValueError."""
    need(len(x) == len(y), f"x and y must be the same length ({len(x)} vs {len(y)})")
    _values(x, 2, "x")
    try:
        return fn(x, y)
    except st.StatisticsError as exc:
        raise ValueError(str(exc)) from None


def calculate_mean(values: list[float]) -> float:
    """The arithmetic mean (average) of a list of numbers.

    Args:
        values: The numbers to average.
    """
    return sig(st.fmean(_values(values)))


def calculate_median(values: list[float]) -> float:
    """The median (middle value) of a list of numbers.

    Args:
        values: The numbers.
    """
    return sig(st.median(_values(values)))


def find_mode(values: list[float]) -> list[float]:
    """The most frequent value(s) in a list of numbers, smallest first.

    Args:
        values: The numbers.
    """
    return sorted(sig(v) for v in st.multimode(_values(values)))


def standard_deviation(values: list[float], sample: bool = True) -> float:
    """The standard deviation of a list of numbers.

    Args:
        values: The numbers (at least two for a sample).
        sample: True for the sample standard deviation (n-1), false for the population one (n).
    """
    return sig(st.stdev(_values(values, 2)) if sample else st.pstdev(_values(values)))


def variance(values: list[float], sample: bool = True) -> float:
    """The variance of a list of numbers.

    Args:
        values: The numbers (at least two for a sample).
        sample: True for the sample variance (n-1), false for the population variance (n).
    """
    return sig(st.variance(_values(values, 2)) if sample else st.pvariance(_values(values)))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of a list of numbers (linear interpolation between closest ranks).

    Args:
        values: The numbers.
        p: The percentile, from 0 to 100 (50 is the median).
    """
    need(0 <= p <= 100, f"p must be between 0 and 100, got {p}")
    data = sorted(_values(values))
    pos = (len(data) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return sig(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def z_score(value: float, values: list[float]) -> float:
    """How many sample standard deviations a value lies above (or below) the mean of a list.

    Args:
        value: The value to place.
        values: The reference numbers (at least two, not all equal).
    """
    sd = st.stdev(_values(values, 2))
    need(sd > 0, "the reference values are all equal, so no z-score exists")
    return sig((value - st.fmean(values)) / sd, 4)


def pearson_correlation(x: list[float], y: list[float]) -> float:
    """Pearson's correlation coefficient between two equally long lists of numbers.

    Args:
        x: The first variable's values.
        y: The second variable's values, paired with x.
    """
    return sig(_paired(st.correlation, x, y), 4)


def linear_regression(x: list[float], y: list[float]) -> dict:
    """The least-squares line y = slope * x + intercept through paired data.

    Args:
        x: The independent variable's values.
        y: The dependent variable's values, paired with x.
    """
    fit = _paired(st.linear_regression, x, y)
    return {"slope": sig(fit.slope), "intercept": sig(fit.intercept)}


def describe_numbers(values: list[float]) -> dict:
    """A summary of a list of numbers: count, min, max, mean, median and sum.

    Args:
        values: The numbers.
    """
    data = _values(values)
    return {"count": len(data), "min": sig(min(data)), "max": sig(max(data)), "mean": sig(st.fmean(data)),
            "median": sig(st.median(data)), "sum": sig(math.fsum(data))}


FUNCTIONS = [calculate_mean, calculate_median, find_mode, standard_deviation, variance, percentile, z_score,
             pearson_correlation, linear_regression, describe_numbers]
