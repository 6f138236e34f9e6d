//! `accuracy`: the paper's imperfect router with routing accuracy `p`.
//!
//! A query whose oracle target is a local model goes there with probability `p`, otherwise to
//! the cloud. A query whose target is the cloud goes to the cloud. That covers two kinds: one
//! no local model answers, and (with `target = "optimal"`) one a local model answers but the
//! cloud serves more cheaply. Under the paper's semantics (`misroute = "paper"`) both go to the
//! cloud. With the other misroute kinds the router also errs, with probability `1 - p`, on a
//! query no local model answers: `wrong-local` answers it on the task family's strongest local
//! model (wrongly); `escalate` tries that model, detects the failure and asks the cloud, paying
//! both. (A query some local model answers is never misrouted that way: with the optimal target
//! its cloud routing is a cost decision, not a capability one.)
//!
//! The coin for query `i` is keyed by `(seed, i)` only, so raising `p` only ever moves more
//! queries to their local target: the set of queries sent to their local target grows with
//! `p` (with `wrong-local`, the wrongly local ones shrink as it does).

use super::{Decide, Misroute, Route, RouteInput};
use crate::rng::{Purpose, Stream};

#[derive(Clone, Copy, Debug)]
pub struct Accuracy {
    p: f64,
    misroute: Misroute,
    coins: Stream,
}

impl Accuracy {
    pub fn new(p: f64, misroute: Misroute, seed: u64) -> Accuracy {
        Accuracy {
            p,
            misroute,
            coins: Stream::new(seed, Purpose::Router),
        }
    }
}

impl Decide for Accuracy {
    #[inline]
    fn route(&self, q: &RouteInput) -> Route {
        match q.oracle {
            Some(m) => {
                if self.coins.unit(q.index) < self.p {
                    Route::Local(m)
                } else {
                    Route::Cloud
                }
            }
            None => {
                if self.misroute == Misroute::Paper
                    || q.solvable
                    || self.coins.unit(q.index) < self.p
                {
                    Route::Cloud
                } else if self.misroute == Misroute::WrongLocal {
                    Route::Local(q.fallback)
                } else {
                    Route::LocalThenCloud(q.fallback)
                }
            }
        }
    }
}
