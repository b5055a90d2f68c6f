"""`make relabel`'s export: one row per distinct text, the least certain first, the columns training reads."""

import csv
from datetime import date

import boto3
from moto import mock_aws

from monitoring import relabel
from monitoring.capture_source import read_captures
from monitoring.tests.relabel_capture_lines import capture_line, write_day
from monitoring.window import Window
from ops.stage import CAPTURE_BUCKET_OUTPUT as BUCKET_OUTPUT
from serving.app.contracts import capture
from training.relabel_file import COLUMNS

DAY = Window(date(2026, 12, 7), date(2026, 12, 7))


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def export(tmp_path, lines, *options):
    folder = tmp_path / "captures"
    write_day(folder, 2026, 12, 7, lines)
    out = tmp_path / "out" / "to-label.csv"
    argv = ["--captures", str(folder), "--from", "2026-12-07", "--to", "2026-12-07", "--output", str(out)]
    assert relabel.main([*argv, *options]) == 0
    return read_rows(out)


def test_the_header_is_the_one_training_reads_and_label_starts_as_the_models(tmp_path):
    rows = export(
        tmp_path, [capture_line("Rockets to Mars", label="sci.space", probability=0.61, margin=0.3)]
    )
    assert (tmp_path / "out" / "to-label.csv").stat().st_mode & 0o777 == 0o600  # users' texts: owner only
    assert tuple(rows[0]) == COLUMNS
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record == {
        "text": "Rockets to Mars",
        "label": "sci.space",
        "model_label": "sci.space",
        "probability": "0.6100",
        "margin": "0.3000",
        "occurrences": "1",
        "model_version": "01c87c85af71",
        "first_seen": "2026-12-07T10:00:00.000Z",
    }


def test_the_least_certain_come_first_by_margin_then_probability(tmp_path):
    lines = [
        capture_line("sure", probability=0.95, margin=0.9),
        capture_line("torn", probability=0.40, margin=0.01),
        capture_line("unsure, flatter", probability=0.30, margin=0.2),
        capture_line("unsure, peaked", probability=0.55, margin=0.2),
    ]
    rows = export(tmp_path, lines)
    assert [row[0] for row in rows[1:]] == ["torn", "unsure, flatter", "unsure, peaked", "sure"]


def test_texts_equal_up_to_whitespace_are_one_row_that_counts_them(tmp_path):
    lines = [
        capture_line("Hello   world", timestamp="2026-12-07T09:00:00Z", model_version="old", margin=0.5),
        capture_line(" Hello world\n", timestamp="2026-12-07T11:00:00Z", model_version="new", margin=0.1),
        capture_line("hello world", timestamp="2026-12-07T10:00:00Z"),  # case is not whitespace
        capture_line("   ", timestamp="2026-12-07T10:00:00Z"),  # nothing to label
    ]
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in export(tmp_path, lines)[1:]]
    assert [(row["text"], row["occurrences"]) for row in rows] == [
        ("Hello   world", "2"),
        ("hello world", "1"),
    ]
    # The first occurrence's text and time; the latest answer's model and figures.
    assert rows[0]["first_seen"] == "2026-12-07T09:00:00Z"
    assert (rows[0]["model_version"], rows[0]["margin"]) == ("new", "0.1000")


def test_csv_quoting_keeps_commas_quotes_line_breaks_and_unicode(tmp_path):
    awkward = 'He said "no", then left\nfor Zürich, 東京 🚀'
    rows = export(tmp_path, [capture_line(awkward)])
    assert rows[1][0] == awkward


def test_limit_keeps_the_least_certain(tmp_path):
    lines = [capture_line(f"text {n}", margin=n / 10) for n in range(5)]
    rows = export(tmp_path, lines, "--limit", "2")
    assert [row[0] for row in rows[1:]] == ["text 0", "text 1"]


def test_only_the_window_is_read(tmp_path):
    folder = tmp_path / "captures"
    write_day(folder, 2026, 12, 6, [capture_line("yesterday")])
    write_day(folder, 2026, 12, 7, [capture_line("today")])
    captures, origin = read_captures(DAY, folder)
    assert [item.text for item in captures] == ["today"]
    assert origin == f"folder {folder}"


def test_an_existing_file_is_never_overwritten(tmp_path, capsys):
    folder = tmp_path / "captures"
    write_day(folder, 2026, 12, 7, [capture_line("a text")])
    out = tmp_path / "to-label.csv"
    out.write_text("someone's corrections\n", encoding="utf-8")
    assert (
        relabel.main(
            ["--captures", str(folder), "--from", "2026-12-07", "--to", "2026-12-07", "--output", str(out)]
        )
        == 2
    )
    assert "exists and may hold corrections" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "someone's corrections\n"


def test_an_empty_window_writes_nothing_and_says_why(tmp_path, capsys):
    out = tmp_path / "to-label.csv"
    write_day(tmp_path / "captures", 2026, 12, 6, [capture_line("yesterday")])
    argv = ["--captures", str(tmp_path / "captures"), "--from", "2026-12-07", "--to", "2026-12-07"]
    assert relabel.main([*argv, "--output", str(out)]) == 2
    assert "no captured texts" in capsys.readouterr().err
    assert not out.exists()


def test_a_missing_folder_says_how_to_fill_it(tmp_path, capsys):
    out = tmp_path / "to-label.csv"
    assert relabel.main(["--captures", str(tmp_path / "none"), "--output", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"no captures folder {tmp_path / 'none'}" in error and "CAPTURE_RATE=1" in error
    assert not out.exists()


def test_a_line_that_is_not_a_capture_stops_with_file_and_line(tmp_path, capsys):
    folder = tmp_path / "captures"
    path = write_day(folder, 2026, 12, 7, [capture_line("fine"), "not json"])
    out = tmp_path / "to-label.csv"
    argv = ["--captures", str(folder), "--from", "2026-12-07", "--to", "2026-12-07", "--output", str(out)]
    assert relabel.main(argv) == 2
    assert f"{path}, line 2: not JSON" in capsys.readouterr().err
    assert not out.exists()


def test_the_default_folder_is_the_one_make_serve_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(capture.LOCAL_DIR_ENV, raising=False)
    write_day(tmp_path / capture.DEFAULT_LOCAL_DIR, 2026, 12, 7, [capture_line("local")])
    assert [item.text for item in read_captures(DAY)[0]] == ["local"]
    monkeypatch.setenv(capture.LOCAL_DIR_ENV, str(tmp_path / "elsewhere"))
    write_day(tmp_path / "elsewhere", 2026, 12, 7, [capture_line("moved")])
    assert [item.text for item in read_captures(DAY)[0]] == ["moved"]


CAPTURE_STACK = """
Resources:
  Captures:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: captures-relabeltest
Outputs:
  {output}:
    Value: !Ref Captures
"""


@mock_aws
def test_a_stage_is_read_from_the_bucket_its_stack_names(tmp_path, monkeypatch):
    """The stack's output names the bucket; the window's day prefixes are read (moto, in process)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    session = boto3.Session(region_name="eu-west-1")
    session.client("cloudformation").create_stack(
        StackName="TextClassifier-relabeltest", TemplateBody=CAPTURE_STACK.format(output=BUCKET_OUTPUT)
    )
    s3 = session.client("s3")
    body = "\n".join([capture_line("from the bucket", margin=0.2), capture_line("surer", margin=0.7)])
    s3.put_object(Bucket="captures-relabeltest", Key=capture.partition(2026, 12, 7) + "part-1", Body=body)
    s3.put_object(Bucket="captures-relabeltest", Key=capture.partition(2026, 12, 5) + "part-1", Body=body)
    out = tmp_path / "bucket.csv"
    argv = ["--stage", "relabeltest", "--from", "2026-12-07", "--to", "2026-12-07", "--output", str(out)]
    assert relabel.main(argv, session=session) == 0
    assert [row[0] for row in read_rows(out)[1:]] == ["from the bucket", "surer"]


@mock_aws
def test_a_stage_without_a_capture_bucket_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    session = boto3.Session(region_name="eu-west-1")
    session.client("cloudformation").create_stack(
        StackName="TextClassifier-relabeltest", TemplateBody=CAPTURE_STACK.format(output="SomethingElse")
    )
    out = tmp_path / "bucket.csv"
    assert relabel.main(["--stage", "relabeltest", "--output", str(out)], session=session) == 2
    assert f"stack TextClassifier-relabeltest has no {BUCKET_OUTPUT} output" in capsys.readouterr().err
    assert not out.exists()
