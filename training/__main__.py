"""Train, evaluate and export in one process, without DVC: `python -m training`.

    python -m training [--params FILE] [--data SOURCE] [--out-dir DIR] [--reports-dir DIR]
                       [--pipeline-out FILE]

The three stages of dvc.yaml (training/stages/) run back to back on one loaded copy of the data; the
fitted pipeline passes from one to the next in memory and is saved only with --pipeline-out. For a model
on other data (`--data`) or in other folders, and for the tools that time or serve a whole training run
(bench, demo). `make train` runs the same stages through DVC, which reruns only those whose inputs changed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from training import pinned_numerics
from training.export import DEFAULT_OUT_DIR
from training.stages import cli, evaluate, export, train
from training.stages.handoff import REPORTS_DIR, save_pipeline


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m training", __doc__)
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="artifact folder (default: %(default)s)"
    )
    parser.add_argument(
        "--reports-dir", type=Path, default=REPORTS_DIR, help="reports folder (default: %(default)s)"
    )
    parser.add_argument("--pipeline-out", type=Path, help="also save the fitted pipeline here (joblib)")
    args = parser.parse_args(argv)

    def every_stage() -> None:
        started = time.perf_counter()
        params = cli.read_params(args)
        dataset = cli.load_data(params)
        checks = train.check_data(dataset, params)
        pipeline = train.fit(params, dataset, args.reports_dir)
        metrics = evaluate.evaluate(pipeline, dataset, checks, args.reports_dir)
        export.export(pipeline, params, metrics, args.out_dir, dataset.test_texts)
        if args.pipeline_out is not None:
            save_pipeline(pipeline, args.pipeline_out)
        print(f"total: {time.perf_counter() - started:.1f} s")
        evaluate.print_summary(metrics)

    return cli.run(every_stage)


if __name__ == "__main__":
    pinned_numerics.pin()  # the same bytes on every x86-64 CPU; not in main(), which tests call in-process
    sys.exit(main())
