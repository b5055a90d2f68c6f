"""Training computes the same bits on every x86-64 CPU: the code paths of the math libraries are pinned.

Why this exists. numpy and the C library choose their math routines by CPU when they load:
- numpy's "CPU dispatch" runs its own AVX-512 routines for float64 `log`, `exp` and others on CPUs that
  have AVX-512, and the C library's elsewhere; the two need not round alike in the last bit. TF-IDF's
  idf and sublinear tf go through `np.log`: on an AMD EPYC (AVX2) the same commit, data and lock trained
  another `model.npz` than on an Intel Xeon with AVX-512 (same accuracy, other bytes), while
  `NPY_DISABLE_CPU_FEATURES` switching AVX-512 off on the Xeon gave the EPYC's bytes.
- glibc's libm picks an FMA variant of `exp` on CPUs with FMA and AVX2 and an SSE2 variant elsewhere;
  they round differently for some inputs, and the solver (saga's softmax) calls `exp`.
- BLAS and OpenMP split sums over as many threads as there are cores.

So every stage that computes floats calls `pin()` first. When the process is not pinned yet, it
re-executes itself (the environment must be in place before the C library and numpy load) with:
- `NPY_DISABLE_CPU_FEATURES`: every target this numpy build dispatches to, so numpy runs its baseline
  code on every CPU (numpy's runtime dispatch: https://numpy.org/doc/stable/reference/simd/ ,
  "Runtime dispatch": the variable disables dispatched features);
- `GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4`: libm's baseline (SSE2) variants (glibc manual,
  "Hardware Capability Tunables");
- `OPENBLAS_NUM_THREADS=1` and `OMP_NUM_THREADS=1`: one summation order whatever the core count.

On 20 Newsgroups the pinned fit took as long as the unpinned one (about 22 s on 2 cores). What it
guarantees, and where bytes still cannot match (arm64, macOS), is in docs/reproducibility.md.
"""

from __future__ import annotations

import os
import platform
import sys

# Set in the re-executed process: it is pinned. Tests set it to train unpinned, as a control.
PINNED_MARKER = "TRAINING_NUMERICS_PINNED"
# libm's ifunc choices for exp/log/pow and friends test FMA, FMA4 and AVX2; masking them selects SSE2.
GLIBC_HWCAPS_MASK = "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4"
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def pin() -> None:
    """Re-execute this process with the pinned environment, unless it already runs in it."""
    if os.environ.get(PINNED_MARKER) == "1":
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], pinned_environment(os.environ))


def pinned_environment(environment: os._Environ | dict[str, str]) -> dict[str, str]:
    """`environment` with numpy's dispatch, libm's variants and the thread counts pinned."""
    return {
        **environment,
        **SINGLE_THREADED,
        "NPY_DISABLE_CPU_FEATURES": " ".join(numpy_dispatch_targets()),
        "GLIBC_TUNABLES": _with_hwcaps_mask(environment.get("GLIBC_TUNABLES", "")),
        PINNED_MARKER: "1",
    }


def _with_hwcaps_mask(tunables: str) -> str:
    """`tunables` (name=value pairs joined by ':') with the hwcaps mask in place of any hwcaps entry."""
    kept = [entry for entry in tunables.split(":") if entry and not entry.startswith("glibc.cpu.hwcaps=")]
    return ":".join([*kept, GLIBC_HWCAPS_MASK])


def numpy_dispatch_targets() -> list[str]:
    """The CPU targets this numpy build can dispatch to beyond its baseline (a property of the wheel)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return list(__cpu_dispatch__)


def is_reference_platform() -> bool:
    """x86-64 Linux with glibc: where pinned training writes the bytes dvc.lock names, on any CPU.

    Elsewhere (arm64, macOS, musl) other compilers and libraries round differently: the same model up
    to rounding at best (training.compare_models tells which).
    """
    return (
        sys.platform == "linux"
        and platform.machine() in {"x86_64", "AMD64"}
        and platform.libc_ver()[0] == "glibc"
    )


def describe_platform() -> str:
    """e.g. 'Linux x86_64 (glibc 2.36), Python 3.12.1'."""
    libc, version = platform.libc_ver()
    c_library = f" ({libc} {version})" if libc else ""
    return f"{platform.system()} {platform.machine()}{c_library}, Python {platform.python_version()}"


def main() -> int:
    """`make seed-remote`'s first step: seeding writes the model everyone pulls, so only where bytes match."""
    if is_reference_platform():
        return 0
    print(
        f"This machine ({describe_platform()}) cannot train the bytes x86-64 Linux trains, and the model a "
        "remote is seeded with must be the one CI reproduces. Seed from x86-64 Linux instead: run "
        "`make seed-remote REMOTE=s3` on an x86-64 Linux machine (a VM or a cloud workstation will do), or "
        "let GitHub's runner do it: push a branch that changes params.yaml or dvc.yaml and open a pull "
        "request; the train workflow trains on x86-64 Linux, uploads the model and its data to the bucket "
        "and commits dvc.lock (docs/deploying.md).",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
