"""The function library (sandbox/functions): generated schemas, real execution in the sandbox, carried state."""

import json
import random

import jsonschema
import pytest

from sandbox.functions import DOMAINS, FunctionRuntime, by_domain, library
from sandbox.functions.catalog import make_tool, parse_docstring
from sandbox.tools import ToolError, call_many
from schemas.validate import validate_tools


def test_library_size_and_domains():
    lib = library()
    assert len(lib) >= 150 and len(DOMAINS) >= 20
    assert all(len(names) >= 4 for names in by_domain().values())


def test_every_schema_is_valid_and_described():
    tools = [f.tool for f in library().values()]
    errors, offered = validate_tools(tools)
    assert errors == [] and len(offered) == len(tools)
    for f in library().values():
        fn = f.tool["function"]
        jsonschema.Draft202012Validator.check_schema(fn["parameters"])
        assert fn["description"] and not fn["description"].startswith(("Args", "Returns"))
        for name, prop in fn["parameters"]["properties"].items():
            assert prop.get("description"), f"{f.name}({name}) has no description"
        assert fn["parameters"]["additionalProperties"] is False


def test_schema_generation_from_signature_and_docstring():
    from typing import Literal

    def demo(count: int, ratio: float, names: list[str], mode: Literal["a", "b"] = "a", scale: dict[str, float] | None
             = None) -> None:
        """Say why this exists.

        Longer text that is not part of the summary.

        Args:
            count: How many.
            ratio: A fraction,
                spanning two lines.
            names: Who.
            mode: Which mode.
            scale: Factors.
        """

    summary, params = parse_docstring(demo.__doc__ or "")
    assert summary == "Say why this exists." and params["ratio"] == "A fraction, spanning two lines."
    with pytest.raises(AssertionError, match="unions are not supported|unsupported annotation"):
        make_tool(demo)  # `dict | None` is refused rather than guessed
    demo.__annotations__["scale"] = dict[str, float]
    params_schema = make_tool(demo)["function"]["parameters"]
    assert params_schema["required"] == ["count", "ratio", "names"]
    assert params_schema["properties"]["mode"] == {"type": "string", "enum": ["a", "b"], "description": "Which mode.",
                                                   "default": "a"}
    assert params_schema["properties"]["names"]["items"] == {"type": "string"}
    assert params_schema["properties"]["scale"]["additionalProperties"] == {"type": "number"}


def sample_calls(seeds: range) -> list[tuple[str, dict, dict]]:
    """(function, arguments, environment) from the generator's samplers: the library's own sample arguments."""
    import generators.function_calling  # noqa: F401  (registers every sampler)
    from generators.fc_args import SAMPLERS
    from generators.fc_world import build_world

    out = []
    for seed in seeds:
        for name, f in library().items():
            r = random.Random(f"{name}:{seed}")
            world = build_world(r, {f.domain})
            args, _ = SAMPLERS[name](r, world)
            jsonschema.validate(args, f.tool["function"]["parameters"])
            out.append((name, args, world.environment()))
    return out


@pytest.mark.slow
def test_every_function_runs_in_the_sandbox_with_sample_arguments():
    from sandbox import get_sandbox

    sb = get_sandbox("local")
    calls = sample_calls(range(2))
    outs = call_many([(FunctionRuntime(env, sandbox=sb), name, args) for name, args, env in calls])
    failed = [(name, args, out) for (name, args, _), out in zip(calls, outs, strict=True) if '"error"' in out[:12]]
    assert failed == []
    assert {name for name, _, _ in calls} == set(library())
    for out in outs:
        json.loads(out)  # every result is JSON, as the tool message says


@pytest.mark.slow
def test_state_carries_between_calls_and_errors_are_results():
    rt = FunctionRuntime({"workspace": {"files": {"notes/a.txt": "hello\nTODO one\n",
                                                  ".state/seed.sql": "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);"}}})
    assert rt.call("kv_set", {"key": "k", "value": "v"}) == '{"key": "k", "value": "v", "previous": null}'
    assert json.loads(rt.call("kv_get", {"key": "k"}))["value"] == "v"
    assert rt.call("kv_get", {"key": "nope"}).startswith('{"error": "KeyError: no key')
    assert rt.call("convert_length", {"value": 1, "from_unit": "miles", "to_unit": "km"}).startswith(
        '{"error": "ValueError: unknown length unit \'miles\'')
    assert json.loads(rt.call("sql_execute", {"statement": "INSERT INTO t VALUES (2)"}))["rows_affected"] == 1
    assert rt.call("sql_count_rows", {"table": "t"}) == "2"
    assert json.loads(rt.call("fs_list", {})) == ["notes/a.txt"]  # the runtime's own state stays hidden
    assert "hidden or reserved" in rt.call("fs_read", {"path": ".state/kv.json"})
    assert "outside the workspace" in rt.call("fs_read", {"path": "../etc/passwd"})
    assert ".state/kv.json" in rt.files() and ".state/app.db" in rt.state
    assert not any(p.startswith(".fnlib") for p in rt.state)


def test_bad_calls_raise_tool_error_before_running():
    rt = FunctionRuntime({}, sandbox=object())  # never reaches the sandbox
    with pytest.raises(ToolError, match="unknown function"):
        rt.prepare("launch_rocket", {})
    with pytest.raises(ToolError, match="invalid arguments: value"):
        rt.prepare("convert_length", {"value": "five", "from_unit": "km", "to_unit": "mi"})
    with pytest.raises(ToolError, match="invalid arguments"):
        rt.prepare("convert_length", {"value": 5, "from_unit": "km", "to_unit": "mi", "extra": 1})
