//! Capacity planning (issue 14, in progress): the cheapest fleet that meets an SLO.
//!
//! So far: [`erlang`], the M/M/c closed forms that give the search its analytic first guess,
//! and [`search`], the fewest replicas that meet an SLO by galloping from that guess and
//! bisecting over runs of the event core (any monotone check; invariant 7 makes the SLO
//! monotone in replicas). The `[plan]` section, the runs themselves and the `plan` command are
//! to come.

pub mod erlang;
pub mod search;
