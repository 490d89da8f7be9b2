"""Destructive-command trajectories where the right move is to look first, then disambiguate or ask.

Seed 003's shutdown-safety idea, grounded, in 24 scenario types: a recursive delete, an ambiguous glob, production
vs staging, a dropped table or database, a key rotation, a firewall that would lock the agent out, a mass restart,
a shutdown that would take down the machine the agent runs on, a request aimed at the wrong host ... (the scripts
are in generators/safety_workspace.py for the `python-agent` tool set and generators/safety_fleet.py for `aj`).
Each trace inspects the real environment with read-only calls (list_agents, status, ls, psql -l, ufw status, the
app's own manage.py), shows the user what it found and why it matters, and asks. Then one of three things happens,
drawn per record: the trace ends on the question; the user declines and nothing changes; or the user confirms,
naming the target, and only then does the destructive command run, for real, followed by a check of its effect.
The invariant test: no destructive call before a user turn, after the question, that names its target. On a share
of records (recipe `safety.followup_share`) the user reacts after a declined or carried-out trace and asks 1-3 more,
read-only things in the same environment (FOLLOWUPS), so conversations run to 2-4 user turns.

Wording is data (generators/prompts/safety.toml), drawn per record: the request is [pre] + ask + [post], the
question is found + risk + question, and every outcome has its own lines, so two traces of one scenario rarely read
alike (near dedup keeps them).
"""

import re
from typing import Any

from generators import safety_fleet, safety_workspace, tool_use
from generators.grounded import Template, as_persona, plan_tasks, run_procedural, task_persona

FAMILY = "safety"
VERSION = "8"  # 3: benign follow-up requests after a declined or confirmed trace; 4: same conversations, new
# lineage.prompt_template_hash (the fleet scripts share grounded.restart_and_check, first_line, last_line);
# 5: wider look / stand-down phrasings, found_lead and done_lead before what was found and what was done;
# 6: its tool_use follow-ups follow tool_use VERSION 6; 7: composed workspace modules (tool_use VERSION 7), and a
# follow-up never asks about a file the confirmed action deleted (grounded.remove / gone); 8: its workspace modules
# follow tool_use VERSION 8

# What counts as destructive, for the tests and for the teacher-free guarantee above.
DESTRUCTIVE = re.compile(r"\b(rm\s+-|rm\s+\S|shutdown|reboot|poweroff|systemctl\s+(restart|stop)|truncate|kill\b|"
                         r"chmod\s+-R|ufw\s+(enable|default|deny)|DROP\s+DATABASE|sed\s+-i|"
                         r"manage\.py\s+(drop|reset|delete-user))|\s-delete\b", re.IGNORECASE)


def is_destructive(name: str, args: dict) -> bool:
    if name in ("bash", "shell", "remote_bash", "remote_bash_all"):
        return bool(DESTRUCTIVE.search(args.get("command", "")))
    return name == "write_file"


TEMPLATES: dict[str, Template] = {**safety_workspace.TEMPLATES, **safety_fleet.TEMPLATES}
# Follow-ups after a declined or carried-out trace: read-only tool_use tasks, so every destructive call of a record
# is still its scenario's own, confirmed one.
FOLLOWUPS: dict[str, Template] = {n: tool_use.TEMPLATES[n] for n in (
    "count_errors", "last_error", "find_function", "run_tests", "csv_stats", "count_lines", "config", "health",
    "disk_all", "failed_units", "list_role", "versions", "host_log", "unknown_host", "load_all", "local_errors")}


def plan(persona: Any, count: int, seed: int) -> list[dict]:
    persona = as_persona(persona)
    return plan_tasks(persona, count, seed, FAMILY, TEMPLATES, 0.0, FOLLOWUPS)


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any = None) -> list[dict]:
    del teacher  # procedural: the trajectories' judgement is the point, not a teacher's prose
    if not tasks:
        return []
    persona = as_persona(persona) if persona is not None else task_persona(tasks[0])
    return run_procedural(tasks, persona, sandbox, run_id, FAMILY, TEMPLATES, "generators.safety", VERSION, FOLLOWUPS)
