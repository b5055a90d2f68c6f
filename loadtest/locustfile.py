"""The traffic of a load test: news-like texts to POST /v1/classify, some batches, some GET /v1/model.

Run by `python -m loadtest` (`make load-test`), or directly:

    locust -f loadtest/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:3000

Every answer is checked, not only its status: a 200 without a label counts as a failure too. With
`API_KEY` in the environment (a deployed stage), every request carries it as `x-api-key`; the key is
read from the environment so that it never appears on a command line.
"""

from __future__ import annotations

import itertools
import os
import random

from locust import HttpUser, constant, constant_throughput, events, task

from loadtest.texts import news_batch, news_text
from serving.app.contracts.api import CLASSIFY, MODEL

BATCH_SIZES = (2, 8, 32)
_user_numbers = itertools.count()


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:
    parser.add_argument(
        "--user-rate",
        type=float,
        default=0.0,
        help="requests per second per user; 0 sends each request as soon as the previous one is answered",
    )


class ClassifierClient(HttpUser):
    """One client: mostly single texts, sometimes a batch or a look at the deployed model."""

    def on_start(self) -> None:
        # A seeded generator per user: two runs with the same settings send the same texts.
        self.rng = random.Random(next(_user_numbers))
        rate = self.environment.parsed_options.user_rate
        self._pace = constant_throughput(rate) if rate > 0 else constant(0)
        api_key = os.environ.get("API_KEY")
        if api_key:
            self.client.headers["x-api-key"] = api_key

    def wait_time(self) -> float:
        return self._pace(self)

    @task(16)
    def classify_text(self) -> None:
        with self.client.post(
            CLASSIFY, json={"text": news_text(self.rng)}, name=f"{CLASSIFY} (text)", catch_response=True
        ) as response:
            _expect(response, lambda body: isinstance(body.get("label"), str))

    @task(2)
    def classify_batch(self) -> None:
        texts = news_batch(self.rng, self.rng.choice(BATCH_SIZES))
        with self.client.post(
            CLASSIFY, json={"texts": texts}, name=f"{CLASSIFY} (batch)", catch_response=True
        ) as response:
            _expect(response, lambda body: len(body.get("predictions", ())) == len(texts))

    @task(1)
    def model(self) -> None:
        with self.client.get(MODEL, name=MODEL, catch_response=True) as response:
            _expect(response, lambda body: isinstance(body.get("version"), str))


def _expect(response, is_complete) -> None:
    """A failure unless the status is 200 and the JSON answer is complete."""
    if response.status_code == 0:  # no HTTP answer at all: refused, reset or timed out
        response.failure(f"no answer: {response.error}")
        return
    if response.status_code != 200:
        response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
        return
    try:
        body = response.json()
    except ValueError:
        response.failure(f"not JSON: {response.text[:200]}")
        return
    if not isinstance(body, dict) or not is_complete(body):
        response.failure(f"incomplete answer: {response.text[:200]}")
