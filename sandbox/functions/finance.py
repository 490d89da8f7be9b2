"""Finance formulas: interest, loans, investment returns, taxes and bill splitting.

Rates are fractions (0.05 for 5 %); a rate above 1 is refused as a likely percentage, with that said in the error.
"""

from ._common import money, need, sig


def _rate(rate: float, name: str = "rate") -> None:
    need(0 <= rate <= 1, f"{name} must be a fraction between 0 and 1 (5% is 0.05), got {rate}")


def compound_interest(principal: float, rate: float, years: float, compounds_per_year: int = 12) -> dict:
    """The final balance and interest earned when a sum grows at a compound annual rate.

    Args:
        principal: The starting amount.
        rate: Annual interest rate as a fraction (0.05 for 5%).
        years: How many years it grows.
        compounds_per_year: Compounding periods per year (12 monthly, 1 yearly).
    """
    _rate(rate)
    need(principal >= 0 and years >= 0, "principal and years must be zero or more")
    need(compounds_per_year >= 1, "compounds_per_year must be at least 1")
    final = principal * (1 + rate / compounds_per_year) ** (compounds_per_year * years)
    return {"final_amount": money(final), "interest": money(final - principal)}


def simple_interest(principal: float, rate: float, years: float) -> dict:
    """The interest and final amount with simple (non-compounding) annual interest.

    Args:
        principal: The amount lent or saved.
        rate: Annual interest rate as a fraction (0.05 for 5%).
        years: How many years.
    """
    _rate(rate)
    interest = principal * rate * years
    return {"interest": money(interest), "final_amount": money(principal + interest)}


def loan_payment(principal: float, annual_rate: float, months: int) -> dict:
    """The fixed monthly payment of an amortising loan, with the total paid and the total interest.

    Args:
        principal: The amount borrowed.
        annual_rate: Annual interest rate as a fraction (0.049 for 4.9%).
        months: Number of monthly payments.
    """
    _rate(annual_rate, "annual_rate")
    need(months >= 1 and principal > 0, "months must be at least 1 and principal positive")
    r = annual_rate / 12
    payment = principal / months if r == 0 else principal * r / (1 - (1 + r) ** -months)
    return {"monthly_payment": money(payment), "total_paid": money(payment * months),
            "total_interest": money(payment * months - principal)}


def net_present_value(rate: float, cash_flows: list[float]) -> float:
    """The net present value of yearly cash flows, the first at time 0 (usually the negative investment).

    Args:
        rate: Discount rate per year as a fraction (0.08 for 8%).
        cash_flows: Cash flow of year 0, year 1, year 2, ...
    """
    _rate(rate)
    need(bool(cash_flows), "cash_flows must not be empty")
    return money(sum(cf / (1 + rate) ** t for t, cf in enumerate(cash_flows)))


def return_on_investment(cost: float, final_value: float) -> dict:
    """The gain and the return on an investment, as a fraction and as a percentage.

    Args:
        cost: What was invested.
        final_value: What it is worth now.
    """
    need(cost > 0, f"cost must be positive, got {cost}")
    roi = (final_value - cost) / cost
    return {"gain": money(final_value - cost), "roi": sig(roi, 4), "roi_percent": round(roi * 100, 2)}


def break_even_units(fixed_costs: float, price_per_unit: float, variable_cost_per_unit: float) -> dict:
    """How many units must be sold to cover fixed costs, and the revenue at that point.

    Args:
        fixed_costs: Costs that do not depend on volume.
        price_per_unit: Selling price of one unit.
        variable_cost_per_unit: Cost of making one unit.
    """
    margin = price_per_unit - variable_cost_per_unit
    need(margin > 0, "price_per_unit must exceed variable_cost_per_unit, or there is no break-even point")
    units = -(-fixed_costs // margin)
    return {"units": int(units), "revenue": money(units * price_per_unit), "margin_per_unit": money(margin)}


def percentage_change(old_value: float, new_value: float) -> float:
    """The percentage change from an old value to a new one (negative for a decrease).

    Args:
        old_value: The value before.
        new_value: The value after.
    """
    need(old_value != 0, "old_value is 0, so a percentage change is undefined")
    return round((new_value - old_value) / abs(old_value) * 100, 2)


def split_bill(total: float, people: int, tip_percent: float = 0) -> dict:
    """Split a bill evenly, optionally adding a tip first.

    Args:
        total: The bill before tip.
        people: How many people share it.
        tip_percent: Tip as a percentage of the bill, e.g. 15.
    """
    need(people >= 1, f"people must be at least 1, got {people}")
    need(0 <= tip_percent <= 100, f"tip_percent must be between 0 and 100, got {tip_percent}")
    tip = total * tip_percent / 100
    return {"tip": money(tip), "total_with_tip": money(total + tip), "per_person": money((total + tip) / people)}


def add_sales_tax(price: float, tax_rate: float) -> dict:
    """The tax and the gross price when a sales tax or VAT rate is added to a net price.

    Args:
        price: The net price.
        tax_rate: The tax rate as a fraction (0.2 for 20%).
    """
    _rate(tax_rate, "tax_rate")
    return {"tax": money(price * tax_rate), "gross_price": money(price * (1 + tax_rate))}


def savings_goal(target: float, annual_rate: float, years: float) -> dict:
    """The monthly deposit needed to reach a savings target, with monthly compounding.

    Args:
        target: The amount to reach.
        annual_rate: Annual interest rate as a fraction (0.03 for 3%).
        years: Years until the target date.
    """
    _rate(annual_rate, "annual_rate")
    need(target > 0 and years > 0, "target and years must be positive")
    n, r = round(years * 12), annual_rate / 12
    deposit = target / n if r == 0 else target * r / ((1 + r) ** n - 1)
    return {"monthly_deposit": money(deposit), "months": n, "total_deposited": money(deposit * n)}


FUNCTIONS = [compound_interest, simple_interest, loan_payment, net_present_value, return_on_investment,
             break_even_units, percentage_change, split_bill, add_sales_tax, savings_goal]
