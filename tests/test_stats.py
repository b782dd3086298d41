"""The statistics every verdict obeys (bnstudy.stats), checked against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from bnstudy.stats import (
    holm,
    mean_ci,
    min_detectable_effect,
    paired_test,
    sign_flip_tails,
)

EFFECTS = np.array([0.12, 0.31, 0.2, 0.45, 0.05])


def test_t_test_matches_scipy_and_the_interval():
    r = paired_test(EFFECTS)
    ref = sps.ttest_1samp(EFFECTS, 0.0)
    assert r.p_support == pytest.approx(ref.pvalue)  # doubled one-sided = two-sided here
    assert r.p_contradict == 1.0
    assert (r.mean, r.low, r.high, r.n) == pytest.approx(mean_ci(EFFECTS))
    assert not r.exact


def test_p_below_alpha_exactly_when_the_interval_excludes_the_threshold():
    for threshold in np.linspace(-0.2, 0.6, 33):
        r = paired_test(EFFECTS, threshold, ">")
        assert (r.p_support < 0.05) == (r.low > threshold)
        assert (r.p_contradict < 0.05) == (r.high < threshold)
        r = paired_test(EFFECTS, threshold, "<")
        assert (r.p_support < 0.05) == (r.high < threshold)


def test_equivalence_is_two_one_sided_tests_read_off_the_interval():
    for margin in np.linspace(0.05, 0.8, 31):
        r = paired_test(EFFECTS, margin, "within")
        assert (r.p_support < 0.05) == (-margin < r.low and r.high < margin)
        assert (r.p_contradict < 0.05) == (r.low > margin or r.high < -margin)


def test_zero_spread_uses_the_exact_sign_flip_test():
    five = paired_test([0.3] * 5)
    assert five.exact and five.p_support == pytest.approx(2 / 32)  # cannot reach 5 %
    assert (five.low, five.high) == (-math.inf, math.inf)
    six = paired_test([0.3] * 6)
    assert six.p_support == pytest.approx(2 / 64) and (six.low, six.high) == (0.3, 0.3)
    on_threshold = paired_test([0.0] * 6)
    assert on_threshold.p_support == 1.0 and on_threshold.p_contradict == 1.0


def test_sign_flip_tails_enumerate_every_sign_pattern():
    d = np.array([1.0, 2.0, 3.0])
    # the 8 sign patterns' sums: ±1 ±2 ±3; only +1+2+3 reaches the observed 6
    assert sign_flip_tails(d) == (1 / 8, 1.0)
    assert sign_flip_tails(-d) == (1.0, 1 / 8)
    # 2 of 8 patterns reach a sum ≥ 4 (6, and −1+2+3 = 4)
    assert sign_flip_tails(np.array([-1.0, 2.0, 3.0]))[0] == pytest.approx(2 / 8)


def test_min_detectable_effect_has_80_percent_power():
    rng = np.random.default_rng(1)
    for n in (3, 5, 10):
        delta = min_detectable_effect(n, 1.0)
        draws = rng.normal(delta, 1.0, size=(20000, n))
        t = draws.mean(axis=1) / (draws.std(axis=1, ddof=1) / math.sqrt(n))
        power = (np.abs(t) > sps.t.ppf(0.975, n - 1)).mean()
        assert power == pytest.approx(0.8, abs=0.015)
    assert min_detectable_effect(5, 2.0) == pytest.approx(2 * min_detectable_effect(5, 1.0))
    assert min_detectable_effect(5, 0.0) == math.inf  # the exact test cannot decide
    assert min_detectable_effect(6, 0.0) == 0.0
    assert math.isnan(min_detectable_effect(1, 1.0))


def test_holm_steps_down_and_skips_untested():
    adjusted = holm([0.01, 0.04, 0.03, 0.005, math.nan])
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
    assert holm([0.2, 0.9]).tolist() == [0.4, 0.9]
    assert holm([]).size == 0
