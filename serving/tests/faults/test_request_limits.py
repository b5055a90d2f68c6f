"""Requests over the size limits get the handler's own 413 over HTTP, before any model work is done.

The handler checks the body size before parsing it and the number and length of texts before it
featurizes anything. Its per-request metrics record (EMF) proves the second half: `BatchSize` is only
recorded for a parsed request, and no label was predicted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fault_service import Reply, Service, post_json, real_service, request

from serving.app.api_contract import MAX_BODY_BYTES, MAX_TEXT_CHARS, MAX_TEXTS

OVER_THE_BODY_LIMIT = b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}'


@pytest.fixture(scope="module")
def service(bbc_model_dir) -> Iterator[Service]:
    """One service for the module: no request here changes its state."""
    with real_service(bbc_model_dir) as running:
        yield running


def _metrics_record(service: Service, limit_s: float = 10) -> dict:
    """The EMF record of the last request, found through the Lambda request id in its access line (the
    one with its latency: a large batch's further records carry the same id).

    The worker's output reaches the log through a pipe, possibly after the HTTP answer: poll for it.
    """
    access = service.log.access_lines()[-1]
    lambda_request_id = access.split("lambda_request_id=")[1].split()[0]
    deadline = time.monotonic() + limit_s
    while True:
        records = [
            r
            for r in service.log.json_records()
            if r.get("requestId") == lambda_request_id and "_aws" in r and "Latency" in r
        ]
        if records or time.monotonic() > deadline:
            (record,) = records
            return record
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (lambda url: request(url, "POST", "/classify", OVER_THE_BODY_LIMIT), "body_too_large"),
        (lambda url: post_json(url, {"text": "a" * (MAX_TEXT_CHARS + 1)}), "text_too_long"),
        (lambda url: post_json(url, {"texts": ["a few words"] * (MAX_TEXTS + 1)}), "too_many_texts"),
    ],
    ids=["body", "text", "batch"],
)
def test_over_a_limit_is_the_handlers_413_before_any_model_work(service: Service, send, code: str) -> None:
    reply: Reply = send(service.url)
    assert reply.status == 413
    assert reply.json()["error"]["code"] == code  # the handler's JSON, not API Gateway's 10 MB answer
    record = _metrics_record(service)
    assert (record["statusCode"], record["errorCode"]) == (413, code)
    assert "BatchSize" not in record and record["labels"] == []


def test_a_request_at_the_limits_is_classified(service: Service) -> None:
    """The limits are where the contract says: a batch of MAX_TEXTS texts is served, with every label."""
    reply = post_json(service.url, {"texts": ["Shares fell sharply on the stock market"] * MAX_TEXTS})
    assert reply.status == 200
    assert len(reply.json()["predictions"]) == MAX_TEXTS
    record = _metrics_record(service)
    assert record["BatchSize"] == MAX_TEXTS and len(record["labels"]) == MAX_TEXTS
