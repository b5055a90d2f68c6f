"""What CI jobs pull from the DVC remote: the training inputs, and the artifact the image bakes in.

The round trips through a real S3 API (moto), with a bucket whose objects were overwritten, are in
.github/tests/test_tampered_model.py and test_first_deploy.py.
"""

import re

from training.remote import artifact_files, training_inputs

DOCKERIGNORE = "serving/app/.dockerignore"


def _model_files_the_image_copies() -> set[str]:
    """The model files the build context lets in: the image copies serving/app whole, and its
    .dockerignore ignores everything except the package's own files (`!data/<file>` for the model)."""
    from training import REPO_ROOT

    text = (REPO_ROOT / DOCKERIGNORE).read_text(encoding="utf-8")
    return {f"serving/app/{source}" for source in re.findall(r"^!(data/\S+)$", text, re.MULTILINE)}


def test_the_artifact_pulled_for_a_deploy_is_exactly_what_the_image_bakes_in():
    pulled = {tracked.path for tracked in artifact_files()}
    assert (
        pulled
        == _model_files_the_image_copies()
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
