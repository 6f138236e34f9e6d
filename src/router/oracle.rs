//! `oracle`: the cheapest local model (by the chosen objective) that answers the query
//! correctly, else the cloud. The only router that sees ground truth.

use super::{Decide, Route, RouteInput};

#[derive(Clone, Copy, Debug, Default)]
pub struct Oracle;

impl Decide for Oracle {
    #[inline]
    fn route(&self, q: &RouteInput) -> Route {
        q.oracle.map_or(Route::Cloud, Route::Local)
    }
}
