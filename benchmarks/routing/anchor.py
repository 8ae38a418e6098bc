"""The yardstick: scikit-learn TF-IDF (word 1-2 grams) + logistic regression, trained on the
same history rows the router learned from. Benchmark-only (the `bench` extra); `bot/` never
imports scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.routing.clinc import Row
from benchmarks.routing.evaluate import Score


def tfidf_lr(train: Sequence[Row], test: Sequence[Row], *, tuned: bool = False) -> Score:
    """scikit-learn's defaults; `tuned`: sublinear tf and C=10, a stronger setting than the
    defaults on this data (the harder yardstick)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=tuned),
        LogisticRegression(max_iter=2000, C=10.0 if tuned else 1.0),
    )
    model.fit([row.text for row in train], [row.domain for row in train])
    probabilities = model.predict_proba([row.text for row in test])
    classes = list(model.classes_)
    top1 = top3 = 0
    for row, p in zip(test, probabilities, strict=True):
        best = sorted(range(len(classes)), key=lambda i: -p[i])[:3]
        named = [classes[i] for i in best]
        top1 += named[0] == row.domain
        top3 += row.domain in named
    return Score(len(test), top1 / len(test), top3 / len(test), 0.0)
