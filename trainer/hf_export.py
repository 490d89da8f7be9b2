"""
Export a tuned model: an HF folder (safetensors + tokenizer + chat template with tools) and GGUF files.

Why these two: the HF folder is what transformers, vLLM and the Hub take; GGUF is what llama.cpp, Ollama and LM Studio
run on a laptop. The GGUF is made by llama.cpp's own converter (`convert_hf_to_gguf.py` with its `gguf-py`) and
quantiser (`llama-quantize`), both from the llama.cpp tree vendored in the llama-cpp-python sdist that install.sh
already downloads for the local teacher's server - one source for the converter, the quantiser and the server that
serves the result, so their formats always agree. The chat template travels inside both: the converter copies the
tokenizer's template into the GGUF, and `llama-server --jinja` renders requests and parses tool calls with it.

    python -m trainer export hf=DIR [gguf=OUT_DIR] [quant=q8_0,q4_k_m]     (`just finetune` calls this itself)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from schemas.settings import InputError
from schemas.storage import replace_dir

QUANTS = {"q8_0": "Q8_0", "q4_k_m": "Q4_K_M", "q4_0": "Q4_0", "q5_k_m": "Q5_K_M", "q6_k": "Q6_K"}


def save_hf(model: Any, tok: Any, out: Path, persona: str = "", base: str = "") -> Path:
    """The merged model + tokenizer (with its chat template) as one HF folder, replaced atomically."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        model.generation_config.eos_token_id = tok.eos_token_id
        model.generation_config.pad_token_id = tok.pad_token_id
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        card = {"persona": persona, "base": base, "made_by": "crucible finetune",
                "chat_template": "tools in the Hermes <tool_call> JSON format"}
        (tmp / "crucible.json").write_text(json.dumps(card, indent=2) + "\n")
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def converter() -> Path:
    from generators.teachers.localserver import llama_cpp_source

    script = llama_cpp_source() / "convert_hf_to_gguf.py"
    if not script.is_file():
        raise InputError(f"llama.cpp's converter is missing at {script}")
    return script


def quantizer() -> Path:
    from generators.teachers.localserver import build

    return build(target="llama-quantize")


def convert_f16(hf_dir: Path, outfile: Path, outtype: str = "f16") -> Path:
    """HF folder -> GGUF through llama.cpp's converter (its own vendored gguf-py comes first on its path)."""
    outfile.parent.mkdir(parents=True, exist_ok=True)
    tmp = outfile.with_name(outfile.name + ".tmp")
    cmd = [sys.executable, str(converter()), str(hf_dir), "--outfile", str(tmp), "--outtype", outtype]
    env = {k: v for k, v in os.environ.items() if k != "NO_LOCAL_GGUF"}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-5:])
        raise InputError(f"convert_hf_to_gguf.py failed on {hf_dir}:\n{tail}")
    os.replace(tmp, outfile)
    return outfile


def quantize(src: Path, dst: Path, quant: str, threads: int | None = None) -> Path:
    kind = QUANTS.get(quant.lower())
    if kind is None:
        raise InputError(f"quant={quant}: one of {', '.join(QUANTS)}")
    tmp = dst.with_name(dst.name + ".tmp")
    cmd = [str(quantizer()), str(src), str(tmp), kind, str(threads or os.cpu_count() or 1)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-5:])
        raise InputError(f"llama-quantize {kind} failed:\n{tail}")
    os.replace(tmp, dst)
    return dst


def export_gguf(hf_dir: Path, out_dir: Path, stem: str, quants: list[str]) -> dict[str, Path]:
    """{"f16": path, "q8_0": path, ...}: the f16 conversion, then each quantisation made from it."""
    out_dir = Path(out_dir)
    files = {"f16": convert_f16(Path(hf_dir), out_dir / f"{stem}.f16.gguf")}
    for q in quants:
        files[q.lower()] = quantize(files["f16"], out_dir / f"{stem}.{QUANTS[q.lower()]}.gguf", q)
    return files


def best_gguf(path: Path) -> Path:
    """The GGUF to serve for a fine-tune folder (or the file itself): Q8_0 if there, else f16, else any."""
    path = Path(path)
    if path.is_file():
        return path
    found = sorted((path / "gguf").glob("*.gguf")) + sorted(path.glob("*.gguf"))
    if not found:
        raise InputError(f"no .gguf file in {path} or {path / 'gguf'} (run `just finetune` with export=hf,gguf)")
    for suffix in (".Q8_0.gguf", ".f16.gguf"):
        for f in found:
            if f.name.endswith(suffix):
                return f
    return found[0]


def main(argv: list[str]) -> int:
    """`python -m trainer export hf=DIR [gguf=OUT] [quant=q8_0]`: (re)make the GGUF files of an HF folder."""
    from schemas.settings import parse_settings

    settings, _ = parse_settings(argv, ("hf", "gguf", "quant", "stem"))
    if "hf" not in settings:
        raise InputError("need hf=<an HF model folder>")
    hf = Path(settings["hf"])
    if not (hf / "config.json").is_file():
        raise InputError(f"hf={hf}: no config.json there")
    out = Path(settings.get("gguf") or hf.parent / "gguf")
    quants = [q for q in settings.get("quant", "q8_0").split(",") if q]
    files = export_gguf(hf, out, settings.get("stem") or hf.parent.name, quants)
    for kind, f in files.items():
        print(f"{kind:>7}: {f} ({f.stat().st_size / 1e6:.1f} MB)")
    return 0
