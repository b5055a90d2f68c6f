"""The classifier protocol, training's side: what a model family provides so that its models can be exported.

A family is a module registered in ``training.families.registry.FAMILIES``. For a fitted model it
provides what the artifact holds (serving/MODEL_ARTIFACT.md), and serving's family of the same ``KIND``
reads exactly that:

    KIND: str                       model.json's `kind`
    STORED_ARRAYS: tuple[str, ...]  arrays stored uncompressed (and aligned) in model.npz; the rest deflated
    owns(model) -> bool             whether this family exports this kind of fitted object
    check_servable(model)           raise UnservableModelError unless serving reproduces it exactly
    classes(model) -> list[str]     the labels, in the model's column order
    settings(model) -> dict         model.json's `settings` (JSON values)
    arrays(model) -> dict[str, np.ndarray]   model.npz's arrays
"""


class UnservableModelError(ValueError):
    """The model uses something serving's numpy re-implementation cannot reproduce."""
