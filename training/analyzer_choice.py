"""`featurize.analyzer: auto`: words for languages that put spaces between words, characters for the rest.

Word tokens fail on Chinese, Japanese, Thai, Lao, Khmer, Myanmar and Tibetan, which write no space between
words: a whole clause becomes one "word" that almost never recurs (on the Chinese reviews, word 1-2-grams
score 0.69 where character n-grams score 0.85). Character n-grams inside whitespace-separated chunks
(`char_wb`) work for those scripts. For languages with spaces, words are as accurate as anything the model
can use at a fraction of the cost: on 20 Newsgroups adding character n-grams gains 0.007 of accuracy (by
cross-validation and on the test split) but makes each request's featurization about 14 times slower and
training about 5 times longer (docs/training.md). So `auto` looks at the training texts: when at least
NO_SPACE_SCRIPT_SHARE of their letters belong to scripts written without spaces it means `char_wb`,
otherwise `word`. `make tune` cross-validates the other choices on the same data.

The decision reads a fixed, evenly spaced sample of the texts (the first SAMPLE_CHARS characters of up to
SAMPLE_TEXTS of them), so it is deterministic and takes milliseconds even on a gigabyte of text.
"""

from __future__ import annotations

import re
from typing import Any

from serving.app.contracts.linear_tfidf import CHAR_WB_ANALYZER, WORD_ANALYZER

AUTO = "auto"
# Letters of scripts written without spaces between words: CJK ideographs (with extensions and
# compatibility forms), Hiragana, Katakana (full and half width), Thai, Lao, Tibetan, Myanmar, Khmer.
_NO_SPACE_LETTER = re.compile(
    r"(?=[^\W\d_])"  # a letter (not a digit, mark or punctuation) ...
    r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff"  # ... of these scripts
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
# Any letter or ideograph (no digits, no underscore): the denominator of the share.
_LETTER = re.compile(r"[^\W\d_]")
# A language with spaces quoting a few Chinese names stays far below this; a text in one of those
# scripts with Latin product names and numbers stays far above it.
NO_SPACE_SCRIPT_SHARE = 0.3
SAMPLE_TEXTS = 2000
SAMPLE_CHARS = 2000


def no_space_script_share(texts: list[str]) -> float:
    """Share of the sampled letters that belong to scripts written without spaces (0 when no letters)."""
    step = max(1, len(texts) // SAMPLE_TEXTS)
    sample = "\n".join(text[:SAMPLE_CHARS] for text in texts[::step][:SAMPLE_TEXTS])
    letters = len(_LETTER.findall(sample))
    return len(_NO_SPACE_LETTER.findall(sample)) / letters if letters else 0.0


def choose_analyzer(texts: list[str]) -> tuple[str, float]:
    """The analyzer `auto` means for these training texts, and the share it was decided on."""
    share = no_space_script_share(texts)
    return (CHAR_WB_ANALYZER if share >= NO_SPACE_SCRIPT_SHARE else WORD_ANALYZER), share


def resolve_analyzer(params: dict[str, dict[str, Any]], texts: list[str]) -> dict[str, dict[str, Any]]:
    """`params` with `featurize.analyzer: auto` replaced by its choice for `texts` (others unchanged)."""
    if params["featurize"]["analyzer"] != AUTO:
        return params
    analyzer, _ = choose_analyzer(texts)
    return {**params, "featurize": {**params["featurize"], "analyzer": analyzer}}
