"""Statistics that are honest about small samples (plain module).

Everything works from counts and sums, so it runs on pre-aggregated
buckets: a histogram of 1-5 answers, or (n, Σx, Σx²) per question, and the
cross-sums needed for correlations.
"""
import math
from dataclasses import dataclass
from functools import lru_cache

from scipy import stats as scipy_stats

Z95 = 1.959963984540054
DEFAULT_MIN_SAMPLE = 30  # under this, a result is anecdotal


def histogram_totals(histogram):
    """(n, Σx, Σx²) of a {score: count} histogram (keys may be strings)."""
    n = sx = sxx = 0
    for score, count in histogram.items():
        score = int(score)
        n += count
        sx += score * count
        sxx += score * score * count
    return n, sx, sxx


def csat_count(histogram):
    """Answers of 4 or 5: the 'satisfied' count."""
    return sum(count for score, count in histogram.items() if int(score) >= 4)


def wilson_interval(k, n, z=Z95):
    """Wilson score interval for the share k/n; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@lru_cache(maxsize=4096)
def _t_quantile(q, df):
    # scipy's ppf costs ~50 µs a call; a report asks for the same few
    return float(scipy_stats.t.ppf(q, df))


def mean_interval(n, sx, sxx, confidence=0.95):
    """Mean with a t-interval; None when n is 0, (mean, mean) when n is 1."""
    if n == 0:
        return None, None
    mean = sx / n
    if n == 1:
        return mean, (mean, mean)
    variance = max(0.0, (sxx - n * mean * mean) / (n - 1))
    half = _t_quantile(0.5 + confidence / 2, n - 1) * math.sqrt(variance / n)
    return mean, (mean - half, mean + half)


def bayesian_score(n, sx, prior_mean, prior_weight):
    """(C·m + Σr) / (C + n): small samples are pulled to the prior mean, so
    three 5-star ratings cannot outrank three thousand 4.8s."""
    if prior_weight + n == 0:
        return prior_mean
    return (prior_weight * prior_mean + sx) / (prior_weight + n)


def two_proportion_test(k1, n1, k2, n2):
    """Two-sided z-test that two shares differ: (difference, p-value).

    p-value None when either sample is empty or the pooled share is 0 or 1.
    """
    if n1 == 0 or n2 == 0:
        return None, None
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return p2 - p1, 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se
    return p2 - p1, math.erfc(abs(z) / math.sqrt(2))  # = 2·(1 − Φ(|z|)), without scipy's ~50 µs call


def pearson_from_sums(n, sx, sy, sxx, syy, sxy):
    """Pearson correlation from running sums; None when undefined."""
    if n < 3:
        return None
    cov = sxy - sx * sy / n
    vx = sxx - sx * sx / n
    vy = syy - sy * sy / n
    if vx <= 0 or vy <= 0:
        return None
    return cov / math.sqrt(vx * vy)


@dataclass
class Summary:
    count: int
    csat: float
    csat_ci: tuple
    mean: float
    mean_ci: tuple
    score: float
    enough_data: bool


def summarise(histogram, prior_mean, prior_weight, min_sample=DEFAULT_MIN_SAMPLE):
    """Count, CSAT with its Wilson interval, mean, ranking score, and
    whether the sample is large enough to be more than an anecdote."""
    n, sx, sxx = histogram_totals(histogram)
    k = csat_count(histogram)
    mean, mean_ci = mean_interval(n, sx, sxx)
    return Summary(count=n, csat=(k / n) if n else None, csat_ci=wilson_interval(k, n),
                   mean=mean, mean_ci=mean_ci,
                   score=bayesian_score(n, sx, prior_mean, prior_weight),
                   enough_data=n >= min_sample)


def key_driver(cross_sums):
    """The driver most associated with overall satisfaction.

    `cross_sums` maps a driver to (n, Σx, Σy, Σx², Σy², Σxy) over answers
    where both the driver (x) and overall satisfaction (y) were given.
    Returns [(driver, r, n)] strongest first (drivers with no r last).
    """
    rows = [(driver, pearson_from_sums(*sums), sums[0]) for driver, sums in cross_sums.items()]
    return sorted(rows, key=lambda row: (row[1] is None, -(row[1] or 0), row[0]))
