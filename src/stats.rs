//! Small statistical helpers shared by the workload model and its calibration.
//! The special functions come from `statrs`; this module only fixes the conventions.

use statrs::function::erf::{erfc, erfc_inv};

/// Standard normal CDF, Φ(x).
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Inverse standard normal CDF, Φ⁻¹(p) for p in (0, 1); ±∞ at the ends.
#[inline]
pub fn norm_inv(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// Gauss–Hermite-free integration of `f(z)` against the standard normal density on a fixed
/// grid (trapezoid rule on [-8, 8] with `n` intervals). Accurate to ~1e-10 for the smooth,
/// bounded integrands used here (probabilities), and deterministic.
pub fn integrate_normal(n: usize, mut f: impl FnMut(f64) -> f64) -> f64 {
    let (lo, hi) = (-8.0_f64, 8.0_f64);
    let h = (hi - lo) / n as f64;
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let mut total = 0.0;
    for i in 0..=n {
        let z = lo + h * i as f64;
        let w = if i == 0 || i == n { 0.5 } else { 1.0 };
        total += w * f(z) * norm * (-0.5 * z * z).exp();
    }
    total * h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_and_inverse_agree_with_known_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        let q = norm_cdf(1.959_963_984_540_054);
        assert!((q - 0.975).abs() < 1e-9, "{q}");
        for p in [1e-9, 0.001, 0.2, 0.5, 0.77, 0.999] {
            let back = norm_cdf(norm_inv(p));
            assert!((back - p).abs() <= 1e-9 * p, "{p} -> {back}");
        }
    }

    #[test]
    fn normal_integral_of_one_and_of_the_cdf() {
        assert!((integrate_normal(800, |_| 1.0) - 1.0).abs() < 1e-9);
        // E[Φ(Z)] = 1/2 for Z ~ N(0,1).
        assert!((integrate_normal(800, norm_cdf) - 0.5).abs() < 1e-9);
    }
}
