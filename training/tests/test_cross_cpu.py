"""One model per commit on any x86-64 CPU, shown here by emulating other CPUs.

No other CPU is at hand, so each emulation turns off, on this one, what another CPU lacks, through every
knob that reaches numerical code: numpy's CPU dispatch (NPY_DISABLE_CPU_FEATURES), glibc's choice of libm
variants (GLIBC_TUNABLES hwcaps), OpenBLAS's kernels (OPENBLAS_CORETYPE) and thread counts, and the cores
the process may run on (sched_setaffinity). The control shows the emulations are real: unpinned, they
change the bytes. Pinned (training.pinned_numerics, as every stage runs), they do not.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from training import REPO_ROOT, pinned_numerics
from training.sources import bbc_news
from training.tests.emulated_cpus import EMULATED_CPUS, ON_ONE_CORE

pytestmark = pytest.mark.e2e

MODEL_FILES = (
    "model.npz",
    "model.json",
    "pipeline.joblib",
    "analyzer_choice.json",
    "metrics.json",
    "confusion_matrix.csv",
    "reliability.csv",
)


def _train(folder: Path, cpu: dict[str, str], *, pinned: bool) -> dict[str, str]:
    """Train BBC News in a fresh process as `cpu` would (`python -m training`: every stage, each pinned as
    when DVC runs it); the md5 of each file the stages write."""
    env = {**os.environ, **cpu}
    if not pinned:
        env[pinned_numerics.PINNED_MARKER] = "1"  # already "pinned": pin() leaves the knobs as they are
    command = [sys.executable, "-m", "training", "--data", bbc_news.NAME, f"--out-dir={folder}"]
    command += [f"--reports-dir={folder}", f"--pipeline-out={folder / 'pipeline.joblib'}"]
    if "ONE_CORE" in cpu:
        command = [sys.executable, "-c", ON_ONE_CORE, *command[1:]]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in MODEL_FILES}


def _train_each(tmp_path: Path, cpus: dict[str, dict[str, str]], *, pinned: bool) -> dict[str, dict]:
    """Every emulated CPU's hashes, two trainings at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(_train, tmp_path / f"cpu{i}", cpu, pinned=pinned)
            for i, (name, cpu) in enumerate(cpus.items())
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture
def x86_64_linux() -> None:
    """The emulations are of x86-64 CPUs: elsewhere skip (outside CI) or fail (CI=true)."""
    if pinned_numerics.is_reference_platform():
        return
    message = f"the CPU emulations need x86-64 Linux with glibc, not {pinned_numerics.describe_platform()}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.usefixtures("x86_64_linux")
def test_unpinned_the_emulated_cpus_train_other_bytes(tmp_path):
    """The control: the knobs reach the numerical code, so the pinned test below can show something."""
    cpus = {name: EMULATED_CPUS[name] for name in ("this CPU", "AVX2 without AVX-512")}
    hashes = _train_each(tmp_path, cpus, pinned=False)
    assert hashes["this CPU"]["model.npz"] != hashes["AVX2 without AVX-512"]["model.npz"]


@pytest.mark.usefixtures("x86_64_linux")
def test_pinned_every_emulated_cpu_trains_the_same_bytes(tmp_path):
    hashes = _train_each(tmp_path, EMULATED_CPUS, pinned=True)
    reference = hashes.pop("this CPU")
    for name, files in hashes.items():
        assert files == reference, f"{name} trained other bytes than this CPU"
