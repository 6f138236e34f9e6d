//! `all-cloud`: every query to the cloud. The baseline every saving is measured against.

use super::{Decide, Route, RouteInput};

#[derive(Clone, Copy, Debug, Default)]
pub struct AllCloud;

impl Decide for AllCloud {
    #[inline]
    fn route(&self, _: &RouteInput) -> Route {
        Route::Cloud
    }
}
