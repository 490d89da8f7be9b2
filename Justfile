# Crucible: every recipe is a thin call into a Python entry point, so everything also works without `just`.
# Settings are passed through as key=value: `just generate persona=lanbot count=200 teacher=openai:gpt-4o-mini`.

set positional-arguments

python := ".venv/bin/python"

default:
    @just --list

# install everything (system packages, venv, local teacher)
install:
    ./install.sh

# generate raw records: persona= count= teacher= families= budget= dry_run=
generate *args:
    {{python}} -m factory generate "$@"

# import open tool-use data: --format glaive|hermes|nanochat FILE persona=
import *args:
    {{python}} -m factory import "$@"

# validate JSONL / parquet / persona files against the record contract
validate *args:
    {{python}} -m schemas validate "$@"

# filter raw -> clean with the funnel dashboard: persona= executor= workers= sandbox=
filter *args:
    {{python}} -m factory filter "$@"

# terminal dashboard + reports/stats.html: persona=
stats *args:
    {{python}} -m factory stats "$@"

# the dashboard as headless Chromium paints it -> docs/dashboard-after.png: persona= out= html= (an existing page)
dashboard-png *args:
    {{python}} -m factory screenshot "$@"

# export clean records: format=nanochat|openai|hf persona=
export *args:
    {{python}} -m factory export "$@"

# publish to the Hugging Face Hub: persona= repo= private= dry_run=
publish *args:
    {{python}} -m factory publish "$@"

# train the BPE tokenizer on the clean corpus: persona= vocab=
tokenizer *args:
    {{python}} -m trainer tokenizer "$@"

# pack clean records into fixed-length shards: persona= seq_len=
pack *args:
    {{python}} -m trainer pack "$@"

# train a GPT: `just train d4` on a CPU, `just train d20` on GPUs (torchrun; several nodes: NNODES= RDZV_ENDPOINT=)
train config="d4" *args:
    @{{just_executable()}} --justfile {{justfile()}} _torch train "$@"

# held-out eval, side by side: model=A model=B ... (checkpoint dir, HF folder, .gguf, local, http://h:p/v1@m, openai:m)
eval *args:
    {{python}} -m trainer eval "$@"

# fine-tune an existing model on the clean corpus, export HF + GGUF: base=local|HF folder|hub id persona= method=lora|full
finetune *args:
    @{{just_executable()}} --justfile {{justfile()}} _torch finetune "$@"

# `python -m trainer <command> ...` under torchrun when there are several GPUs (--standalone) or, with
# RDZV_ENDPOINT=<host>:<port> and NNODES=<n> set, several nodes (c10d rendezvous; NPROC_PER_NODE defaults to the
# node's GPUs, 1 on a CPU node; RDZV_ID names the job, default crucible)
_torch *args:
    #!/usr/bin/env bash
    set -euo pipefail
    gpus=$({{python}} -c "import torch; print(torch.cuda.device_count())")
    if [ -n "${RDZV_ENDPOINT:-}" ]; then
        exec .venv/bin/torchrun --nnodes="${NNODES:?NNODES=<number of nodes> goes with RDZV_ENDPOINT}" \
            --nproc_per_node="${NPROC_PER_NODE:-$(( gpus > 0 ? gpus : 1 ))}" --rdzv_backend=c10d \
            --rdzv_endpoint="$RDZV_ENDPOINT" --rdzv_id="${RDZV_ID:-crucible}" -m trainer "$@"
    fi
    if [ "$gpus" -gt 1 ]; then
        exec .venv/bin/torchrun --standalone --nproc_per_node="$gpus" -m trainer "$@"
    fi
    exec {{python}} -m trainer "$@"

# serve a tuned model's GGUF on loopback (OpenAI-compatible, tool calls parsed): model=<finetune dir or .gguf>
serve *args:
    {{python}} -m trainer serve "$@"

# talk to the trained model, tools executed for real (off by default under 100M params): -p "..." answers one prompt
chat *args:
    {{python}} -m trainer chat "$@"

# the closed loop offline: generate -> filter -> stats -> pack -> train -> eval (persona= count= without=)
demo *args:
    {{python}} -m factory demo "$@"

# benchmarks (ratios measured in one run)
bench *args:
    #!/usr/bin/env bash
    set -euo pipefail
    for b in bench/bench_*.py; do echo "== $b"; {{python}} "$b" "$@"; done

# the whole test suite, offline (network tests skip themselves without keys). Two workers: most slow tests wait on
# servers, subprocesses and kills, so on 2 cores the suite took 33.5 min instead of 51 (2026-12-07); -n 0 runs it in
# one process. Tests that start a Slurm or Ray cluster share one worker (xdist_group "clusters").
test *args:
    {{python}} -m pytest -q -n 2 --dist loadgroup "$@"

# ruff + pyright on the project's own code
lint:
    .venv/bin/ruff check .
    .venv/bin/pyright
