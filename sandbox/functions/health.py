"""Health and fitness formulas (population estimates, not medical advice): BMI, energy use, heart-rate zones."""

from typing import Literal

from ._common import need

ACTIVITY = {"sedentary": 1.2, "light": 1.375, "moderate": 1.55, "active": 1.725, "very_active": 1.9}


def body_mass_index(weight_kg: float, height_m: float) -> dict:
    """Body mass index (weight / height squared) and its WHO category.

    Args:
        weight_kg: Body weight in kilograms.
        height_m: Height in metres (e.g. 1.75, not 175).
    """
    need(0.5 <= height_m <= 2.8, f"height_m={height_m} is not a height in metres; give e.g. 1.75 for 175 cm")
    need(2 <= weight_kg <= 650, f"weight_kg={weight_kg} is not a plausible weight in kilograms")
    bmi = weight_kg / height_m**2
    category = ("underweight" if bmi < 18.5 else "normal weight" if bmi < 25 else "overweight" if bmi < 30
                else "obese")
    return {"bmi": round(bmi, 1), "category": category}


def basal_metabolic_rate(weight_kg: float, height_cm: float, age: int, sex: Literal["female", "male"],
                         activity: Literal["sedentary", "light", "moderate", "active", "very_active"] = "sedentary"
                         ) -> dict:
    """Resting energy use (Mifflin-St Jeor) and daily needs at an activity level, in kcal per day.

    Args:
        weight_kg: Body weight in kilograms.
        height_cm: Height in centimetres.
        age: Age in years.
        sex: female or male.
        activity: sedentary, light, moderate, active or very_active.
    """
    need(100 <= height_cm <= 250, f"height_cm={height_cm} is not a height in centimetres")
    need(10 <= age <= 120 and 20 <= weight_kg <= 650, "age or weight_kg is out of range")
    bmr = 10 * weight_kg + 6.25 * height_cm - 5 * age + (5 if sex == "male" else -161)
    return {"bmr_kcal": round(bmr), "daily_kcal": round(bmr * ACTIVITY[activity])}


def heart_rate_zones(age: int, resting_bpm: int = 0) -> dict:
    """Estimated maximum heart rate (220 - age) and the moderate (50-70%) and vigorous (70-85%) training zones.

    Args:
        age: Age in years.
        resting_bpm: Resting heart rate; when given, zones use the heart-rate reserve (Karvonen), else 0.
    """
    need(5 <= age <= 110, f"age must be between 5 and 110, got {age}")
    top = 220 - age
    need(0 <= resting_bpm < top, "resting_bpm must be below the maximum heart rate")

    def at(f: float) -> int:
        return round(resting_bpm + (top - resting_bpm) * f)

    return {"max_bpm": top, "moderate": [at(0.5), at(0.7)], "vigorous": [at(0.7), at(0.85)]}


def calories_burned(met: float, weight_kg: float, minutes: float) -> float:
    """Energy burned by an activity from its MET value (e.g. 3.5 walking, 8 running 8 km/h), in kcal.

    Args:
        met: The activity's metabolic equivalent.
        weight_kg: Body weight in kilograms.
        minutes: How long the activity lasts.
    """
    need(0.9 <= met <= 25, f"met must be between 0.9 and 25, got {met}")
    need(weight_kg > 0 and minutes > 0, "weight_kg and minutes must be positive")
    return round(met * 3.5 * weight_kg / 200 * minutes, 1)


def daily_water_intake(weight_kg: float, exercise_minutes: int = 0) -> dict:
    """A common rule of thumb for daily water: 35 ml per kg plus 350 ml per 30 minutes of exercise.

    Args:
        weight_kg: Body weight in kilograms.
        exercise_minutes: Minutes of exercise that day.
    """
    need(weight_kg > 0 and exercise_minutes >= 0, "weight_kg must be positive and exercise_minutes zero or more")
    ml = 35 * weight_kg + 350 * exercise_minutes / 30
    return {"ml": round(ml), "litres": round(ml / 1000, 2)}


def ideal_body_weight(height_cm: float, sex: Literal["female", "male"]) -> float:
    """Ideal body weight by the Devine formula, in kilograms.

    Args:
        height_cm: Height in centimetres.
        sex: female or male.
    """
    need(120 <= height_cm <= 250, f"height_cm={height_cm} is not a height in centimetres")
    inches_over = max(0.0, height_cm / 2.54 - 60)
    return round((50 if sex == "male" else 45.5) + 2.3 * inches_over, 1)


FUNCTIONS = [body_mass_index, basal_metabolic_rate, heart_rate_zones, calories_burned, daily_water_intake,
             ideal_body_weight]
