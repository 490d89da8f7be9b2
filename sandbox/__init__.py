"""Run untrusted code (generated programs, tests, tool calls) without letting it touch the host.

One interface, two backends: `local` (bubblewrap, see local.py) and `e2b` (E2B cloud sandboxes, see e2b.py).
Generators use it to ground tool calls in real output; filters use it to execute code and tests.

    sb = get_sandbox("local")
    res = sb.run({"main.py": "print(1)"}, ["python3", "main.py"], Limits(wall_s=10))
    results = sb.run_many([Job(files=..., command=...), ...])   # a pool, order preserved
"""

from sandbox.base import (
    SANDBOX_ENV,
    WORKDIR,
    Job,
    Limits,
    Result,
    Sandbox,
    SandboxError,
    SandboxUnavailable,
    check_inputs,
)


def get_sandbox(kind: str = "local") -> Sandbox:
    """The backend by name: "local" (bubblewrap) or "e2b" (needs E2B_API_KEY). Raises SandboxUnavailable."""
    if kind == "local":
        from sandbox.local import LocalSandbox
        return LocalSandbox()
    if kind == "e2b":
        from sandbox.e2b import E2BSandbox
        return E2BSandbox()
    raise ValueError(f"unknown sandbox {kind!r}: expected 'local' or 'e2b'")


__all__ = ["SANDBOX_ENV", "WORKDIR", "Job", "Limits", "Result", "Sandbox", "SandboxError", "SandboxUnavailable",
           "check_inputs", "get_sandbox"]
