"""The model families training can export (training.families.protocol). A new family is one module beside
this one and one line here."""

from types import ModuleType

from training.families import linear_tfidf
from training.families.protocol import UnservableModelError

FAMILIES: list[ModuleType] = [linear_tfidf]


def family_of(model: object) -> ModuleType:
    """The family that exports ``model``; UnservableModelError names the kinds there are if none does."""
    for family in FAMILIES:
        if family.owns(model):
            return family
    kinds = ", ".join(family.KIND for family in FAMILIES)
    raise UnservableModelError(f"no model family exports a {type(model).__name__} (families: {kinds})")
