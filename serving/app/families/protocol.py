"""The classifier protocol, serving's side: what a model family provides and what its models answer.

A family is a module registered in ``families.registry.FAMILIES`` under the ``kind`` its artifacts record
(docs/use-another-model.md). It provides:

    KIND: str                                   the kind its model.json records
    read_settings(section, manifest_path)       model.json's ``settings`` checked (before the arrays are
                                                read), in whatever form ``load`` wants them
    load(settings, classes, arrays, arrays_path) -> Classifier
                                                the model built from the arrays, after checking them

Both raise ``artifact.manifest.ModelLoadError`` (naming the file, the problem and the fix) for anything
they cannot serve exactly. The handler then only ever talks to a ``Classifier``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple


class Quality(NamedTuple):
    """How sure a prediction is and how much of its text the model knows: the model-quality telemetry of
    one text, and the statistics training's baseline summarizes (the same numbers, one definition).

    ``probability`` is the label's; ``margin`` is it minus the second most probable class's;
    ``coverage`` is the share of the text's tokens the model's vocabulary holds (0 for a text without
    tokens).
    """

    probability: float
    margin: float
    coverage: float


class Prediction(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
    """One text's predicted label and its top classes with probabilities, most probable first, and its
    quality figures (None from a family that does not measure them: the handler then reports none)."""

    label: str
    scores: list[tuple[str, float]]
    quality: Quality | None = None


class Explanation(NamedTuple):
    """One label's score, its intercept and the text's largest contributions, largest |contribution| first.

    ``score`` equals ``intercept`` plus the contributions of all the text's features, not only ``terms``.
    """

    label: str
    score: float
    intercept: float
    terms: list[tuple[str, float]]


if TYPE_CHECKING:  # defining a typing.Protocol costs half a millisecond of every cold start
    from typing import Protocol

    class Classifier(Protocol):
        """A loaded model, as the handler uses it. One text is a batch of one: both give the same numbers."""

        classes: list[str]  # in the model's column order
        n_features: int  # reported with the model load metric

        def classify(self, texts: list[str], top_k: int) -> list[Prediction]:
            """Predictions in input order, each with its ``top_k`` classes (at most the number of classes)."""
            ...

        def classify_explained(
            self, texts: list[str], top_k: int, n_terms: int
        ) -> list[tuple[Prediction, Explanation]]:
            """As ``classify``, each prediction with its label's explanation in at most ``n_terms`` terms."""
            ...

        def describe(self) -> dict[str, Any]:
            """What GET /model reports as this model's ``settings`` (JSON values)."""
            ...
