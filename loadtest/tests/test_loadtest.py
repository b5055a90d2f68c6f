"""`make load-test` in seconds: locust against the local service passes; any failed request fails the run."""

import pytest

from loadtest.__main__ import main
from local_runtime.child_service import free_port
from serving.app.contracts import api
from serving.tests.artifact_export import NEWS_MODEL_SETTINGS, bbc_news, export, train


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    texts, labels = bbc_news(per_class=20)
    vectorizer, classifier = train(texts, labels, **NEWS_MODEL_SETTINGS)
    return export(vectorizer, classifier, tmp_path_factory.mktemp("model"))


def test_a_short_run_against_the_local_service_passes_with_locusts_own_statistics(model_dir, tmp_path, capfd):
    arguments = ["--users", "3", "--duration", "3s", "--workers", "1", "--model-dir", str(model_dir)]
    exit_code = main([*arguments, "--output-dir", str(tmp_path)])
    output = capfd.readouterr()
    assert exit_code == 0, output.out[-3000:] + output.err[-3000:]
    printed = output.out + output.err
    assert "(local service, 1 environments)" in printed
    assert "Aggregated" in printed and "Response time percentiles" in printed  # locust's own summary
    assert f"POST     {api.CLASSIFY} (text)" in printed and " 0(0.00%) " in printed
    service_log = (tmp_path / "service.log").read_text(encoding="utf-8")
    assert f"[gateway] POST {api.CLASSIFY} 200" in service_log
    assert (tmp_path / "locust_stats.csv").is_file()


def test_any_failed_request_fails_the_run(tmp_path, capfd):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there: every request fails
    exit_code = main(["--url", url, "--users", "1", "--duration", "2s", "--output-dir", str(tmp_path)])
    printed = "".join(capfd.readouterr())
    assert exit_code == 1
    assert "Connection refused" in printed and "FAILED: locust exited with code 1" in printed
