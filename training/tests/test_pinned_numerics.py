"""The pinned environment: what it sets, and that a pinned process really runs numpy's baseline code."""

import json
import os
import subprocess
import sys

from training import REPO_ROOT, pinned_numerics

# Prints the process's view of the pinning, after pin() (which re-executes it once).
REPORT_PINNING = """
import json, os
from training import pinned_numerics
pinned_numerics.pin()
from numpy._core._multiarray_umath import __cpu_features__
print(json.dumps({
    "dispatched": {t: __cpu_features__[t] for t in pinned_numerics.numpy_dispatch_targets()},
    "env": {k: os.environ.get(k) for k in ("GLIBC_TUNABLES", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                           "MY_SETTING")},
}))
"""


def test_the_environment_disables_every_dispatch_target_and_keeps_the_rest():
    env = pinned_numerics.pinned_environment({"PATH": "/bin", "GLIBC_TUNABLES": "glibc.malloc.check=3"})
    assert env["PATH"] == "/bin"
    assert env["NPY_DISABLE_CPU_FEATURES"].split() == pinned_numerics.numpy_dispatch_targets()
    assert env["GLIBC_TUNABLES"] == f"glibc.malloc.check=3:{pinned_numerics.GLIBC_HWCAPS_MASK}"
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == "1"
    assert env[pinned_numerics.PINNED_MARKER] == "1"


def test_an_earlier_hwcaps_setting_is_replaced_not_kept_beside_the_mask():
    env = pinned_numerics.pinned_environment({"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F:glibc.a=1"})
    assert env["GLIBC_TUNABLES"] == f"glibc.a=1:{pinned_numerics.GLIBC_HWCAPS_MASK}"


def test_a_pinned_process_runs_numpy_without_dispatch_and_keeps_its_own_settings():
    env = {k: v for k, v in os.environ.items() if k not in (pinned_numerics.PINNED_MARKER, "GLIBC_TUNABLES")}
    env.update(MY_SETTING="kept", OMP_NUM_THREADS="4")
    result = subprocess.run(
        [sys.executable, "-c", REPORT_PINNING], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not any(report["dispatched"].values()), report["dispatched"]
    assert report["env"] == {
        "GLIBC_TUNABLES": pinned_numerics.GLIBC_HWCAPS_MASK,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MY_SETTING": "kept",
    }


def test_pin_does_nothing_in_a_pinned_process(monkeypatch):
    monkeypatch.setenv(pinned_numerics.PINNED_MARKER, "1")

    def refuse(*args):
        raise AssertionError("pin() re-executed a pinned process")

    monkeypatch.setattr(os, "execve", refuse)
    pinned_numerics.pin()


def test_seeding_is_refused_off_x86_64_linux_with_the_alternative(monkeypatch, capsys):
    monkeypatch.setattr(pinned_numerics, "is_reference_platform", lambda: False)
    assert pinned_numerics.main() == 1
    message = capsys.readouterr().err
    assert "make seed-remote REMOTE=s3" in message and "open a pull" in message


def test_seeding_goes_ahead_on_x86_64_linux(monkeypatch):
    monkeypatch.setattr(pinned_numerics, "is_reference_platform", lambda: True)
    assert pinned_numerics.main() == 0
