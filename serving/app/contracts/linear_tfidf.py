"""What a linear TF-IDF model stores in the artifact (serving/MODEL_ARTIFACT.md): arrays, settings, numbers.

Training's exporter writes these arrays and settings, serving's loader checks them and the tests read
them; each value is defined here once. Imports nothing.
"""

# model.json's `kind` for this family (training.families.linear_tfidf writes it, serving.app.families
# registers the family under it).
KIND = "linear-tfidf"

# model.json's settings.link: how the linear scores become probabilities (serving/MODEL_ARTIFACT.md). A
# link must be monotonic in each class's score (the ranking of the classes is the ranking of their
# scores). For two classes the scores are stored as [0, z] (or two full columns, as naive Bayes has),
# and each link is of z = s1 - s0 as scikit-learn's binary estimators compute it.
SOFTMAX = "softmax"  # multinomial logistic regression, naive Bayes (a softmax of the joint log likelihood)
OVR_SIGMOID = "ovr_sigmoid"  # one-vs-rest logistic regression, SGD log_loss: sigmoids, normalised
MODIFIED_HUBER = "modified_huber"  # SGD modified_huber: (clip(s, -1, 1) + 1) / 2, normalised
TEMPERATURE_SOFTMAX = "temperature_softmax"  # softmax(scores / temperature): LinearSVC, RidgeClassifier
LINKS = (SOFTMAX, OVR_SIGMOID, MODIFIED_HUBER, TEMPERATURE_SOFTMAX)
# The settings keys beside `link` that each link takes (each a positive, finite number).
TEMPERATURE = "temperature"
LINK_PARAMETERS = {SOFTMAX: (), OVR_SIGMOID: (), MODIFIED_HUBER: (), TEMPERATURE_SOFTMAX: (TEMPERATURE,)}
# model.json's optional settings.confidence_map, applied after any link: the top class's probability p
# becomes c = interpolate(p, top_probability, calibrated) (knots of an isotonic fit of held-out
# correctness on p; top_probability increasing within [0, 1], calibrated non-decreasing within [0, 1)),
# the other classes share 1 - c in their ratios, and the top class never drops below the second
# (serving.app.linear.links.confidence_mapped).
CONFIDENCE_MAP = "confidence_map"
TOP_PROBABILITY = "top_probability"
CALIBRATED = "calibrated"

# model.npz: array name -> (the dtype names it may have, its number of dimensions). Shapes are checked
# against each other, the featurizer blocks and the classes. `coef` holds the weights at the precision
# training rounded them to (train.weights_dtype); `word_ngrams` is int16 while the word ids fit.
ARRAYS = {
    "vocabulary": (("uint8",), 1),
    "term_lengths": (("uint32",), 1),
    "words": (("uint8",), 1),
    "word_ngrams": (("int16", "int32"), 2),
    "word_ngram_order": (("int32",), 1),
    "idf": (("float64",), 1),
    "coef": (("float16", "float32", "float64"), 2),
    "intercept": (("float64",), 1),
}
WEIGHT_DTYPES = ARRAYS["coef"][0]
# Stored uncompressed and aligned (contracts.artifact.ALIGNMENT), so that serving uses them in place
# (inflating them would cost every cold start more than their extra bytes); the other arrays are deflated.
STORED_ARRAYS = ("coef", "word_ngrams", "words")

# model.json's featurizer.blocks[k]: one TfidfVectorizer's settings serving reproduces, and its number of
# features; the values each setting may take, where serving implements a list of them.
BLOCK_SETTINGS = (
    "analyzer",
    "lowercase",
    "strip_accents",
    "token_pattern",
    "ngram_range",
    "binary",
    "sublinear_tf",
    "use_idf",
    "norm",
)
BLOCK_KEYS = (*BLOCK_SETTINGS, "n_features")
WORD_ANALYZER = "word"  # words (tokens of `token_pattern`) and their n-grams
CHAR_WB_ANALYZER = "char_wb"  # character n-grams within space-padded words
CHAR_ANALYZER = "char"  # character n-grams across the whole text
ANALYZERS = (WORD_ANALYZER, CHAR_WB_ANALYZER, CHAR_ANALYZER)
ASCII_ACCENTS = "ascii"  # decompose (NFKD), then drop every non-ASCII character
UNICODE_ACCENTS = "unicode"  # decompose (NFKD), then drop the combining marks
STRIP_ACCENTS = (None, ASCII_ACCENTS, UNICODE_ACCENTS)
L1_NORM = "l1"
L2_NORM = "l2"
NORMS = (None, L1_NORM, L2_NORM)
MAX_WORD_BLOCKS = 1

# The word block's terms are word ids (`word_ngrams`, padded with PADDING up to the block's longest
# n-gram), and each term has a number: its ids as the digits of a number in base W (W = the number of
# words), so that serving finds n-grams by number without ever joining their text. Numbers are int64:
# W ** high must stay below NUMBER_LIMIT (training refuses a vocabulary that would not).
PADDING = -1
NUMBER_LIMIT = 2**63


def ngram_number(word_ids, n_words):
    """The number of the n-gram of these word ids: id_1 * W**(n-1) + ... + id_n, for W = ``n_words``.

    ``word_ids`` holds the n ids in order, each an int, or each a numpy int64 array of ids (one entry per
    n-gram), which gives the numbers of all those n-grams at once (a narrower type would overflow).
    """
    number = word_ids[0]
    for word_id in word_ids[1:]:
        number = number * n_words + word_id
    return number
