"""A library of real, executable functions for function-calling traces, run inside the sandbox.

One module per domain (units.py, dates.py, sql.py ...), each a list `FUNCTIONS` of plain stdlib-only Python
functions whose signatures and docstrings become their JSON-Schema tool definitions (catalog.py). `runtime.py`
executes calls inside the sandbox with the conversation's state (files, a key-value store, an sqlite database ...)
carried from call to call, the way sandbox/tools.py's ToolRuntime does for the agent tool sets.

    from sandbox.functions import library, tool, FunctionRuntime
    rt = FunctionRuntime({"workspace": {"files": {}}})
    rt.call("convert_length", {"value": 5, "from_unit": "km", "to_unit": "mi"})   # '3.10686'
"""

from sandbox.functions.catalog import DOMAINS, VERSION, Function, by_domain, library, tool
from sandbox.functions.runtime import RUNTIME, FunctionRuntime, replay

__all__ = ["DOMAINS", "VERSION", "RUNTIME", "Function", "FunctionRuntime", "by_domain", "library", "replay", "tool"]
