"""Other x86-64 CPUs, emulated on this one through every knob that reaches numerical code.

Each entry turns off here what another CPU lacks: numpy's CPU dispatch (NPY_DISABLE_CPU_FEATURES), glibc's
libm variants (GLIBC_TUNABLES hwcaps), OpenBLAS's kernels (OPENBLAS_CORETYPE) and thread counts, and the
cores the process may use (`ONE_CORE`: run the command through ON_ONE_CORE).
"""

from __future__ import annotations

from training import pinned_numerics

ALL_DISPATCH_TARGETS = " ".join(pinned_numerics.numpy_dispatch_targets())
# numpy names its AVX-512 targets X86_V4 and AVX512_*; X86_V3 is AVX2 + FMA.
AVX512_TARGETS = " ".join(t for t in pinned_numerics.numpy_dispatch_targets() if t != "X86_V3")

# What another x86-64 CPU would choose, emulated on this one.
EMULATED_CPUS: dict[str, dict[str, str]] = {
    "this CPU": {},
    # The machine that trained other bytes: AMD EPYC, AVX2 without AVX-512, OpenBLAS Haswell/Zen kernels.
    "AVX2 without AVX-512": {"NPY_DISABLE_CPU_FEATURES": AVX512_TARGETS, "OPENBLAS_CORETYPE": "Zen"},
    # An x86-64-v2 CPU (before Haswell): no AVX2 and no FMA anywhere, old BLAS kernels, one core.
    "x86-64-v2 on one core, four threads asked": {
        "NPY_DISABLE_CPU_FEATURES": ALL_DISPATCH_TARGETS,
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F",
        "OPENBLAS_CORETYPE": "Nehalem",
        "OPENBLAS_NUM_THREADS": "4",
        "OMP_NUM_THREADS": "4",
        "ONE_CORE": "1",
    },
}
# Runs the rest of its command line (python arguments) on one of the cores this process may use.
ON_ONE_CORE = (
    "import os, sys; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
