//! `accuracy`: the paper's imperfect router with routing accuracy `p`.
//!
//! A query whose oracle target is a local model goes there with probability `p`, otherwise to
//! the cloud. A query whose target is the cloud (no local model answers it; with
//! `target = "optimal"`, also one the cloud serves more cheaply) goes to the cloud under the
//! paper's semantics (`misroute = "paper"`); with the other misroute kinds the router errs on
//! it too, with probability `1 - p`: `wrong-local` answers it on the task family's strongest
//! local model (wrongly, unless that model happens to answer it); `escalate` tries that model,
//! detects the failure and asks the cloud, paying both.
//!
//! The coin for query `i` is keyed by `(seed, i)` only, so raising `p` only ever moves more
//! queries to their local target: the set of queries served locally grows with `p`.

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
                if self.misroute == Misroute::Paper || self.coins.unit(q.index) < self.p {
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
