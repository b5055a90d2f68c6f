"""A throw-away model family, keyword counting, registered through the classifier protocol by a test
(serving/tests/contract/test_another_model_family.py) to show what a new family is: one module on
serving's side (``serving_side``), one on training's (``training_side``), one registry line each.
Nothing outside the tests registers it."""
