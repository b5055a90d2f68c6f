"""The data sources training knows by name: the registry, the one list of their names.

`data.source` in params.yaml is one of these names or a path to the user's own file or folder
(training.data_sources reads both). Everything that names the sources reads this registry: the error
messages, the params rule, the data fingerprint; the help text in the Makefile and params.yaml is
compared with it by training/tests/test_source_registry.py, which also fails when a list of the names
appears anywhere else.

A new source: a module in this folder that defines `NAME` and `SOURCE`, a NamedSource (named_source.py
says what it gives; bbc_news.py is the shortest example), and its line in REGISTRY below. dvc.yaml's
stages depend on this whole folder, so the new module retrains on change without further edits.
"""

from __future__ import annotations

from training.sources import bbc_news, chinese_reviews, twenty_newsgroups
from training.sources.named_source import NamedSource

# In the order help texts list them; the first is params.yaml's default.
REGISTRY: tuple[NamedSource, ...] = (
    twenty_newsgroups.SOURCE,
    bbc_news.SOURCE,
    chinese_reviews.SOURCE,
)


def source_names() -> list[str]:
    return [source.name for source in REGISTRY]


def named_source(source: str) -> NamedSource | None:
    """The registered source called `source`, or None when `source` is meant as a path."""
    return next((named for named in REGISTRY if named.name == source), None)
