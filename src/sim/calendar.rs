//! The event calendar: timestamped events in time order, ties in the order they were
//! scheduled, and a clock that never goes back (invariant 2, `docs/ARCHITECTURE.md`).
//!
//! Time is an integer number of nanoseconds ([`Ticks`]) from the start of the replay, so event
//! order never depends on floating-point rounding and a day fits with room to spare (u64
//! nanoseconds last 584 years).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Simulated time, nanoseconds.
pub type Ticks = u64;

/// Ticks per second.
pub const TICKS_PER_S: f64 = 1e9;

/// Seconds (>= 0) to ticks, rounded to the nearest tick.
#[inline]
pub fn ticks(s: f64) -> Ticks {
    (s * TICKS_PER_S).round() as Ticks
}

/// Seconds (>= 0) to ticks, rounded up: an event scheduled this far ahead is never early.
#[inline]
pub fn ticks_ceil(s: f64) -> Ticks {
    (s * TICKS_PER_S).ceil() as Ticks
}

/// Ticks to seconds.
#[inline]
pub fn secs(t: Ticks) -> f64 {
    t as f64 / TICKS_PER_S
}

struct Entry<E> {
    time: Ticks,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events of type `E`.
pub struct Calendar<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    now: Ticks,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Calendar {
            heap: BinaryHeap::new(),
            seq: 0,
            now: 0,
        }
    }
}

impl<E> Calendar<E> {
    /// The time of the last event popped (0 before any).
    #[inline]
    pub fn now(&self) -> Ticks {
        self.now
    }

    /// Schedule `event` at `time`, which must not be in the past.
    #[inline]
    pub fn schedule(&mut self, time: Ticks, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past ({time} < {})",
            self.now
        );
        self.heap.push(Entry {
            time,
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn next_time(&self) -> Option<Ticks> {
        self.heap.peek().map(|e| e.time)
    }

    /// Remove and return the next event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Ticks, E)> {
        let e = self.heap.pop()?;
        debug_assert!(e.time >= self.now);
        self.now = e.time;
        Some((e.time, e.event))
    }

    /// Move the clock forward to `time` without an event (an arrival from the trace).
    #[inline]
    pub fn advance(&mut self, time: Ticks) {
        assert!(time >= self.now, "clock moved back ({time} < {})", self.now);
        self.now = time;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_in_time_order_and_ties_in_scheduling_order() {
        let mut c = Calendar::default();
        c.schedule(5, 'a');
        c.schedule(3, 'b');
        c.schedule(5, 'c');
        c.schedule(3, 'd');
        c.schedule(9, 'e');
        let order: Vec<(Ticks, char)> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(
            order,
            vec![(3, 'b'), (3, 'd'), (5, 'a'), (5, 'c'), (9, 'e')]
        );
        assert_eq!(c.now(), 9);
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_refused() {
        let mut c = Calendar::default();
        c.schedule(10, ());
        c.pop();
        c.schedule(9, ());
    }

    #[test]
    fn tick_conversions_round_trip_and_ceil_is_never_early() {
        assert_eq!(ticks(1.5), 1_500_000_000);
        assert_eq!(secs(ticks(86_400.0)), 86_400.0);
        assert!(secs(ticks_ceil(0.1 + 0.2)) >= 0.1 + 0.2);
    }
}
