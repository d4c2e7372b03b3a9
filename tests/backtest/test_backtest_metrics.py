"""The metrics against plain references on small random data (ties and all)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from scoredsl.backtest.metrics import _PerInstant, _Ranking, _for_capacity, _for_precision

observations = st.lists(st.tuples(st.integers(-3, 3), st.booleans(), st.integers(0, 2)), min_size=1, max_size=40)


def _arrays(items):
    key = np.array([float(k) for k, _, _ in items])
    y = np.array([1.0 if c else 0.0 for _, c, _ in items])
    snap = np.array([s for _, _, s in items])
    return key, y, snap


@given(observations, st.lists(st.integers(0, 3), min_size=40, max_size=40))
def test_auc_is_the_share_of_pairs_ranked_right(items, weights):
    key, y, _ = _arrays(items)
    w = np.array(weights[:len(items)], dtype=float)
    pairs = right = 0.0
    for i, j in itertools.product(range(len(items)), repeat=2):
        if y[i] == 1 and y[j] == 0:
            pairs += w[i] * w[j]
            right += w[i] * w[j] * (1.0 if key[i] > key[j] else 0.5 if key[i] == key[j] else 0.0)
    got = _Ranking(key).auc(w, w * y)
    if pairs == 0:
        assert got is None
    else:
        assert abs(got - right / pairs) < 1e-12


@given(observations, st.integers(1, 10))
def test_top_k_is_the_expected_value_of_breaking_ties_at_random(items, k):
    key, y, snap = _arrays(items)
    per = _PerInstant(snap, key, 3)
    precisions, recalls = [], []
    for s in range(3):
        members = [i for i in range(len(items)) if snap[i] == s]
        if not members:
            continue
        take = min(k, len(members))
        expected = 0.0                     # each member's chance to be among the first `take`
        for i in members:
            above = sum(1 for j in members if key[j] > key[i])
            tied = sum(1 for j in members if key[j] == key[i])
            expected += y[i] * min(1.0, max(0.0, (take - above) / tied))
        precisions.append(expected / take)
        converters = sum(y[i] for i in members)
        if converters:
            recalls.append(expected / converters)
    precision, recall = per.top(np.ones(len(items)), y, k)
    assert abs(precision - np.mean(precisions)) < 1e-12
    assert (recall is None) == (not recalls)
    if recalls:
        assert abs(recall - np.mean(recalls)) < 1e-12


@settings(max_examples=50)
@given(observations, st.integers(1, 20), st.floats(0.05, 1.0))
def test_suggested_thresholds_meet_their_goal_and_are_the_lowest_that_do(items, k, target):
    key, y, _ = _arrays(items)
    instants = 3
    values = sorted(set(key.tolist()))

    def picked(t):
        return key >= t

    by_capacity = _for_capacity(key, y, k, instants)
    ok = [t for t in values if picked(t).sum() / instants <= k]
    assert by_capacity.threshold == (min(ok) if ok else None)
    by_precision = _for_precision(key, y, target, instants)
    ok = [t for t in values if y[picked(t)].sum() / picked(t).sum() >= target]
    assert by_precision.threshold == (min(ok) if ok else None)
