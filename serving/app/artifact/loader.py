"""Loads and verifies the model (serving/MODEL_ARTIFACT.md): manifest, arrays, then the kind's family.

The checks run in the order MODEL_ARTIFACT.md lists: model.json first (format, kind, the kind's own
settings, classes, the arrays file it names), then model.npz (size, hash, archive), then the family
checks its arrays and builds the model. The family is the one ``families.registry.FAMILIES`` registers
under the manifest's ``kind``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from ..contracts import artifact
from ..families.registry import FAMILIES
from .arrays import read_arrays
from .manifest import FilePath, artifact_entry, baseline, class_names, model_kind, read_manifest

if TYPE_CHECKING:
    from ..families.protocol import Classifier

MODEL_DIR_ENV = "MODEL_DIR"


class Model(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
    """A verified, ready-to-serve model and what GET /model reports about it."""

    classifier: Classifier
    version: str
    description: dict[str, Any]


def default_model_dir() -> str:
    """``$MODEL_DIR`` when set (tests, local runs), else the model folder inside this package (the image)."""
    configured = os.environ.get(MODEL_DIR_ENV)
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    return configured or os.path.join(package, artifact.MODEL_DIRECTORY)


def load_model(directory: FilePath | None = None) -> Model:
    """Reads, verifies and assembles the model; a ``ModelLoadError`` says which file is wrong and how."""
    directory = directory if directory is not None else default_model_dir()
    manifest_path = os.path.join(directory, artifact.MANIFEST_FILE)
    manifest = read_manifest(manifest_path)
    family = FAMILIES[model_kind(manifest, FAMILIES, manifest_path)]
    settings = family.read_settings(manifest.get("settings"), manifest_path)
    classes = class_names(manifest.get("classes"), manifest_path)
    baseline(manifest, classes, manifest_path)  # checked here; GET /model reports it as written
    arrays_path, sha256, size = artifact_entry(manifest, directory, manifest_path)
    arrays = read_arrays(arrays_path, sha256, size)
    classifier = family.load(settings, classes, arrays, arrays_path)
    return Model(
        classifier=classifier, version=manifest["version"], description=describe(manifest, classifier)
    )


def describe(manifest: dict[str, Any], classifier: Classifier) -> dict[str, Any]:
    """What GET /model reports: identity, kind, classes, the kind's own description, how it was trained and
    how well it scored."""
    return {
        "version": manifest["version"],
        "format_version": manifest["format_version"],
        "kind": manifest["kind"],
        "classes": manifest["classes"],
        "settings": classifier.describe(),
        "metrics": manifest.get("metrics"),
        "data": manifest.get("data"),
        "libraries": manifest.get("libraries"),
        "baseline": manifest.get(artifact.BASELINE_KEY),
    }
