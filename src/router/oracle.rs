//! `oracle`: the oracle's target, computed by the caller under the router's
//! [`super::OracleRule`] (the cheapest local model that answers the query, or the cloud). The
//! only router that sees ground truth.

use super::{Decide, Route, RouteInput};

#[derive(Clone, Copy, Debug, Default)]
pub struct Oracle;

impl Decide for Oracle {
    #[inline]
    fn route(&self, q: &RouteInput) -> Route {
        q.oracle.map_or(Route::Cloud, Route::Local)
    }
}
