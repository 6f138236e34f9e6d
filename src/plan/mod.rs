//! Capacity planning (issue 14, in progress): the cheapest fleet that meets an SLO.
//!
//! So far: [`erlang`], the M/M/c closed forms that give the search its analytic first guess.
//! The search over event-driven runs, the `[plan]` section and the `plan` command are to come.

pub mod erlang;
