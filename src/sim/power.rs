//! Power models: what a device or a replica draws as a function of how many requests it runs.
//!
//! One small trait, [`PowerModel`], with two shapes:
//! * [`ConstantPower`]: a local device at batch 1 (its serving power, or its idle power);
//! * [`BatchCurve`]: a cloud replica's measured batching curve, linear between measured batch
//!   sizes, with the rule below the smallest measured batch chosen by [`BelowSmallest`].
//!
//! Every service uses them: the fixed-batch service charges a query the power at its fixed
//! batch size, the local tier a device's constant power, the cloud tier the curve at the
//! running batch (tabulated once per replica kind for `0..=cap`).

/// Power drawn with `batch` requests in service (0: idle), watts.
pub trait PowerModel {
    fn power_w(&self, batch: f64) -> f64;
}

/// A device that serves one request at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConstantPower {
    /// While serving, watts.
    pub active_w: f64,
    /// While idle, watts.
    pub idle_w: f64,
}

impl PowerModel for ConstantPower {
    fn power_w(&self, batch: f64) -> f64 {
        if batch > 0.0 {
            self.active_w
        } else {
            self.idle_w
        }
    }
}

/// Power below the smallest measured batch size `b0` of a curve (batch `0 < n < b0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BelowSmallest {
    /// The smallest measured batch's power, `P(b0)` (a slight overstatement for a less loaded
    /// replica: decode at small batches is memory-bound and power rises little with batch).
    #[default]
    Hold,
    /// Linear from the idle power at batch 0 to `P(b0)`: `idle + (P(b0) - idle) n / b0`.
    IdleToSmallest,
}

impl BelowSmallest {
    pub fn name(self) -> &'static str {
        match self {
            BelowSmallest::Hold => "hold",
            BelowSmallest::IdleToSmallest => "idle-to-smallest",
        }
    }
}

/// A measured batching curve: `(batch, watts)` points in increasing batch order.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchCurve {
    points: Vec<(u32, f64)>,
    idle_w: f64,
    below: BelowSmallest,
}

/// Why a curve cannot be built or read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CurveError {
    #[error("expected at least one measured point in increasing batch order, each batch >= 1")]
    Points,
    #[error("batch size {batch} is above the largest measured batch {max}")]
    Above { batch: f64, max: u32 },
}

impl BatchCurve {
    /// A curve through `points` (increasing batch sizes >= 1), drawing `idle_w` at batch 0.
    pub fn new(
        points: Vec<(u32, f64)>,
        idle_w: f64,
        below: BelowSmallest,
    ) -> Result<BatchCurve, CurveError> {
        let ordered = points.windows(2).all(|w| w[0].0 < w[1].0);
        if points.is_empty() || points[0].0 == 0 || !ordered {
            return Err(CurveError::Points);
        }
        Ok(BatchCurve {
            points,
            idle_w,
            below,
        })
    }

    /// The largest measured batch size.
    pub fn max_batch(&self) -> u32 {
        self.points[self.points.len() - 1].0
    }

    /// Power at `batch`; above the largest measured batch is an error (a batching curve is not
    /// extrapolated silently).
    pub fn try_power_w(&self, batch: f64) -> Result<f64, CurveError> {
        let pts = &self.points;
        let (b0, p0) = pts[0];
        if batch <= 0.0 {
            return Ok(self.idle_w);
        }
        if batch < f64::from(b0) {
            return Ok(match self.below {
                BelowSmallest::Hold => p0,
                BelowSmallest::IdleToSmallest => {
                    self.idle_w + (p0 - self.idle_w) * batch / f64::from(b0)
                }
            });
        }
        if batch > f64::from(self.max_batch()) {
            return Err(CurveError::Above {
                batch,
                max: self.max_batch(),
            });
        }
        let hi = pts
            .iter()
            .position(|p| f64::from(p.0) >= batch)
            .unwrap_or(pts.len() - 1);
        if f64::from(pts[hi].0) == batch || hi == 0 {
            return Ok(pts[hi].1);
        }
        let (a, b) = (pts[hi - 1], pts[hi]);
        let w = (batch - f64::from(a.0)) / f64::from(b.0 - a.0);
        Ok(a.1 + w * (b.1 - a.1))
    }

    /// Power with `0..=cap` requests running (index = batch), for a replica with batch cap
    /// `cap`.
    pub fn table(&self, cap: u32) -> Result<Vec<f64>, CurveError> {
        (0..=cap).map(|n| self.try_power_w(f64::from(n))).collect()
    }
}

impl PowerModel for BatchCurve {
    /// Power at `batch`, held at the largest measured batch's above it (use
    /// [`BatchCurve::try_power_w`] to refuse that instead).
    fn power_w(&self, batch: f64) -> f64 {
        self.try_power_w(batch.min(f64::from(self.max_batch())))
            .expect("clamped into the measured range")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(below: BelowSmallest) -> BatchCurve {
        // Measured at batch 8 (800 W) and 16 (1,200 W); idle 200 W.
        BatchCurve::new(vec![(8, 800.0), (16, 1200.0)], 200.0, below).unwrap()
    }

    #[test]
    fn a_batch_curve_is_exact_at_measured_points_and_linear_between_them() {
        let c = curve(BelowSmallest::Hold);
        assert_eq!(c.try_power_w(8.0), Ok(800.0));
        assert_eq!(c.try_power_w(16.0), Ok(1200.0));
        // 12 is halfway: 800 + 0.5 x 400.
        assert_eq!(c.try_power_w(12.0), Ok(1000.0));
        assert_eq!(c.try_power_w(0.0), Ok(200.0));
        assert_eq!(
            c.try_power_w(17.0),
            Err(CurveError::Above {
                batch: 17.0,
                max: 16
            })
        );
    }

    #[test]
    fn below_the_smallest_batch_hold_keeps_its_power_and_idle_to_smallest_ramps_from_idle() {
        let hold = curve(BelowSmallest::Hold);
        let ramp = curve(BelowSmallest::IdleToSmallest);
        for n in 1..8 {
            assert_eq!(hold.try_power_w(f64::from(n)), Ok(800.0));
        }
        // 200 + 600 n / 8: n = 1 -> 275 W, n = 4 -> 500 W, n = 8 -> 800 W (measured).
        assert_eq!(ramp.try_power_w(1.0), Ok(275.0));
        assert_eq!(ramp.try_power_w(4.0), Ok(500.0));
        assert_eq!(ramp.try_power_w(8.0), Ok(800.0));
        assert_eq!(
            ramp.table(9).unwrap(),
            vec![200.0, 275.0, 350.0, 425.0, 500.0, 575.0, 650.0, 725.0, 800.0, 850.0]
        );
    }

    #[test]
    fn a_device_draws_its_serving_power_when_busy_and_its_idle_power_otherwise() {
        let d = ConstantPower {
            active_w: 60.0,
            idle_w: 5.0,
        };
        assert_eq!(d.power_w(1.0), 60.0);
        assert_eq!(d.power_w(0.0), 5.0);
    }

    #[test]
    fn curves_refuse_unordered_or_empty_points() {
        for pts in [
            vec![],
            vec![(0, 1.0)],
            vec![(4, 1.0), (4, 2.0)],
            vec![(8, 1.0), (4, 2.0)],
        ] {
            assert_eq!(
                BatchCurve::new(pts, 0.0, BelowSmallest::Hold),
                Err(CurveError::Points)
            );
        }
    }
}
