//! Energy meters: integrate piecewise-constant power over time, in total, per hour and per
//! minute of the first [`MINUTE_BINS`] minutes.
//!
//! A meter is fed intervals `[from, to)` at a constant power; it keeps the energy, the busy
//! time (intervals marked active) and both per hour of simulated time, so the per-hour series,
//! average and peak power follow without sampling. The minute series covers the start of the
//! run only (a short run whole), so that a run too short for two hourly bins still shows power
//! over time; it is summed separately, so the totals and hours do not depend on it.

use super::calendar::{secs, Ticks};

/// Ticks per hour.
pub const HOUR: Ticks = 3_600_000_000_000;
/// Ticks per minute.
pub const MINUTE: Ticks = HOUR / 60;
/// The minutes, from the start of the run, the minute series covers.
pub const MINUTE_BINS: usize = 180;

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
    /// Energy (active + idle) per minute of the first [`MINUTE_BINS`], joules.
    pub minute_j: Vec<f64>,
    /// Busy device-seconds per minute of the first [`MINUTE_BINS`].
    pub minute_busy_s: Vec<f64>,
}

impl Meter {
    fn bins(&mut self, hour: usize) {
        if self.hourly_j.len() <= hour {
            self.hourly_j.resize(hour + 1, 0.0);
            self.hourly_busy_s.resize(hour + 1, 0.0);
        }
    }

    fn minute_bins(&mut self, minute: usize) {
        if self.minute_j.len() <= minute {
            self.minute_j.resize(minute + 1, 0.0);
            self.minute_busy_s.resize(minute + 1, 0.0);
        }
    }

    /// Add `[from, to)` at `power_w` watts; `active` marks serving (vs idle) time.
    #[inline]
    pub fn add(&mut self, from: Ticks, to: Ticks, power_w: f64, active: bool) {
        if to <= from {
            return;
        }
        if from < MINUTE_BINS as Ticks * MINUTE {
            self.add_minutes(from, to, power_w, active);
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

    /// The part of `[from, to)` inside the first [`MINUTE_BINS`] minutes, by the minute.
    fn add_minutes(&mut self, from: Ticks, to: Ticks, power_w: f64, active: bool) {
        let to = to.min(MINUTE_BINS as Ticks * MINUTE);
        let mut t = from;
        while t < to {
            let minute = (t / MINUTE) as usize;
            let end = to.min((minute as Ticks + 1) * MINUTE);
            let dt = secs(end - t);
            self.minute_bins(minute);
            self.minute_j[minute] += power_w * dt;
            if active {
                self.minute_busy_s[minute] += dt;
            }
            t = end;
        }
    }

    /// Add `e` joules of idle energy to minute `minute` of the minute series only (the same
    /// idle energy is added to the totals and hours by [`Meter::add_idle_in_hour`]).
    pub fn add_idle_in_minute(&mut self, minute: usize, e: f64) {
        if minute < MINUTE_BINS {
            self.minute_bins(minute);
            self.minute_j[minute] += e;
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
        if other.minute_j.len() > self.minute_j.len() {
            self.minute_bins(other.minute_j.len() - 1);
        }
        for (a, b) in self.minute_j.iter_mut().zip(&other.minute_j) {
            *a += b;
        }
        for (a, b) in self.minute_busy_s.iter_mut().zip(&other.minute_busy_s) {
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
        for e in &mut self.minute_j {
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

    #[test]
    fn the_first_minutes_are_binned_by_the_minute_and_later_time_is_not() {
        let mut m = Meter::default();
        // 60 W from 30 s to 150 s: 30 s, 60 s and 30 s in minutes 0, 1, 2.
        m.add(30 * MINUTE / 60, 150 * MINUTE / 60, 60.0, true);
        assert_eq!(m.minute_j, vec![1800.0, 3600.0, 1800.0]);
        assert_eq!(m.minute_busy_s, vec![30.0, 60.0, 30.0]);
        // 10 W idle across the end of the minute series (179.5 to 181 min): only the half
        // minute inside it is binned; the hours get all 90 s (30 s in hour 2, 60 s in hour 3).
        m.add(179 * MINUTE + MINUTE / 2, 181 * MINUTE, 10.0, false);
        assert_eq!(m.minute_j.len(), MINUTE_BINS);
        assert_eq!(m.minute_j[179], 300.0);
        assert_eq!(m.minute_busy_s[179], 0.0);
        assert_eq!(m.hourly_j[2..], [300.0, 600.0]);
        // Bulk idle goes to the named minute only, and not beyond the series.
        m.add_idle_in_minute(3, 5.0);
        m.add_idle_in_minute(MINUTE_BINS, 5.0);
        assert_eq!(m.minute_j[3], 5.0);
        assert_eq!(m.minute_j.len(), MINUTE_BINS);
        // Totals and hours are the hourly integration's: 7200 J active, 900 J idle.
        assert_eq!((m.active_j, m.idle_j), (7200.0, 900.0));
        assert_eq!(m.hourly_j[0], 7200.0);
        // PUE scales the minutes too; merging adds them.
        let mut total = Meter::default();
        total.merge(&m);
        total.merge(&m);
        total.scale_energy(1.5);
        assert_eq!(total.minute_j[1], 2.0 * 3600.0 * 1.5);
        assert_eq!(total.minute_busy_s[1], 120.0);
    }
}
