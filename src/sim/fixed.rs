//! The fixed-batch service: every query is charged its endpoint's per-request figures at the
//! endpoint's batch size, with no queueing (the paper's Sec. 4.3 accounting).
//!
//! For a query with `n_in` prompt and `n_out` response tokens on an endpoint whose profile, at
//! batch size `b`, gives prefill rate `R`, decode step time `s` and replica power `P`:
//!
//! ```text
//! latency = n_in / R + n_out · s
//! energy  = PUE · ( P · n_in / R  +  (P / b) · n_out · s )
//! ```
//!
//! Prefill occupies the replica, so the query pays the replica's full power for it; during
//! decode `b` requests share each step, so each pays `P / b` (energy shared by tokens processed
//! in each interval). FLOPs are `2 · params · (n_in + n_out)`; cost is
//! `n_in · price_in + n_out · price_out`.

use super::power::PowerModel;
use super::{Charge, Endpoint, Service};
use crate::trace::Query;

/// One endpoint's per-token figures, precomputed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EndpointProfile {
    /// Seconds per prompt token.
    pub prefill_s_per_token: f64,
    /// Seconds per response token.
    pub decode_s_per_token: f64,
    /// Joules per prompt token.
    pub prefill_j_per_token: f64,
    /// Joules per response token.
    pub decode_j_per_token: f64,
    /// FLOPs per token (prompt or response).
    pub flops_per_token: f64,
    pub usd_per_input_token: f64,
    pub usd_per_output_token: f64,
}

impl EndpointProfile {
    /// Build from the operating point at `batch` (prefill rate, decode step time), the
    /// endpoint's power model, the energy multiplier (PUE), the parameters FLOPs count
    /// (billions) and token prices (USD per million input and output tokens).
    pub fn new(
        prefill_tokens_per_s: f64,
        decode_step_s: f64,
        power: &dyn PowerModel,
        batch: f64,
        pue: f64,
        params_b: f64,
        usd_per_mtok: (f64, f64),
    ) -> Self {
        let prefill_s = 1.0 / prefill_tokens_per_s;
        let power_w = power.power_w(batch);
        EndpointProfile {
            prefill_s_per_token: prefill_s,
            decode_s_per_token: decode_step_s,
            prefill_j_per_token: pue * power_w * prefill_s,
            decode_j_per_token: pue * power_w / batch * decode_step_s,
            flops_per_token: 2.0 * params_b * 1e9,
            usd_per_input_token: usd_per_mtok.0 * 1e-6,
            usd_per_output_token: usd_per_mtok.1 * 1e-6,
        }
    }

    #[inline]
    pub fn charge(&self, q: &Query) -> Charge {
        let (i, o) = (f64::from(q.input_tokens), f64::from(q.output_tokens));
        Charge {
            energy_j: i * self.prefill_j_per_token + o * self.decode_j_per_token,
            latency_s: i * self.prefill_s_per_token + o * self.decode_s_per_token,
            flops: (i + o) * self.flops_per_token,
            cost_usd: i * self.usd_per_input_token + o * self.usd_per_output_token,
        }
    }
}

/// The fixed-batch service over a local pool and one cloud endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedBatch {
    pub local: Vec<EndpointProfile>,
    pub cloud: EndpointProfile,
}

impl Service for FixedBatch {
    fn local_models(&self) -> usize {
        self.local.len()
    }

    #[inline]
    fn charge(&self, endpoint: Endpoint, q: &Query) -> Charge {
        match endpoint {
            Endpoint::Local(i) => self.local[i].charge(q),
            Endpoint::Cloud => self.cloud.charge(q),
        }
    }
}
