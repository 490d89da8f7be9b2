"""factory/code_shapes.py: identifier-normalised AST shapes of the Python a record carries."""

from factory.code_shapes import by_family, python_pieces, shapes

CLAMP = '''"""Keep a value in range."""


def clamp(value: float, low: float, high: float) -> float:
    """Doc."""
    return max(low, min(value, high))
'''
RENAMED = CLAMP.replace("clamp", "limit_volume").replace("value", "level").replace("Keep a value", "Hold it")
LOOP = '''def total(items: list[int]) -> int:
    acc = 0
    for item in items:
        acc += item
    return acc
'''


def test_renaming_keeps_the_shape_and_structure_changes_it():
    a, b, c = shapes(CLAMP), shapes(RENAMED), shapes(LOOP)
    assert a is not None and b is not None and c is not None
    assert a == b  # renamed identifiers, other docstring: the same structure
    assert a[0] != c[0] and a[1] != c[1]
    assert shapes(CLAMP.replace("min(value, high)", "min(value, 99)")) != a  # a name vs a constant is structure
    assert shapes("def f(:\n") is None


def test_pieces_come_from_verification_tool_calls_and_heredocs():
    messages = [{"role": "user", "content": "x"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "1", "type": "function", "function": {"name": "write_file",
                                                                 "arguments": {"path": "lesson.py", "content": CLAMP}}},
                    {"id": "2", "type": "function", "function": {"name": "write_file",
                                                                 "arguments": {"path": "notes.md", "content": "# x"}}},
                    {"id": "3", "type": "function", "function": {"name": "execute_python",
                                                                 "arguments": '{"code": "print(1)"}'}},
                    {"id": "4", "type": "function", "function": {
                        "name": "bash", "arguments": {"command": f"cat > m.py <<'EOF'\n{LOOP}EOF"}}}]}]
    pieces = python_pieces(messages, {"module": CLAMP, "tests": "def test_x():\n    assert True\n"})
    assert pieces == [CLAMP, "def test_x():\n    assert True\n", "print(1)", LOOP.rstrip("\n")]


def test_by_family_counts_shapes_per_family():
    ver = [{"module": CLAMP}, {"module": RENAMED}, {"module": LOOP}, None]
    out = by_family(["textbook", "textbook", "textbook", "identity"], [[], [], [], []], ver)
    assert set(out) == {"textbook"}
    tb = out["textbook"]
    assert (tb["pieces"], tb["piece_shapes"], tb["functions"], tb["function_shapes"]) == (3, 2, 3, 2)
    assert tb["function_shape_share"] == round(2 / 3, 4)
