"""The handler against API Gateway REST proxy events: successful requests on every route."""

import json

import numpy as np
import pytest

from serving.app.contracts import api
from serving.tests.apigw_events import LambdaContext, rest_event
from serving.tests.artifact_export import bbc_news


def invoke(handler, event) -> tuple[dict, dict]:
    response = handler.lambda_handler(event, LambdaContext())
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["isBase64Encoded"] is False
    return response, json.loads(response["body"])


def classify(handler, payload, **event_options) -> tuple[dict, dict]:
    return invoke(handler, rest_event("POST", api.CLASSIFY, json.dumps(payload), **event_options))


@pytest.fixture(scope="module")
def unseen_articles() -> tuple[list[str], list[str]]:
    """BBC articles 61-64 of each class: the fixture model was trained on the first 60."""
    texts, labels = bbc_news(per_class=64)
    keep = [i for i in range(len(texts)) if i % 64 >= 60]
    return [texts[i] for i in keep], [labels[i] for i in keep]


@pytest.fixture(scope="module")
def sklearn_pipeline(bbc_corpus):
    """The same pipeline the served model was exported from, to compare answers with."""
    from serving.tests.artifact_export import NEWS_MODEL_SETTINGS, train

    texts, labels = bbc_corpus
    return train(texts, labels, **NEWS_MODEL_SETTINGS)


def test_classify_one_text(handler, bbc_manifest, unseen_articles):
    texts, labels = unseen_articles
    response, body = classify(handler, {"text": texts[labels.index("sports")]})
    assert response["statusCode"] == 200
    assert body["label"] == "sports"
    assert body["model"] == {"version": bbc_manifest["version"]}
    assert len(body["scores"]) == 3
    assert next(iter(body["scores"])) == body["label"]
    probabilities = list(body["scores"].values())
    assert probabilities == sorted(probabilities, reverse=True)
    assert set(body["scores"]) <= set(bbc_manifest["classes"])


def test_answers_equal_the_trained_pipeline(handler, sklearn_pipeline, unseen_articles):
    vectorizer, classifier = sklearn_pipeline
    texts, _ = unseen_articles
    expected_proba = classifier.predict_proba(vectorizer.transform(texts))
    for text, proba in zip(texts, expected_proba, strict=True):
        _, body = classify(handler, {"text": text, "top_k": 5})
        assert body["label"] == classifier.classes_[np.argmax(proba)]
        served = np.array([body["scores"][label] for label in classifier.classes_])
        assert np.abs(served - proba).max() <= 1e-9


def test_unseen_news_is_mostly_classified_right(handler, unseen_articles):
    texts, labels = unseen_articles
    _, body = classify(handler, {"texts": texts})
    predicted = [p["label"] for p in body["predictions"]]
    accuracy = np.mean([p == t for p, t in zip(predicted, labels, strict=True)])
    assert accuracy >= 0.8, (predicted, labels)


def test_batch_answers_in_input_order(handler, unseen_articles):
    texts, labels = unseen_articles
    texts = [texts[labels.index(label)] for label in ("tech", "business", "sports", "politics")]
    response, body = classify(handler, {"texts": texts, "top_k": 2})
    assert response["statusCode"] == 200
    assert set(body) == {"predictions", "model"}
    singles = [classify(handler, {"text": text, "top_k": 2})[1] for text in texts]
    assert body["predictions"] == [{"label": s["label"], "scores": s["scores"]} for s in singles]
    assert [p["label"] for p in body["predictions"]] == ["tech", "business", "sports", "politics"]


@pytest.mark.parametrize(("top_k", "expected"), [(None, 3), (1, 1), (4, 4), (5, 5), (100, 5)])
def test_top_k_defaults_to_3_and_is_capped_at_the_number_of_classes(handler, top_k, expected):
    payload = {"text": "Parliament debated the election bill"}
    if top_k is not None:
        payload["top_k"] = top_k
    response, body = classify(handler, payload)
    assert response["statusCode"] == 200
    assert len(body["scores"]) == expected
    if expected == 5:
        assert sum(body["scores"].values()) == pytest.approx(1.0, abs=1e-12)


def test_text_without_any_known_word_still_gets_an_answer(handler, bbc_manifest):
    response, body = classify(handler, {"text": "!!! ??? 😀"})
    assert response["statusCode"] == 200
    assert body["label"] in bbc_manifest["classes"]


def test_base64_encoded_body(handler):
    payload = {"text": "Le gouvernement a présenté le budget — 日本語"}
    event = rest_event("POST", api.CLASSIFY, json.dumps(payload, ensure_ascii=False), base64_encode=True)
    assert event["isBase64Encoded"] is True
    response, body = invoke(handler, event)
    assert response["statusCode"] == 200
    assert body == classify(handler, payload)[1]


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/json"},
        {"CONTENT-TYPE": "Application/JSON; charset=UTF-8"},
        {"Content-Type": 'application/json;charset="utf-8"'},
    ],
)
def test_json_content_type_variants(handler, headers):
    response, _ = classify(handler, {"text": "Parliament debated the bill"}, headers=headers)
    assert response["statusCode"] == 200


def test_content_type_only_in_multi_value_headers(handler):
    event = rest_event("POST", api.CLASSIFY, json.dumps({"text": "Parliament debated the bill"}))
    event["headers"] = None
    event["multiValueHeaders"] = {"content-type": ["application/json"]}
    response, _ = invoke(handler, event)
    assert response["statusCode"] == 200


def test_unicode_text_and_labels_round_trip(handler):
    response, body = classify(handler, {"text": "Le gouvernement a présenté le budget — 日本語 ✓"})
    assert response["statusCode"] == 200
    assert body["label"] in body["scores"]


def test_get_model_describes_the_deployed_model(handler, bbc_manifest):
    response, body = invoke(handler, rest_event("GET", api.MODEL, headers=None))
    assert response["statusCode"] == 200
    for key in (
        "version",
        "format_version",
        "kind",
        "classes",
        "settings",
        "metrics",
        "data",
        "libraries",
    ):
        assert body[key] == bbc_manifest[key], key


def test_get_model_with_no_headers_at_all(handler, bbc_manifest):
    event = rest_event("GET", api.MODEL)
    event["headers"] = None
    event["multiValueHeaders"] = None
    response, body = invoke(handler, event)
    assert response["statusCode"] == 200 and body["version"] == bbc_manifest["version"]


def test_query_string_is_ignored(handler):
    response, _ = invoke(handler, rest_event("GET", api.MODEL, query={"verbose": "1"}))
    assert response["statusCode"] == 200


@pytest.mark.parametrize("body", ['{"text": "Parliament debated the bill"}', "{"], ids=["success", "error"])
def test_allowed_browser_origins_get_the_cors_header(handler, monkeypatch, body):
    monkeypatch.setattr(handler, "CORS_ALLOW_ORIGINS", ("https://app.example",))
    headers = {"Content-Type": "application/json", "origin": "https://app.example"}
    response = handler.lambda_handler(
        rest_event("POST", api.CLASSIFY, body, headers=headers), LambdaContext()
    )
    assert response["headers"]["Access-Control-Allow-Origin"] == "https://app.example"
    assert response["headers"]["Vary"] == "Origin"


def test_other_origins_and_unconfigured_deployments_get_no_cors_header(handler, monkeypatch):
    event = rest_event("GET", api.MODEL, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in handler.lambda_handler(event, LambdaContext())["headers"]
    monkeypatch.setattr(handler, "CORS_ALLOW_ORIGINS", ("https://app.example",))
    assert "Access-Control-Allow-Origin" not in handler.lambda_handler(event, LambdaContext())["headers"]


def test_cors_origins_come_from_the_environment(handler, monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", " https://a.example, https://b.example ,")
    assert handler._allowed_origins() == ("https://a.example", "https://b.example")
    monkeypatch.delenv("CORS_ALLOW_ORIGINS")
    assert handler._allowed_origins() == ()


def assert_explains(body: dict, n_terms: int) -> None:
    """The label's explanation: at most n_terms terms, largest |contribution| first, none zero."""
    explanation = body["explanation"]
    assert set(explanation) == {"label", "score", "intercept", "terms"}
    assert explanation["label"] == body["label"]
    contributions = [term["contribution"] for term in explanation["terms"]]
    assert 0 < len(contributions) <= n_terms
    assert [abs(c) for c in contributions] == sorted((abs(c) for c in contributions), reverse=True)
    assert all(contributions) and all(isinstance(term["term"], str) for term in explanation["terms"])


def test_explain_adds_the_labels_explanation_to_one_text(handler, sklearn_pipeline, unseen_articles):
    vectorizer, classifier = sklearn_pipeline
    text = unseen_articles[0][0]
    response, body = classify(handler, {"text": text, "explain": 5})
    assert response["statusCode"] == 200
    assert list(body) == ["label", "scores", "explanation", "model"]
    assert_explains(body, 5)
    label_index = list(classifier.classes_).index(body["label"])
    expected_score = classifier.decision_function(vectorizer.transform([text]))[0, label_index]
    assert abs(body["explanation"]["score"] - expected_score) <= 1e-9
    analyzed = set(vectorizer.build_analyzer()(text))
    assert {term["term"] for term in body["explanation"]["terms"]} <= analyzed & set(vectorizer.vocabulary_)


def test_explain_true_lists_ten_terms_in_every_batch_item(handler, unseen_articles):
    texts = unseen_articles[0][:3]
    response, body = classify(handler, {"texts": texts, "explain": True, "top_k": 1})
    assert response["statusCode"] == 200
    for prediction in body["predictions"]:
        assert_explains(prediction, 10)
        assert len(prediction["explanation"]["terms"]) == 10  # a news article has more than ten terms
    _, plain = classify(handler, {"texts": texts, "top_k": 1})
    assert [p["label"] for p in body["predictions"]] == [p["label"] for p in plain["predictions"]]
    assert [p["scores"] for p in body["predictions"]] == [p["scores"] for p in plain["predictions"]]


@pytest.mark.parametrize("payload", [{"text": "Shares rose"}, {"text": "Shares rose", "explain": False}])
def test_without_explain_there_is_no_explanation(handler, payload):
    _, body = classify(handler, payload)
    assert "explanation" not in body
