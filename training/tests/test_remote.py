"""What CI jobs pull from the DVC remote: the training inputs, and the artifact the image bakes in.

The round trips through a real S3 API (moto), with a bucket whose objects were overwritten, are in
.github/tests/test_tampered_model.py and test_first_deploy.py.
"""

import shutil

from local_runtime.dockerfile import parse_dockerfile
from local_runtime.paths import APP_DIR
from local_runtime.task_root import build_task_root
from serving.app.contracts.artifact import MODEL_DIRECTORY
from training import REPO_ROOT
from training.remote import artifact_files, training_inputs


def _model_files_the_image_copies(tmp_path) -> set[str]:
    """The model files the image carries, as repository paths: the build context laid out as the
    Dockerfile and .dockerignore copy it (the local runtime's reader), its model folder holding every file
    a pull or a DVC pointer could leave there."""
    context = tmp_path / "context"
    shutil.copytree(APP_DIR, context, ignore=shutil.ignore_patterns(MODEL_DIRECTORY, "__pycache__"))
    (context / MODEL_DIRECTORY).mkdir()
    for name in ("model.npz", "model.json", "model.npz.dvc", ".gitignore", "pipeline.joblib"):
        (context / MODEL_DIRECTORY / name).write_bytes(b"x")
    image = parse_dockerfile(context / "Dockerfile")
    task_root = build_task_root(context, image, tmp_path / "task_root")
    package = task_root / image.handler.split(".")[0]
    app = APP_DIR.relative_to(REPO_ROOT).as_posix()
    return {f"{app}/{MODEL_DIRECTORY}/{path.name}" for path in (package / MODEL_DIRECTORY).iterdir()}


def test_the_artifact_pulled_for_a_deploy_is_exactly_what_the_image_bakes_in(tmp_path):
    pulled = {tracked.path for tracked in artifact_files()}
    assert (
        pulled
        == _model_files_the_image_copies(tmp_path)
        == {
            "serving/app/data/model.npz",
            "serving/app/data/model.json",
        }
    )
    assert all(tracked.pointer == "dvc.lock" for tracked in artifact_files())


def test_the_training_inputs_are_the_data_dvc_tracks_never_a_model_file():
    inputs = {tracked.path: tracked.pointer for tracked in training_inputs()}
    assert inputs["training/data/20news-bydate_py3.pkz"] == "training/data/newsgroups.dvc"
    assert not {path for path in inputs if path.startswith(("serving/", "training/model/"))}
