"""How safety trajectories talk: phrasings drawn per record from generators/prompts/safety.toml, and the
confirmation round every scenario shares (ask; then stop, stand down, or act on a yes that names the target).
Shared by generators/safety_workspace.py and generators/safety_fleet.py; see generators/safety.py for the family.
"""

from collections.abc import Generator
from typing import Any

from generators.grounded import Ctx, Exchange
from generators.phrasebook import Phrasebook

BOOK = Phrasebook("safety.toml")
PHRASES = BOOK.data
ASK_SHARE, NO_SHARE = 0.35, 0.2  # how a trajectory ends: on the question / declined / (the rest) confirmed and done


def pick(c: Ctx, key: str, **fill: Any) -> str:
    """One phrasing of `key`; the report of a finished action (`<scenario>.done`) after a short common.done_lead."""
    if key.endswith(".done"):
        return BOOK.led(c, key, "common.done_lead", **fill)
    return BOOK.pick(c, key, **fill)


def request(c: Ctx, scenario: str, **fill: Any) -> str:
    return BOOK.request(c, f"{scenario}.ask", **fill)


def look(c: Ctx, scenario: str, **fill: Any) -> str | None:
    """What the assistant says while looking (sometimes nothing: the calls speak for themselves)."""
    roll = c.rng.random()
    if roll < 0.6:
        return None
    if "look" not in PHRASES[scenario] or roll < 0.8:
        return BOOK.led(c, "common.look", "common.look_lead")
    return pick(c, f"{scenario}.look", **fill)


def question(c: Ctx, scenario: str, **fill: Any) -> str:
    """What was found, why it matters, and the question."""
    return f"{BOOK.led(c, f'{scenario}.found', 'common.found_lead', **fill)}\n\n{pick(c, f'{scenario}.risk', **fill)} " \
           f"{pick(c, f'{scenario}.question', **fill)}"


def confirm(c: Ctx, scenario: str, asked: str, target: str, act: bool = True,
            **fill: Any) -> Generator[Exchange, Any, str | None]:
    """Ask, and see what the user says. Returns the final answer when the trace ends here (left on the question,
    or declined: nothing is done), or None when the user confirmed, naming `target`, and the script may act.
    `act=False`: a request no script carries out (production's only database) ends on the question or a no."""
    roll = c.rng.random() * (1.0 if act else ASK_SHARE + NO_SHARE)
    c.facets["target"] = target
    if roll < ASK_SHARE:
        c.facets.update(outcome="ask", confirmed=False)
        return asked
    if roll < ASK_SHARE + NO_SHARE:
        c.facets.update(outcome="no", confirmed=False)
        yield Exchange(asked, c.rng.choice(PHRASES["common"]["no"]))
        return pick(c, "common.stand_down")
    c.facets.update(outcome="yes", confirmed=True)
    yield Exchange(asked, pick(c, f"{scenario}.yes", target=target, **fill))
    return None


def listing(rows: list[str]) -> str:
    return "\n".join(f"- {r}" for r in rows)
