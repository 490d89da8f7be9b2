"""Shared test plumbing: the `network` marker skips itself when no key / no internet is available."""

import os
import socket
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
BENCHMARKS = SHARED / "benchmarks"

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "E2B_API_KEY", "HF_TOKEN")


def _internet() -> bool:
    try:
        socket.create_connection(("1.1.1.1", 443), timeout=1.5).close()
        return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    network_items = [item for item in items if "network" in item.keywords]
    if not network_items:
        return
    online = _internet()
    for item in network_items:
        needs = [m.kwargs.get("env") for m in item.iter_markers("network") if m.kwargs.get("env")]
        missing = [var for var in needs if not os.environ.get(var)]
        if not online or missing:
            why = "no internet" if not online else f"{', '.join(missing)} not set"
            item.add_marker(pytest.mark.skip(reason=f"network test: {why}"))
