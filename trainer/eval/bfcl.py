"""BFCL (Berkeley Function Calling Leaderboard v4) through its own data and its own AST checker, from `bfcl-eval`.

The wheel is installed with --no-deps (install.sh, pinned there): its declared dependencies pin numpy 1.26 and pull
sentence-transformers, faiss, cohere, mistralai, google-genai ... none of which the AST checker touches. Two things
in it do import them: the leaderboard's model registry (`bfcl_eval.constants.model_config`, which imports every
provider handler) and the handlers' request helpers. The AST checker imports the registry only to ask one question
— does this model's API turn dots in function names into underscores? — so when the registry cannot be imported we
register a one-entry registry answering "yes" for our model name (every subject here is called through an
OpenAI-style tools API, which forbids dots, exactly like BFCL's own "-FC" OpenAI entries). The checking code that
runs is BFCL's, unmodified.

Request side (our own code, not copied): each entry's function docs become OpenAI tools the way BFCL's FC entries
send them — "dict" -> "object", "float" -> "number", "tuple" -> "array", "any" -> "string" (the wheel's own
GORILLA_TO_OPENAPI table), dots in names -> underscores — and the question's messages are sent as they are, no
system prompt. A subject's structured calls become BFCL's decoded form `[{name: {arg: value}}]`.

Categories run: simple (simple_python), multiple, parallel, parallel_multiple (AST checker), irrelevance (pass =
no call, BFCL's rule for FC models). Multi-turn categories are not run: they need BFCL's stateful executable
back-ends driven turn by turn with its own ground-truth state comparison (see the eval README).
"""

import copy
import importlib.resources
import json
import re
import sys
import types
from dataclasses import dataclass
from typing import Any

from schemas.settings import InputError

CATEGORIES = {  # our name -> BFCL v4 file stem
    "simple": "simple_python",
    "multiple": "multiple",
    "parallel": "parallel",
    "parallel_multiple": "parallel_multiple",
    "irrelevance": "irrelevance",
}
MODEL_NAME = "crucible-subject-FC"  # the name handed to BFCL's checker (only its dot-handling entry matters)
VERSION_PREFIX = "BFCL_v4"


def _data_dir() -> Any:
    try:
        return importlib.resources.files("bfcl_eval") / "data"
    except ModuleNotFoundError:
        raise InputError("BFCL needs the bfcl-eval wheel: .venv/bin/pip install --no-deps bfcl-eval==2026.3.23 "
                         "(./install.sh does it)") from None


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("bfcl-eval")


def _read_jsonl(path: Any) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_category(category: str) -> list[dict]:
    """Entries of one category with their possible answers (irrelevance has none)."""
    stem = CATEGORIES[category]
    data = _data_dir()
    entries = _read_jsonl(data / f"{VERSION_PREFIX}_{stem}.json")
    answers_path = data / "possible_answer" / f"{VERSION_PREFIX}_{stem}.json"
    if answers_path.is_file():
        answers = {a["id"]: a["ground_truth"] for a in _read_jsonl(answers_path)}
        for entry in entries:
            entry["ground_truth"] = answers[entry["id"]]
    for entry in entries:
        entry["category"] = category
    return entries


def _cast(properties: dict, mapping: dict) -> dict:
    out = {}
    for key, spec in properties.items():
        spec = dict(spec)
        spec["type"] = mapping.get(spec.get("type", "string"), "string")
        if spec["type"] in ("object", "array"):
            if "properties" in spec:
                spec["properties"] = _cast(spec["properties"], mapping)
            if isinstance(spec.get("items"), dict):
                items = dict(spec["items"])
                items["type"] = mapping.get(items.get("type", "string"), "string")
                if items["type"] == "object" and "properties" in items:
                    items["properties"] = _cast(items["properties"], mapping)
                spec["items"] = items
        out[key] = spec
    return out


def openai_tools(functions: list[dict]) -> list[dict]:
    """BFCL function docs -> OpenAI function tools (see the module docstring)."""
    from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI

    tools = []
    for fn in copy.deepcopy(functions):
        params = dict(fn.get("parameters") or {})
        params["type"] = "object"
        params["properties"] = _cast(params.get("properties") or {}, GORILLA_TO_OPENAPI)
        tools.append({"type": "function", "function": {"name": re.sub(r"\.", "_", fn["name"]),
                                                       "description": fn.get("description", ""),
                                                       "parameters": params}})
    return tools


def messages_of(entry: dict) -> list[dict]:
    """The single-turn categories hold one turn: its messages, as BFCL sends them."""
    return [dict(m) for m in entry["question"][0]]


@dataclass
class _DotsToUnderscores:
    underscore_to_dot: bool = True


def _ast_checker() -> Any:
    try:
        import bfcl_eval.constants.model_config  # noqa: F401 - the real registry, when its imports are installed
    except ImportError:
        registry = types.ModuleType("bfcl_eval.constants.model_config")
        registry.MODEL_CONFIG_MAPPING = {MODEL_NAME: _DotsToUnderscores()}  # type: ignore[attr-defined]
        sys.modules["bfcl_eval.constants.model_config"] = registry
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    return lambda functions, decoded, answer, category: ast_checker(functions, decoded, answer, Language.PYTHON,
                                                                    category, MODEL_NAME)


def check(entry: dict, calls: list[dict], invalid: list[str]) -> tuple[bool, str]:
    """Score one subject turn on one BFCL entry with BFCL's own checker."""
    category = entry["category"]
    if category == "irrelevance":
        if calls or invalid:
            return False, "Valid syntax. Successfully decode AST when it should not."
        return True, "no call"
    if invalid and not calls:
        return False, f"call did not parse: {invalid[0][:80]!r}"
    if not calls:
        return False, "no function call"
    decoded = [{c["function"]["name"]: c["function"]["arguments"]} for c in calls]
    result = _ast_checker()(entry["function"], decoded, entry["ground_truth"], CATEGORIES[category])
    if result.get("valid"):
        return True, "AST match"
    errors = result.get("error") or [result.get("error_type", "invalid")]
    return False, f"{result.get('error_type', '')}: {str(errors[0])[:160]}"
