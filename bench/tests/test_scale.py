"""`make bench-scale`: the generated corpus (deterministic, 50 classes, ~300 characters, a vocabulary that
keeps growing), the table, the results file, the picture, and a run in miniature."""

import itertools
import json
import re
import xml.dom.minidom

import pytest

from bench import scale
from bench.scale_corpus import N_CLASSES, CorpusGenerator, Vocabulary, word, write_corpus


@pytest.fixture(scope="module")
def documents():
    return list(CorpusGenerator(seed=0).documents(5000))


def test_the_same_seed_gives_the_same_corpus_and_a_larger_corpus_starts_with_a_smaller_one(tmp_path):
    first = write_corpus(tmp_path / "a.csv", 400).path.read_bytes()
    again = write_corpus(tmp_path / "b.csv", 400).path.read_bytes()
    larger = write_corpus(tmp_path / "c.csv", 900).path.read_bytes()
    other_seed = write_corpus(tmp_path / "d.csv", 400, seed=1).path.read_bytes()
    assert first == again
    assert larger.startswith(first)
    assert other_seed != first


def test_streams_draw_other_documents_from_the_same_classes():
    generator = CorpusGenerator(seed=0)
    train = list(generator.documents(2000))
    test = list(generator.documents(2000, stream=1))
    assert not {text for text, _ in train} & {text for text, _ in test}
    assert {label for _, label in train} == {label for _, label in test}


def test_fifty_classes_of_about_three_hundred_characters(documents):
    labels = {label for _, label in documents}
    lengths = [len(text) for text, _ in documents]
    assert len(labels) == N_CLASSES
    assert 270 <= sum(lengths) / len(lengths) <= 330
    assert all(re.fullmatch(r"[a-z]+( [a-z]+)+", text) for text, _ in documents[:500])


def test_words_are_distinct_for_distinct_ranks_and_frequent_words_are_short():
    spelled = [word(rank) for rank in range(60_000)]
    assert len(set(spelled)) == len(spelled)
    assert max(map(len, spelled[:100])) < min(map(len, spelled[-100:]))
    with pytest.raises(ValueError, match="rank"):
        word(-1)


def test_vocabulary_counts_equal_counting_the_words_and_pairs(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.csv", 1500)
    lines = corpus.path.read_text(encoding="utf-8").splitlines()[1:]
    texts = [line.rsplit(",", 1)[0].split() for line in lines]
    assert corpus.distinct_words == len({w for text in texts for w in text})
    assert corpus.distinct_bigrams == len({pair for text in texts for pair in itertools.pairwise(text)})
    assert corpus.characters == sum(len(" ".join(text)) for text in texts)


def test_the_vocabulary_keeps_growing_with_the_corpus():
    """Heaps' law: ten times the documents, several times the words and more than that many pairs."""
    counts = {}
    for n in (2_000, 20_000):
        vocabulary = Vocabulary()
        for _ in CorpusGenerator(seed=0).documents(n, vocabulary=vocabulary):
            pass
        counts[n] = (vocabulary.words, vocabulary.pairs)
    words_growth = counts[20_000][0] / counts[2_000][0]
    pairs_growth = counts[20_000][1] / counts[2_000][1]
    assert 2.5 < words_growth < 10
    assert words_growth < pairs_growth < 10


def test_a_corpus_has_at_least_one_document():
    with pytest.raises(ValueError, match="at least one document"):
        next(CorpusGenerator().documents(0))


@pytest.mark.parametrize(
    ("text", "sizes"), [("10000,100000", [10000, 100000]), ("1_000_000, 10000,10000", [10000, 1000000])]
)
def test_sizes(text, sizes):
    assert scale.parse_sizes(text) == sizes


@pytest.mark.parametrize("text", ["", "10k", "50", "10000;20000"])
def test_bad_sizes_are_refused_saying_what_is_expected(text):
    with pytest.raises(ValueError, match="SIZES"):
        scale.parse_sizes(text)


def rows(seconds: list[float], memory: list[float]) -> list[dict]:
    return [
        {
            "documents": n,
            "distinct_words": n // 2,
            "distinct_bigrams": n * 3,
            "fit_seconds": s * 0.9,
            "train_seconds": s,
            "peak_rss_mb": m,
            "accuracy": 0.8,
        }
        for n, s, m in zip((10_000, 100_000, 1_000_000), seconds, memory, strict=True)
    ]


def test_growth_exponent_is_the_log_log_slope():
    measured = rows([10, 100, 1000], [100, 400, 1600])
    assert scale.growth_exponent(measured, "train_seconds") == pytest.approx(1.0)
    assert scale.growth_exponent(measured, "peak_rss_mb") == pytest.approx(0.60206, abs=1e-4)
    assert scale.growth_exponent(measured[:1], "train_seconds") is None


def test_verdicts_name_each_target_and_the_shortfall():
    lines = scale.verdicts(rows([10, 200, 1500], [100, 400, 9000]))
    assert lines == [
        "100,000 documents, training time: 200 s (target <= 180 s): MISSED by 20 s",
        "1,000,000 documents, training time: 1,500 s (target <= 1,800 s): met",
        "1,000,000 documents, peak memory: 9,000 MB (target <= 8,192 MB): MISSED by 808 MB",
    ]


def test_table_and_results_file(tmp_path):
    measured = rows([10, 100, 1000], [100, 400, 1600])
    table = scale.table(measured).splitlines()
    assert len(table) == 2 + 3
    assert table[-1] == "| 1,000,000 | 500,000 | 3,000,000 | 900.0 | 1,000.0 | 1,600 | 0.8000 |"
    result = scale.write_results(tmp_path / "scale_results.json", measured)
    assert json.loads((tmp_path / "scale_results.json").read_text()) == result
    assert result["rows"] == measured
    assert result["summary"]["growth_exponent"]["train_seconds"] == pytest.approx(1.0)
    assert result["summary"]["segment_exponents"]["peak_rss_mb"] == [
        {"from": 10_000, "to": 100_000, "exponent": pytest.approx(0.60206)},
        {"from": 100_000, "to": 1_000_000, "exponent": pytest.approx(0.60206)},
    ]
    note = scale.closing_note(result).splitlines()
    assert (
        note[0] == "training time grows as documents^1.00 overall "
        "(1.00 from 10,000 to 100,000, 1.00 from 100,000 to 1,000,000)"
    )
    assert note[2:] == scale.verdicts(measured)


def test_the_picture_is_svg_with_a_point_per_size_and_panel(tmp_path):
    path = scale.write_plot(tmp_path / "scale.svg", rows([10, 100, 1000], [100, 400, 1600]), scale.TARGETS)
    document = xml.dom.minidom.parse(str(path))
    assert len(document.getElementsByTagName("circle")) == 2 * 3
    labels = [node.firstChild.data for node in document.getElementsByTagName("text") if node.firstChild]
    assert "training time (s)" in labels and "peak memory (MB)" in labels
    with pytest.raises(ValueError, match="nothing to plot"):
        scale.write_plot(tmp_path / "empty.svg", [], scale.TARGETS)


@pytest.mark.e2e
def test_a_run_in_miniature(tmp_path, monkeypatch, capsys):
    """Two small sizes through the real training entry point, each its own process."""
    monkeypatch.setattr(scale, "TEST_DOCUMENTS", 500)
    out, plot = tmp_path / "scale_results.json", tmp_path / "scale.svg"
    assert (
        scale.main(
            ["--sizes", "600,1200", "--workdir", str(tmp_path), "--out", str(out), "--plot", str(plot)]
        )
        == 0
    )
    result = json.loads(out.read_text())
    assert [row["documents"] for row in result["rows"]] == [600, 1200]
    for row in result["rows"]:
        assert 0.02 < row["accuracy"] < 1.0
        assert row["peak_rss_mb"] > 50 and row["train_seconds"] >= row["fit_seconds"] > 0
    printed = capsys.readouterr().out
    assert "[    1,200] fitting:" in printed and "| 1,200 |" in printed and plot.exists()


def test_bad_sizes_stop_with_a_clear_error(capsys):
    assert scale.main(["--sizes", "ten"]) == 2
    assert "SIZES must be whole numbers" in capsys.readouterr().err


def test_only_a_full_run_replaces_the_docs_picture(tmp_path):
    results = tmp_path / "scale_results.json"
    assert scale.plot_path(None, list(scale.DEFAULT_SIZES), results) == scale.DEFAULT_PLOT
    assert scale.plot_path(None, [10_000, 100_000], results) == tmp_path / "scale_results.svg"
    assert scale.plot_path(tmp_path / "mine.svg", [10_000], results) == tmp_path / "mine.svg"
