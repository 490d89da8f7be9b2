"""Kitchen arithmetic: scaling recipes, cups to grams for common ingredients, oven settings, roasting times."""

from ._common import closest, need, sig

# Grams in one US cup (236.6 ml), typical values from kitchen conversion tables.
GRAMS_PER_CUP = {"flour": 125, "sugar": 200, "brown sugar": 220, "powdered sugar": 120, "butter": 227, "rice": 185,
                 "oats": 90, "milk": 245, "water": 237, "honey": 340, "cocoa powder": 85, "salt": 288}
GAS_MARKS = {1: 140, 2: 150, 3: 170, 4: 180, 5: 190, 6: 200, 7: 220, 8: 230, 9: 240}
# Minutes per kg at 180 °C (plus a fixed extra), a common roasting guide.
ROAST = {"chicken": (40, 20), "beef": (45, 20), "pork": (60, 30), "lamb": (55, 20), "turkey": (40, 20)}


def scale_recipe(ingredients: dict[str, float], servings_from: int, servings_to: int) -> dict:
    """Scale a recipe's ingredient quantities from one number of servings to another.

    Args:
        ingredients: Quantity per ingredient, in any units, e.g. {"flour_g": 250, "eggs": 2}.
        servings_from: Servings the recipe makes.
        servings_to: Servings wanted.
    """
    need(servings_from >= 1 and servings_to >= 1, "servings must be at least 1")
    need(bool(ingredients), "ingredients must not be empty")
    f = servings_to / servings_from
    return {k: sig(v * f, 4) for k, v in ingredients.items()}


def cups_to_grams(ingredient: str, cups: float) -> dict:
    """How many grams a volume in US cups of a common ingredient weighs.

    Args:
        ingredient: One of flour, sugar, brown sugar, powdered sugar, butter, rice, oats, milk, water, honey, cocoa powder, salt.
        cups: The volume in cups.
    """
    key = ingredient.strip().lower()
    if key not in GRAMS_PER_CUP:
        raise ValueError(f"no density for {ingredient!r}{closest(key, GRAMS_PER_CUP)}; known: {', '.join(GRAMS_PER_CUP)}")
    need(cups > 0, "cups must be positive")
    return {"ingredient": key, "grams": round(GRAMS_PER_CUP[key] * cups)}


def oven_temperature(gas_mark: int) -> dict:
    """The Celsius and Fahrenheit equivalents of a gas mark (fan ovens run about 20 °C lower).

    Args:
        gas_mark: The gas mark, 1 to 9.
    """
    need(gas_mark in GAS_MARKS, f"gas_mark must be between 1 and 9, got {gas_mark}")
    c = GAS_MARKS[gas_mark]
    return {"celsius": c, "fahrenheit": round(c * 9 / 5 + 32), "fan_celsius": c - 20}


def roasting_time(meat: str, weight_kg: float) -> dict:
    """Roasting time at 180 °C for a joint of meat, from a common minutes-per-kilogram guide (check doneness!).

    Args:
        meat: chicken, beef, pork, lamb or turkey.
        weight_kg: The joint's weight in kilograms.
    """
    key = meat.strip().lower()
    if key not in ROAST:
        raise ValueError(f"no roasting guide for {meat!r}{closest(key, ROAST)}; known: {', '.join(ROAST)}")
    need(0.2 <= weight_kg <= 15, f"weight_kg must be between 0.2 and 15, got {weight_kg}")
    per, extra = ROAST[key]
    minutes = round(per * weight_kg + extra)
    return {"minutes": minutes, "h_mm": f"{minutes // 60}:{minutes % 60:02d}"}


FUNCTIONS = [scale_recipe, cups_to_grams, oven_temperature, roasting_time]
