"""What the pre-traffic hook expects comes from one source: the model in the image's build context, run
through the serving code at synthesis.

The build context here is a copy of serving/app with a small model trained on BBC News; the expected
labels are checked against an oracle the hook's code never sees: the scikit-learn pipeline the model was
exported from, predicting the same texts. The expected version is the model manifest's.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from aws_cdk.assertions import Template
from infra_constructs import traffic_hook
from infra_constructs.traffic_hook import PROBE_TEXTS, expected_answers, handler_answers, image_handler
from infra_support import TAGGING, new_app, resources
from pre_traffic_hook.hook import Expected, classify_event
from stacks.service_stack import ServiceStack
from stacks.settings import SERVING_APP_DIR, SettingsError
from stacks.stages import service_settings

from serving.tests.artifact_export import bbc_news, export, train


def _build_context(root: Path) -> Path:
    """serving/app as `docker build` sees it, without its data/ (the model goes there)."""
    context = root / "app"
    shutil.copytree(SERVING_APP_DIR, context, ignore=shutil.ignore_patterns("data", "__pycache__"))
    (context / "data").mkdir()
    return context


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A build context holding a small BBC News model, and what its scikit-learn pipeline predicts for the
    known texts."""
    texts, labels = bbc_news(per_class=8)
    vectorizer, classifier = train(texts, labels)
    context = _build_context(tmp_path_factory.mktemp("hook"))
    export(vectorizer, classifier, context / "data")
    predicted = classifier.predict(vectorizer.transform(list(PROBE_TEXTS))).tolist()
    return context, predicted


def _hook_environment(outdir: Path, image_directory: Path) -> tuple[dict[str, str], list[str]]:
    """The hook's environment in a dev stack built from `image_directory`, and the stack's warnings."""
    dev = service_settings("dev")
    settings = replace(dev, function=replace(dev.function, image_directory=image_directory))
    app = new_app(outdir)
    stack = ServiceStack(app, "TextClassifier-dev", settings=settings, tagging=TAGGING)
    template = Template.from_stack(stack)
    (hook,) = [
        r["Properties"]
        for r in resources(template, "AWS::Lambda::Function").values()
        if r["Properties"].get("PackageType") != "Image"
    ]
    warnings = [
        str(entry.data)
        for construct in stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:warning"
    ]
    return hook["Environment"]["Variables"], warnings


def test_the_hook_expects_what_the_trained_model_predicts_and_the_manifests_version(
    tmp_path: Path, trained: tuple[Path, list[str]]
):
    context, predicted = trained
    environment, warnings = _hook_environment(tmp_path, context)
    expected = Expected.from_json(environment["EXPECTED_ANSWERS"])
    manifest = json.loads((context / "data" / "model.json").read_text(encoding="utf-8"))
    assert expected.model_version == manifest["version"]
    assert expected.answers == dict(zip(PROBE_TEXTS, predicted, strict=True))
    assert len(set(predicted)) > 1, "the known texts should not all share one label"
    assert not [w for w in warnings if "pre-traffic" in w]


def test_synthesis_leaves_the_build_context_as_it_was(trained: tuple[Path, list[str]]):
    """The serving code runs without writing bytecode: the image's inputs (and its asset hash) stay put."""
    context, _ = trained
    before = sorted(p.relative_to(context) for p in context.rglob("*"))
    answers = handler_answers(context, [classify_event(text, n) for n, text in enumerate(PROBE_TEXTS)])
    assert [answer["statusCode"] for answer in answers] == [200] * len(PROBE_TEXTS)
    assert sorted(p.relative_to(context) for p in context.rglob("*")) == before


def test_without_a_model_the_hook_expects_nothing_and_synthesis_warns(tmp_path: Path):
    context = _build_context(tmp_path)
    environment, warnings = _hook_environment(tmp_path / "out", context)
    assert Expected.from_json(environment["EXPECTED_ANSWERS"]) == Expected("", {})
    assert [
        w for w in warnings if "pre-traffic hook has no known answers" in w and "model.json not found" in w
    ]


def test_a_model_the_serving_code_cannot_load_gives_no_answers_and_says_why(tmp_path: Path):
    context = _build_context(tmp_path)
    (context / "data" / "model.json").write_text('{"format_version": 1}', encoding="utf-8")
    (context / "data" / "model.npz").write_bytes(b"not an archive")
    expected, problem = expected_answers(context)
    assert expected is None
    assert "the serving handler handler.lambda_handler failed" in problem


def _answer(label: str, scores: list[float], version: str = "abc123abc123") -> dict:
    body = {
        "label": label,
        "scores": dict(zip(("a", "b", "c"), scores, strict=False)),
        "model": {"version": version},
    }
    return {"statusCode": 200, "body": json.dumps(body)}


def test_a_near_tie_is_left_out_since_rounding_alone_could_flip_it(tmp_path: Path, monkeypatch):
    """The expectations are computed on the machine that synthesizes; the version runs on Lambda's arm64."""
    context = _build_context(tmp_path)
    (context / "data" / "model.json").write_text('{"version": "abc123abc123", "near": "ties"}')
    answers = [_answer("a", [0.5, 0.5 - 1e-9, 0.0]), _answer("b", [0.9, 0.05, 0.05])]
    answers += [_answer("c", [0.34, 0.33, 0.33])] * (len(PROBE_TEXTS) - 2)
    monkeypatch.setattr(traffic_hook, "handler_answers", lambda directory, events: answers)
    expected, problem = expected_answers(context)
    assert problem is None
    assert expected.answers == {PROBE_TEXTS[n]: label for n, label in enumerate(["b", "c", "c"], start=1)}


def test_a_model_that_answers_nothing_clearly_gives_no_answers(tmp_path: Path, monkeypatch):
    context = _build_context(tmp_path)
    (context / "data" / "model.json").write_text('{"version": "abc123abc123", "all": "ties"}')
    answers = [_answer("a", [0.5, 0.5])] * len(PROBE_TEXTS)
    monkeypatch.setattr(traffic_hook, "handler_answers", lambda directory, events: answers)
    expected, problem = expected_answers(context)
    assert expected is None and "none of the known texts a clear label" in problem


@pytest.mark.parametrize(
    ("dockerfile", "handler"),
    [
        ('FROM x\nCMD ["handler.lambda_handler"]\n', "handler.lambda_handler"),
        (
            'FROM x\nCMD ["old.handler"]\nCMD [ "serving.handler.lambda_handler" ]\n',
            "serving.handler.lambda_handler",
        ),
    ],
)
def test_the_handler_is_the_dockerfiles_last_cmd(tmp_path: Path, dockerfile: str, handler: str):
    (tmp_path / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    assert image_handler(tmp_path / "Dockerfile") == handler


@pytest.mark.parametrize(
    "dockerfile", ["FROM x\n", "FROM x\nCMD handler.lambda_handler\n", 'CMD ["a", "b"]\n']
)
def test_a_dockerfile_without_a_handler_cmd_is_refused(tmp_path: Path, dockerfile: str):
    (tmp_path / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    with pytest.raises(SettingsError, match="CMD naming the handler"):
        image_handler(tmp_path / "Dockerfile")


def test_the_real_dockerfile_names_the_handler_the_expectations_are_computed_with():
    assert image_handler(SERVING_APP_DIR / "Dockerfile") == "handler.lambda_handler"
