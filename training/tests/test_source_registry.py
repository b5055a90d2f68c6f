"""The data-source registry (training/sources/) is the one list of the sources' names.

Code that names the sources reads the registry: the params rule, the error messages, the data
fingerprint, the loader. The help texts that cannot read it (the Makefile's `make help` line, params.yaml's
comment, the table in docs/training.md) are compared with it here. A list of the names written anywhere
else would drift (params.yaml's comment once left a source out): the last test fails on one.
"""

import importlib
import re
import subprocess
from pathlib import Path

import pytest

from training import REPO_ROOT
from training.data_sources import DataError, load_dataset, resolve_path
from training.fingerprint import data_fingerprint
from training.params import SCHEMA
from training.sources import REGISTRY, named_source, source_names
from training.sources.named_source import NamedSource

NAMES = source_names()
# A name as a whole word: not inside fetch_20newsgroups or my-bbc-news.csv.
NAME_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, NAMES)) + r")(?![\w-])")
# Two different names this many lines apart or closer make a list.
LIST_SPAN_LINES = 2


def test_each_source_module_is_registered_once_under_its_own_name():
    """A module in training/sources/ defines NAME and SOURCE; REGISTRY holds each SOURCE once."""
    folder = REPO_ROOT / "training" / "sources"
    modules = sorted(
        path.stem for path in folder.glob("*.py") if path.stem not in ("__init__", "named_source")
    )
    for stem in modules:
        module = importlib.import_module(f"training.sources.{stem}")
        assert module.SOURCE.name == module.NAME
        assert module.SOURCE in REGISTRY, f"training/sources/{stem}.py: add its SOURCE to REGISTRY"
        assert named_source(module.NAME) is module.SOURCE
    assert len(REGISTRY) == len(modules) >= 3
    assert len(set(NAMES)) == len(NAMES)
    assert all(NAME_PATTERN.fullmatch(name) for name in NAMES)
    assert named_source("data/tickets.csv") is None


def test_a_source_gives_exactly_one_way_to_split():
    with pytest.raises(TypeError, match="exactly one of examples and official_split"):
        NamedSource(name="both-or-neither", fingerprint=dict)


def test_the_params_rule_and_the_missing_path_message_name_every_source(tmp_path):
    assert SCHEMA["data"]["source"].expected.startswith(", ".join(NAMES) + ", or a path")
    with pytest.raises(DataError) as error:
        resolve_path(str(tmp_path / "absent.csv"))
    assert f"Use {', '.join(NAMES)}, or a path" in str(error.value)


def test_an_official_split_refuses_a_fixed_test_set_naming_the_sources_that_take_one(tmp_path):
    with_split = [source.name for source in REGISTRY if source.official_split is not None]
    without = [source.name for source in REGISTRY if source.examples is not None]
    assert with_split and without
    with pytest.raises(DataError) as error:
        load_dataset(with_split[0], 0.2, 42, test_source=str(tmp_path / "test.csv"))
    assert f"use it with {' or '.join(without)} or your own data" in str(error.value)


@pytest.mark.parametrize("source", [s for s in REGISTRY if s.examples is not None], ids=lambda s: s.name)
def test_the_fingerprint_of_a_packaged_source_is_what_its_module_says(source):
    assert data_fingerprint(source.name) == {"source": source.name, **source.fingerprint()}


# --- The help texts that cannot import the registry ------------------------------------------------------


def _line(path: Path, pattern: str) -> tuple[int, str]:
    """(number, text) of the one line of `path` matching `pattern`."""
    found = [
        (number, line)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(pattern, line)
    ]
    assert len(found) == 1, f"{path.name}: expected one line matching {pattern!r}, found {len(found)}"
    return found[0]


def makefile_help_line() -> int:
    """`make help`'s line for `train` names every source, in the registry's order."""
    number, line = _line(REPO_ROOT / "Makefile", r"^train:.*## ")
    expected = f"DATA={'|'.join(NAMES)}|path/to/data"
    assert expected in line, f"Makefile: the train target's help must say {expected}"
    return number


def params_comment_line() -> int:
    """params.yaml's comment on data.source names every source, in the registry's order."""
    number, line = _line(REPO_ROOT / "params.yaml", r"^\s*# .*\| path to your")
    expected = f"# {' | '.join(NAMES)} | path to your"
    assert line.strip().startswith(expected), f"params.yaml: the comment on data.source must start {expected}"
    return number


def docs_table_lines() -> list[int]:
    """docs/training.md's table of sources has one row per source, in order, with its kind of split."""
    lines = (REPO_ROOT / "docs" / "training.md").read_text(encoding="utf-8").splitlines()
    rows = [
        (number, line)
        for number, line in enumerate(lines, start=1)
        if line.startswith("| `") and NAME_PATTERN.match(line, 3)
    ]
    assert [NAME_PATTERN.match(line, 3).group(1) for _, line in rows] == NAMES
    for (_, line), source in zip(rows, REGISTRY, strict=True):
        split = line.rstrip(" |").rsplit("|", 1)[1]
        assert ("official" in split) == (source.official_split is not None), line
    return [number for number, _ in rows]


def test_make_help_lists_the_registered_sources():
    makefile_help_line()


def test_the_params_comment_lists_the_registered_sources():
    params_comment_line()


def test_the_training_docs_list_the_registered_sources():
    docs_table_lines()


# --- No list anywhere else ------------------------------------------------------------------------------


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [REPO_ROOT / name for name in listed if (REPO_ROOT / name).is_file()]


def name_lists(path: Path, allowed_lines: set[int]) -> list[int]:
    """Lines of `path` that hold a name with a different name at most LIST_SPAN_LINES lines away."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return []  # images and other binary files
    hits = [
        (number, match.group(1))
        for number, line in enumerate(lines, start=1)
        if number not in allowed_lines
        for match in NAME_PATTERN.finditer(line)
    ]
    return sorted(
        {
            number
            for number, name in hits
            for other_number, other in hits
            if other != name and abs(other_number - number) <= LIST_SPAN_LINES
        }
    )


def test_a_list_of_the_names_is_found_where_one_is_written(tmp_path):
    """The search itself: a list on one line or over nearby lines is found; one name alone is not."""
    first, second = NAMES[:2]
    path = tmp_path / "notes.md"
    path.write_text(f"use {first}\n\nor {second}\n\n\n\n{first} alone\n", encoding="utf-8")
    assert name_lists(path, set()) == [1, 3]
    assert name_lists(path, {3}) == []
    path.write_text(f"fetch_{first} my-{second}.csv\n", encoding="utf-8")
    assert name_lists(path, set()) == []


def test_no_file_but_the_registry_lists_the_source_names():
    allowed = {
        REPO_ROOT / "Makefile": {makefile_help_line()},
        REPO_ROOT / "params.yaml": {params_comment_line()},
        REPO_ROOT / "docs" / "training.md": set(docs_table_lines()),
    }
    files = _tracked_text_files()
    assert REPO_ROOT / "Makefile" in files
    found = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in files
        if (lines := name_lists(path, allowed.get(path, set())))
    }
    assert found == {}, (
        f"source names listed outside the registry (training/sources/__init__.py): {found}; read the "
        "names from training.sources (source_names(), or a source module's NAME) instead"
    )
