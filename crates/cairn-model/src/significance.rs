//! Whether two rates really differ: the two-proportion z-test, for an A/B
//! split's variants (a rate of conversions or completions in each).
//!
//! The test is the textbook one (pooled proportion, normal approximation,
//! two-sided). The normal approximation only holds with enough data, so
//! below a minimum the answer is "too few runs yet" rather than a number
//! that looks precise and is not: each side needs [`MIN_RUNS`] runs, and the
//! pooled rate must give each side at least [`MIN_EXPECTED`] expected
//! successes and failures.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The fewest runs on each side before a difference is judged.
pub const MIN_RUNS: u64 = 30;
/// The fewest expected successes and failures on each side (n·p and n·(1−p)
/// with the pooled p), the usual condition for the normal approximation.
pub const MIN_EXPECTED: f64 = 5.0;
/// The significance level: a difference is called real at 95 % confidence.
pub const ALPHA: f64 = 0.05;

/// What the test says about `b` against `a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly higher at 95 % confidence.
    Better,
    /// Significantly lower at 95 % confidence.
    Worse,
    /// Enough data, but the difference could be chance.
    NotSignificant,
    /// Not enough data to judge yet.
    TooFewRuns,
}

/// The comparison of two proportions `b` against `a`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Comparison {
    /// rate(b) − rate(a), in percentage points; `null` when a side has no runs.
    pub difference_pts: Option<f64>,
    /// The z statistic; `null` when too few runs or no variation at all.
    pub z: Option<f64>,
    /// The two-sided p-value; `null` with `z`.
    pub p_value: Option<f64>,
    pub verdict: Verdict,
}

/// The pooled two-proportion z statistic of `xb/nb` against `xa/na`
/// (positive when b's rate is higher), with no minimum of data: `None`
/// when a side is empty or there is no variation at all (both rates 0 or
/// both 1). [`two_proportions`] adds the minimums; drift alerts
/// (`cairn_store::drift`) apply their own.
pub fn pooled_z(xa: u64, na: u64, xb: u64, nb: u64) -> Option<f64> {
    if na == 0 || nb == 0 {
        return None;
    }
    let (na_f, nb_f) = (na as f64, nb as f64);
    let pooled = (xa + xb) as f64 / (na_f + nb_f);
    let se = (pooled * (1.0 - pooled) * (1.0 / na_f + 1.0 / nb_f)).sqrt();
    if se == 0.0 {
        return None;
    }
    Some((xb as f64 / nb_f - xa as f64 / na_f) / se)
}

/// Compares `xb` successes of `nb` with `xa` of `na`.
pub fn two_proportions(xa: u64, na: u64, xb: u64, nb: u64) -> Comparison {
    let rate = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
    let difference_pts = match (rate(xa, na), rate(xb, nb)) {
        (Some(a), Some(b)) => Some((b - a) * 100.0),
        _ => None,
    };
    let too_few = Comparison {
        difference_pts,
        z: None,
        p_value: None,
        verdict: Verdict::TooFewRuns,
    };
    if na < MIN_RUNS || nb < MIN_RUNS {
        return too_few;
    }
    let (na_f, nb_f) = (na as f64, nb as f64);
    let pooled = (xa + xb) as f64 / (na_f + nb_f);
    let smallest = na_f.min(nb_f);
    if smallest * pooled < MIN_EXPECTED || smallest * (1.0 - pooled) < MIN_EXPECTED {
        return too_few;
    }
    let diff = xb as f64 / nb_f - xa as f64 / na_f;
    let Some(z) = pooled_z(xa, na, xb, nb) else {
        return too_few;
    };
    let p = erfc(z.abs() / std::f64::consts::SQRT_2);
    let verdict = if p >= ALPHA {
        Verdict::NotSignificant
    } else if diff > 0.0 {
        Verdict::Better
    } else {
        Verdict::Worse
    };
    Comparison {
        difference_pts,
        z: Some(z),
        p_value: Some(p),
        verdict,
    }
}

/// The complementary error function, by the rational approximation of
/// Abramowitz & Stegun 7.1.26 (absolute error below 1.5 × 10⁻⁷, plenty for
/// a p-value compared with 0.05), for `x ≥ 0`.
fn erfc(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    poly * (-x * x).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // erfc(1.96 / √2) = 0.0500 (the 95 % two-sided bound); erfc(0) = 1.
        assert!((erfc(1.959_964 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-6);
        assert!((erfc(0.0) - 1.0).abs() < 1e-6);
        assert!((erfc(2.575_829 / std::f64::consts::SQRT_2) - 0.01).abs() < 1e-6);
    }

    #[test]
    fn a_clear_difference_is_significant_either_way() {
        // 10 % of 1,000 against 15 % of 1,000: z ≈ 3.38, p ≈ 0.0007.
        let c = two_proportions(100, 1_000, 150, 1_000);
        assert_eq!(c.verdict, Verdict::Better);
        assert!((c.difference_pts.unwrap() - 5.0).abs() < 1e-9);
        assert!((c.z.unwrap() - 3.38).abs() < 0.01, "{c:?}");
        assert!(c.p_value.unwrap() < 0.001);
        assert_eq!(
            two_proportions(150, 1_000, 100, 1_000).verdict,
            Verdict::Worse
        );
    }

    #[test]
    fn a_small_difference_is_not_significant() {
        // 10 % against 11 % of 500 each: z ≈ 0.51.
        let c = two_proportions(50, 500, 55, 500);
        assert_eq!(c.verdict, Verdict::NotSignificant);
        assert!(c.p_value.unwrap() > 0.5);
    }

    #[test]
    fn too_few_runs_are_not_judged() {
        // A big difference on 20 runs each: not judged.
        let c = two_proportions(2, 20, 15, 20);
        assert_eq!(c.verdict, Verdict::TooFewRuns);
        assert!(c.z.is_none());
        assert!((c.difference_pts.unwrap() - 65.0).abs() < 1e-9);
        // Enough runs but too few successes (1 of 100 vs 3 of 100).
        assert_eq!(two_proportions(1, 100, 3, 100).verdict, Verdict::TooFewRuns);
        // No runs on one side: no difference at all.
        assert_eq!(two_proportions(0, 0, 3, 100).difference_pts, None);
    }
}
