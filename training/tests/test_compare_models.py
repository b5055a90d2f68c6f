"""Byte-identical, the same model up to rounding, or a different model; and what each platform accepts."""

import io
import json

import numpy as np
import pytest

from training import compare_models as cm


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _files(coef=(0.5, -1.25, 2.0), terms=(1, 2, 3), labels="a,a\nb,b\n", classes=("a", "b")) -> dict:
    manifest = {"format_version": 4, "classes": list(classes), "featurizer": {"blocks": []}, "version": "x"}
    arrays = {"coef": np.array(coef, dtype=np.float16), "words": np.array(terms, dtype=np.uint8)}
    return {cm.ARRAYS: _npz(**arrays), cm.MANIFEST: json.dumps(manifest).encode(), cm.LABELS: labels.encode()}


def _one_float16_step_up(value: float) -> float:
    return float(np.nextafter(np.float16(value), np.float16(np.inf)))


def test_the_same_bytes_are_byte_identical():
    assert cm.compare(_files(), _files()).kind == cm.IDENTICAL


def test_weights_one_rounding_step_apart_with_the_same_labels_are_the_same_model():
    rounded = _files(coef=(_one_float16_step_up(0.5), -1.25, 2.0))
    assert cm.compare(rounded, _files()).kind == cm.ROUNDING


@pytest.mark.parametrize(
    ("trained", "reason"),
    [
        (_files(coef=(0.6, -1.25, 2.0)), "'coef' differs beyond rounding"),
        (_files(terms=(1, 2, 4)), "'words' differs"),
        (_files(labels="a,a\nb,a\n"), "predicted labels differ"),
        (_files(classes=("a", "c")), "'classes' differs"),
    ],
)
def test_anything_beyond_rounding_is_a_different_model(trained, reason):
    verdict = cm.compare(trained, _files())
    assert verdict.kind == cm.DIFFERENT
    assert reason in verdict.reason


def test_x86_64_linux_accepts_only_the_very_bytes():
    rounding = cm.Verdict(cm.ROUNDING, "")
    assert cm.judge(cm.Verdict(cm.IDENTICAL, ""), reference_platform=True) == 0
    assert cm.judge(rounding, reference_platform=True) == 1


def test_other_platforms_accept_rounding_but_never_a_different_model(capsys):
    assert cm.judge(cm.Verdict(cm.ROUNDING, ""), reference_platform=False) == 0
    assert "dvc.lock keeps naming the x86-64 model" in capsys.readouterr().out
    assert cm.judge(cm.Verdict(cm.DIFFERENT, ""), reference_platform=False) == 1


def test_two_folders_compare_from_the_command_line(tmp_path, capsys):
    for folder, files in (("a", _files()), ("b", _files(labels="a,b\nb,b\n"))):
        (tmp_path / folder).mkdir()
        for role, data in files.items():
            (tmp_path / folder / role).write_bytes(data)
    assert cm.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "a different model" in capsys.readouterr().out
