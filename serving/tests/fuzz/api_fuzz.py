"""`python -m serving.tests.fuzz.api_fuzz`: schemathesis against the local runtime, from the served document.

It starts the local service (`python -m local_runtime`, as `make serve` does, through `child_service`)
on a free port, points schemathesis at it with the committed OpenAPI document (the one GET /openapi.json
serves; read from the file because schemathesis leaves out the operation a document is loaded from)
and runs every check in schemathesis.toml against every operation: positive and negative bodies, odd
methods, headers and content types. The exit code is schemathesis' own (0: no failure).

The model is `--model-dir`, else the trained one in serving/app/data, else a small BBC News model made
here, so a clean clone needs no training first.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from local_runtime.child_service import ServiceFailed, child_service
from local_runtime.logs import ServiceLog
from local_runtime.paths import APP_DIR, REPO_ROOT

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
DOCUMENT = APP_DIR / "openapi.json"
TRAINED_MODEL = APP_DIR / "data"
WORKERS = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="api-fuzz-") as scratch:
        model_dir = args.model_dir or _default_model_dir(Path(scratch))
        log = ServiceLog()
        try:
            with child_service(workers=WORKERS, provisioned=WORKERS, model_dir=model_dir, log=log) as url:
                print(
                    f"schemathesis: {DOCUMENT.name} against the local service at {url} ({model_dir})",
                    flush=True,
                )
                exit_code = _run_schemathesis(url, args.max_examples, args.seed)
        except ServiceFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if exit_code != 0:  # the handler's side of any failure, before the scratch folder goes
            print("The end of the local service's log:", log.tail(30), sep="\n", file=sys.stderr)
        return exit_code


def _default_model_dir(scratch: Path) -> Path:
    """The trained model when there is one; otherwise a small real model, so no training is needed."""
    if (TRAINED_MODEL / "model.json").is_file():
        return TRAINED_MODEL
    from serving.tests.artifact_export import NEWS_MODEL_SETTINGS, bbc_news, export, train

    print("No trained model in serving/app/data: using a small BBC News model.", flush=True)
    texts, labels = bbc_news(per_class=40)
    vectorizer, classifier = train(texts, labels, **NEWS_MODEL_SETTINGS)
    return export(vectorizer, classifier, scratch / "model")


def _run_schemathesis(url: str, max_examples: int, seed: int | None) -> int:
    schemathesis = str(Path(sys.executable).with_name("st"))
    command = [schemathesis, "--config-file", str(CONFIG), "run", str(DOCUMENT), "--url", url]
    command += ["--max-examples", str(max_examples), "--no-color", "--workers", str(WORKERS)]
    if seed is not None:
        command += ["--seed", str(seed)]
    return subprocess.run(command, cwd=REPO_ROOT, check=False).returncode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m serving.tests.fuzz.api_fuzz", description=__doc__)
    parser.add_argument("--max-examples", type=int, default=200, help="cases per operation (default 200)")
    parser.add_argument("--seed", type=int, help="schemathesis' seed, to reproduce a run")
    parser.add_argument("--model-dir", type=Path, help="model to serve (default: see above)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
