"""The Dockerfile reader: which files, environment and handler the local runtime takes from the image."""

from pathlib import Path, PurePosixPath

import pytest

from local_runtime.dockerfile import DockerfileError, parse_dockerfile


def _parse(tmp_path: Path, text: str):
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    return parse_dockerfile(path)


def test_reads_copies_env_and_handler(tmp_path: Path) -> None:
    spec = _parse(
        tmp_path,
        """\
        # the function image
        FROM public.ecr.aws/lambda/python:3.12
        ARG MODEL_SUBDIR=data
        COPY requirements.txt ${LAMBDA_TASK_ROOT}
        RUN pip install -r requirements.txt
        COPY handler.py model_artifact.py ${LAMBDA_TASK_ROOT}/
        COPY --chown=1000 $MODEL_SUBDIR/ \\
             ${LAMBDA_TASK_ROOT}/data/
        ENV AWS_EMF_ENVIRONMENT=Lambda MODEL_DIR=${LAMBDA_TASK_ROOT}/data
        ENV LOG_LEVEL INFO
        CMD [ "handler.lambda_handler" ]
        """.replace("        ", ""),
    )
    assert [(copy.sources, str(copy.destination)) for copy in spec.copies] == [
        (("requirements.txt",), "/var/task"),
        (("handler.py", "model_artifact.py"), "/var/task"),
        (("data/",), "/var/task/data"),
    ]
    assert [copy.destination_is_directory for copy in spec.copies] == [False, True, True]
    assert spec.env == {"AWS_EMF_ENVIRONMENT": "Lambda", "MODEL_DIR": "/var/task/data", "LOG_LEVEL": "INFO"}
    assert spec.handler == "handler.lambda_handler"


def test_relative_destination_follows_workdir(tmp_path: Path) -> None:
    spec = _parse(tmp_path, 'WORKDIR ${LAMBDA_TASK_ROOT}/pkg\nCOPY a.py lib/\nCMD ["pkg.a.handler"]\n')
    assert spec.copies[0].destination == PurePosixPath("/var/task/pkg/lib")


def test_last_cmd_wins_and_shell_form_is_accepted(tmp_path: Path) -> None:
    assert _parse(tmp_path, 'CMD ["first.handler"]\nCMD second.handler\n').handler == "second.handler"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("COPY handler.py ${LAMBDA_TASK_ROOT}/\n", "no CMD"),
        ('CMD ["handler"]\n', "module.function"),
        ('CMD ["handler.lambda_handler", "extra"]\n', "module.function"),
        ('COPY --from=build /app ${LAMBDA_TASK_ROOT}/\nCMD ["h.f"]\n', "multi-stage"),
        ('COPY handler.py /opt/handler.py\nCMD ["h.f"]\n', "outside the task root"),
        ('COPY ${LAMBDA_TASK_ROOT}/\nCMD ["h.f"]\n', "source and a destination"),
    ],
)
def test_rejects_what_cannot_be_reproduced(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=message):
        _parse(tmp_path, text)
