"""A trained text classifier over the confirmed history (issue 16): TF-IDF of words and word
pairs plus character n-grams inside words (typos, "recognise"/"recognize"), and a linear
model fitted by stochastic gradient descent on the logistic loss (scikit-learn).

Training is a batch job, seconds for a big history: the app runs it in a worker process
(bot/fit_worker.py, bot/slack/routing.py) and hands the result to the ranker, which keeps
answering with what it had meanwhile. The same examples in the same order with the same
seed give the same model, so every replica that read the same history suggests the same owners."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Owner = tuple[str, str]
SEED = 16
MAX_ITER = 50
# Regularisation, tuned on CLINC150's `val`: a small history needs a little more of it.
ALPHA_TIMES_N, ALPHA_MIN, ALPHA_MAX = 0.03, 1e-5, 1e-4


@dataclass(frozen=True)
class Example:
    """One confirmed request: its words (`terms.tokens`, joined by spaces) and its owner."""

    text: str
    owner: Owner


class Model:
    """A fitted classifier: each owner's probability for a request's words."""

    def __init__(self, pipeline: Any, owners: Sequence[Owner], examples: int) -> None:
        self._pipeline = pipeline
        self.owners = tuple(owners)  # in the model's class order
        self.examples = examples

    def probabilities(self, text: str) -> dict[Owner, float]:
        """`text`: the request's words as `Example.text` has them."""
        row = self._pipeline.predict_proba([text])[0]
        return {owner: float(p) for owner, p in zip(self.owners, row, strict=True)}


def train(examples: Sequence[Example], *, seed: int = SEED) -> Model | None:
    """Fit on `examples` in the order given (callers sort them: the same order everywhere
    is what makes replicas agree). None when fewer than two owners confirmed anything."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline, make_union

    labels = [f"{owner[0]}\x00{owner[1]}" for example in examples for owner in [example.owner]]
    if len(set(labels)) < 2:
        return None
    alpha = min(ALPHA_MAX, max(ALPHA_MIN, ALPHA_TIMES_N / len(examples)))
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=_float32())
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=_float32()
    )
    pipeline = make_pipeline(
        make_union(words, chars),
        SGDClassifier(loss="log_loss", alpha=alpha, max_iter=MAX_ITER, tol=1e-4, random_state=seed),
    )
    pipeline.fit([example.text for example in examples], labels)
    for vectorizer in (words, chars):
        vectorizer.stop_words_ = None  # only kept for inspection; large
    owners = [tuple(label.split("\x00", 1)) for label in pipeline.classes_]
    return Model(pipeline, [(kind, id_) for kind, id_ in owners], len(examples))


def _float32() -> Any:
    import numpy

    return numpy.float32
