"""Number theory and number formats: divisors, primes, sequences, Roman numerals and bases."""

import math

from ._common import need

ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
         (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def greatest_common_divisor(numbers: list[int]) -> int:
    """The greatest common divisor of two or more integers.

    Args:
        numbers: The integers (at least two).
    """
    need(len(numbers) >= 2, "give at least two numbers")
    return math.gcd(*numbers)


def least_common_multiple(numbers: list[int]) -> int:
    """The least common multiple of two or more integers.

    Args:
        numbers: The integers (at least two).
    """
    need(len(numbers) >= 2, "give at least two numbers")
    return math.lcm(*numbers)


def is_prime(n: int) -> bool:
    """Whether an integer is a prime number.

    Args:
        n: The integer to test (up to 10^12).
    """
    need(abs(n) <= 10**12, "n must be at most 10^12")
    if n < 2:
        return False
    return all(n % d for d in range(2, math.isqrt(n) + 1))


def prime_factors(n: int) -> list[int]:
    """The prime factorisation of an integer, smallest factor first, with repeats.

    Args:
        n: The integer to factor, from 2 up to 10^12.
    """
    need(2 <= n <= 10**12, f"n must be between 2 and 10^12, got {n}")
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    return out + ([n] if n > 1 else [])


def fibonacci(n: int) -> int:
    """The n-th Fibonacci number, with F(0) = 0 and F(1) = 1.

    Args:
        n: The index, 0 to 300.
    """
    need(0 <= n <= 300, f"n must be between 0 and 300, got {n}")
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def factorial(n: int) -> int:
    """n factorial (n!), the product 1 * 2 * ... * n.

    Args:
        n: A whole number from 0 to 100.
    """
    need(0 <= n <= 100, f"n must be between 0 and 100, got {n}")
    return math.factorial(n)


def to_roman(number: int) -> str:
    """Write a whole number in Roman numerals.

    Args:
        number: From 1 to 3999.
    """
    need(1 <= number <= 3999, f"number must be between 1 and 3999, got {number}")
    out = []
    for value, letters in ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def from_roman(numeral: str) -> int:
    """The value of a Roman numeral (standard subtractive notation only).

    Args:
        numeral: The numeral, e.g. MCMXCIV.
    """
    text = numeral.strip().upper()
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    need(bool(text) and all(c in values for c in text), f"{numeral!r} is not a Roman numeral")
    total = sum(-values[c] if i + 1 < len(text) and values[c] < values[text[i + 1]] else values[c]
                for i, c in enumerate(text))
    need(1 <= total <= 3999 and to_roman(total) == text, f"{numeral!r} is not a well-formed Roman numeral")
    return total


def convert_base(number: str, from_base: int, to_base: int) -> str:
    """Rewrite an integer from one base (2 to 36) to another, e.g. hexadecimal to binary.

    Args:
        number: The integer's digits in from_base, e.g. 'ff' (a leading '-' is allowed).
        from_base: The base the number is written in, 2 to 36.
        to_base: The base to write it in, 2 to 36.
    """
    need(2 <= from_base <= 36 and 2 <= to_base <= 36, "bases must be between 2 and 36")
    try:
        value = int(number.strip(), from_base)
    except ValueError:
        raise ValueError(f"{number!r} is not a valid base-{from_base} number") from None
    if value == 0:
        return "0"
    sign, value, out = "-" if value < 0 else "", abs(value), []
    while value:
        value, digit = divmod(value, to_base)
        out.append(DIGITS[digit])
    return sign + "".join(reversed(out))


def digit_sum(n: int) -> dict:
    """The sum of an integer's decimal digits, and its digital root (summing again until one digit is left).

    Args:
        n: The integer.
    """
    total = sum(int(d) for d in str(abs(n)))
    root = total
    while root >= 10:
        root = sum(int(d) for d in str(root))
    return {"digit_sum": total, "digital_root": root}


FUNCTIONS = [greatest_common_divisor, least_common_multiple, is_prime, prime_factors, fibonacci, factorial, to_roman,
             from_roman, convert_base, digit_sum]
