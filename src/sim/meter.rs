//! Energy meters: integrate piecewise-constant power over time, in total and per hour.
//!
//! A meter is fed intervals `[from, to)` at a constant power; it keeps the energy, the busy
//! time (intervals marked active) and both per hour of simulated time, so the per-hour series,
//! average and peak power follow without sampling.

use super::calendar::{secs, Ticks};

/// Ticks per hour.
pub const HOUR: Ticks = 3_600_000_000_000;

/// What a meter has measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meter {
    /// Energy while serving, joules.
    pub active_j: f64,
    /// Energy while provisioned and idle, joules.
    pub idle_j: f64,
    /// Device-seconds spent serving.
    pub busy_s: f64,
    /// Energy (active + idle) per hour of simulated time, joules.
    pub hourly_j: Vec<f64>,
    /// Busy device-seconds per hour.
    pub hourly_busy_s: Vec<f64>,
}

impl Meter {
    fn bins(&mut self, hour: usize) {
        if self.hourly_j.len() <= hour {
            self.hourly_j.resize(hour + 1, 0.0);
            self.hourly_busy_s.resize(hour + 1, 0.0);
        }
    }

    /// Add `[from, to)` at `power_w` watts; `active` marks serving (vs idle) time.
    #[inline]
    pub fn add(&mut self, from: Ticks, to: Ticks, power_w: f64, active: bool) {
        if to <= from {
            return;
        }
        let mut t = from;
        while t < to {
            let hour = (t / HOUR) as usize;
            let end = to.min((hour as Ticks + 1) * HOUR);
            let dt = secs(end - t);
            self.bins(hour);
            let e = power_w * dt;
            self.hourly_j[hour] += e;
            if active {
                self.active_j += e;
                self.busy_s += dt;
                self.hourly_busy_s[hour] += dt;
            } else {
                self.idle_j += e;
            }
            t = end;
        }
    }

    /// Add `e` joules of idle energy to hour `hour` (idle computed in bulk, e.g. for a pool of
    /// devices whose busy time per hour is known).
    pub fn add_idle_in_hour(&mut self, hour: usize, e: f64) {
        self.bins(hour);
        self.hourly_j[hour] += e;
        self.idle_j += e;
    }

    /// Total energy, joules.
    pub fn total_j(&self) -> f64 {
        self.active_j + self.idle_j
    }

    /// Add another meter's readings (a fleet's tier from its devices).
    pub fn merge(&mut self, other: &Meter) {
        self.active_j += other.active_j;
        self.idle_j += other.idle_j;
        self.busy_s += other.busy_s;
        if other.hourly_j.len() > self.hourly_j.len() {
            self.bins(other.hourly_j.len() - 1);
        }
        for (a, b) in self.hourly_j.iter_mut().zip(&other.hourly_j) {
            *a += b;
        }
        for (a, b) in self.hourly_busy_s.iter_mut().zip(&other.hourly_busy_s) {
            *a += b;
        }
    }

    /// Scale every energy figure by `k` (PUE).
    pub fn scale_energy(&mut self, k: f64) {
        self.active_j *= k;
        self.idle_j *= k;
        for e in &mut self.hourly_j {
            *e *= k;
        }
    }

    /// The highest one-hour average power, watts, over hours that lie wholly inside `span`
    /// ticks (and the first hour if the span is shorter than an hour, averaged over the span).
    pub fn peak_hour_w(&self, span: Ticks) -> f64 {
        let full = (span / HOUR) as usize;
        if full == 0 {
            return self.hourly_j.first().copied().unwrap_or(0.0) / secs(span.max(1));
        }
        self.hourly_j
            .iter()
            .take(full)
            .fold(0.0_f64, |m, e| m.max(e / 3600.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_across_hour_boundaries_is_split_exactly() {
        let mut m = Meter::default();
        // 100 W from 0.5 h to 2.25 h: 0.5 h, 1 h and 0.25 h in hours 0, 1, 2.
        m.add(HOUR / 2, 2 * HOUR + HOUR / 4, 100.0, true);
        assert_eq!(m.hourly_j, vec![180_000.0, 360_000.0, 90_000.0]);
        assert_eq!(m.active_j, 630_000.0);
        assert_eq!(m.busy_s, 6300.0);
        m.add(0, HOUR / 2, 10.0, false);
        assert_eq!(m.idle_j, 18_000.0);
        assert_eq!(m.hourly_j[0], 198_000.0);
        assert_eq!(m.hourly_busy_s[0], 1800.0);
        assert_eq!(m.peak_hour_w(3 * HOUR), 100.0);
    }
}
