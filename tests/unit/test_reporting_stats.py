"""Statistics against values computed independently (by hand, numpy or scipy)."""
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from services.reporting import stats


def hist(scores):
    h = {}
    for s in scores:
        h[s] = h.get(s, 0) + 1
    return h


@pytest.mark.parametrize("k,n,expected", [
    # hand-computed from REFERENCE.md's formula, z = 1.96
    (0, 1, (0.0, 0.7935)),
    (1, 1, (0.2065, 1.0)),
    (8, 10, (0.4902, 0.9433)),
    (50, 100, (0.4038, 0.5962)),
    (3000, 3000, (0.99872, 1.0)),
])
def test_wilson_interval(k, n, expected):
    low, high = stats.wilson_interval(k, n)
    assert low == pytest.approx(expected[0], abs=5e-4) and high == pytest.approx(expected[1], abs=5e-4)


def test_wilson_interval_matches_statsmodels_formula_on_a_grid():
    z = 1.959963984540054
    for n in (1, 2, 5, 29, 30, 1000):
        for k in range(0, n + 1, max(1, n // 7)):
            p = k / n
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            low, high = stats.wilson_interval(k, n)
            assert low == pytest.approx(max(0, centre - half)) and high == pytest.approx(min(1, centre + half))


def test_empty_sample_says_nothing():
    summary = stats.summarise({}, prior_mean=4.0, prior_weight=10)
    assert summary.count == 0 and summary.csat is None and summary.mean is None
    assert summary.csat_ci == (0.0, 1.0) and summary.score == 4.0 and not summary.enough_data


def test_single_answer():
    summary = stats.summarise({5: 1}, prior_mean=3.0, prior_weight=4)
    assert summary.csat == 1.0 and summary.mean == 5.0 and summary.mean_ci == (5.0, 5.0)
    assert summary.score == pytest.approx((4 * 3.0 + 5) / 5)


@pytest.mark.parametrize("scores", [[5] * 40, [1] * 40])
def test_all_same_answer_has_zero_width_mean_interval(scores):
    summary = stats.summarise(hist(scores), prior_mean=3.0, prior_weight=10)
    assert summary.mean_ci == (scores[0], scores[0])
    assert summary.csat == (1.0 if scores[0] == 5 else 0.0)
    assert summary.enough_data


def test_mean_interval_matches_scipy():
    rng = np.random.default_rng(3)
    scores = rng.integers(1, 6, size=57)
    summary = stats.summarise(hist(scores.tolist()), prior_mean=3.0, prior_weight=10)
    low, high = scipy_stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(), scale=scipy_stats.sem(scores))
    assert summary.mean == pytest.approx(scores.mean())
    assert summary.mean_ci[0] == pytest.approx(low) and summary.mean_ci[1] == pytest.approx(high)


def test_small_sample_cannot_outrank_a_large_one():
    prior_mean, prior_weight = 4.0, 20
    three_fives = stats.bayesian_score(3, 15, prior_mean, prior_weight)
    many = stats.bayesian_score(3000, 3000 * 4.8, prior_mean, prior_weight)
    assert three_fives < many
    assert three_fives == pytest.approx((20 * 4.0 + 15) / 23)


def test_two_proportion_test_matches_scipy_chi_square():
    diff, p = stats.two_proportion_test(60, 100, 45, 100)
    chi2, p_chi, _, _ = scipy_stats.chi2_contingency([[60, 40], [45, 55]], correction=False)
    assert diff == pytest.approx(-0.15) and p == pytest.approx(p_chi)
    assert stats.two_proportion_test(0, 0, 5, 10) == (None, None)
    assert stats.two_proportion_test(10, 10, 10, 10) == (0.0, 1.0)


def test_pearson_from_sums_matches_numpy_and_key_driver_ranks():
    rng = np.random.default_rng(5)
    overall = rng.integers(1, 6, size=200)
    staff = np.clip(overall + rng.integers(-1, 2, size=200), 1, 5)   # strongly related
    ease = rng.integers(1, 6, size=200)                              # unrelated
    def sums(x, y):
        return (len(x), x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum())
    r = stats.pearson_from_sums(*sums(staff, overall))
    assert r == pytest.approx(np.corrcoef(staff, overall)[0, 1])
    ranking = stats.key_driver({"staff": sums(staff, overall), "ease": sums(ease, overall),
                                "trust": (2, 8, 8, 32, 32, 32)})
    assert [row[0] for row in ranking] == ["staff", "ease", "trust"]
    assert ranking[2][1] is None  # too few answers to say
