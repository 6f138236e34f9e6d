//! Exact, hand-derived per-query times and energies of continuous batching on one cloud
//! replica (the model of `src/sim/cloud.rs`).
//!
//! The replica tables use step times and prefill durations that are exact binary fractions of
//! a second, so that every quantity the simulator computes in floating point (the virtual
//! token clock, `dv * s(n)`, `n_in / R(n)`) is exact and the rounding of event times up to
//! whole nanoseconds never moves an event: times are compared as integer nanoseconds.
//!
//! Unit of time throughout: `u = 1/128 s = 7,812,500 ns`.
//! * step time `s(1) = 1 u`, `s(n) = 2 u` for `n >= 2` (1/128 s and 1/64 s);
//! * prefill rate `R(n) = 1,024 tokens/s = 8 tokens per u` for every `n`, so a prompt of 8
//!   tokens takes `1 u` and one of 16 tokens `2 u`;
//! * power `P(n) = 50 n + 50` W (`P(1) = 100 W`, `P(2) = 150 W`, `P(10) = 550 W`).
//!
//! Energy sharing (cloud.rs): with `n` admitted, `d` decoding and `p` (0 or 1) prefilling, the
//! replica processes `T = d / s(n) + p R(n)` tokens per unit time; a decoding request pays
//! `P(n) / (s(n) T)` watts and the prefilling one `P(n) R(n) / T`; admitted requests waiting
//! for the prefill pass pay nothing. Energies below are derived in W·u (watts times `u`) and
//! converted to joules by dividing by 128.

use ipw_sim::bind::{power_curve, replica_kind};
use ipw_sim::profile::Catalogue;
use ipw_sim::sim::calendar::{secs, Ticks};
use ipw_sim::sim::cloud::{CloudSpec, Dispatch, ReplicaKind};
use ipw_sim::sim::latency::Slo;
use ipw_sim::sim::local::{LocalGroup, LocalService, LocalSpec, Mapping};
use ipw_sim::sim::power::{BelowSmallest, ConstantPower};
use ipw_sim::sim::{Completion, Fleet, FleetReport, FleetSpec, Route};
use ipw_sim::trace::Query;
use std::path::Path;

/// `u = 1/128 s` in nanoseconds.
const U: Ticks = 7_812_500;

/// The test replica with batch cap `cap` (tables as in the module comment), idle `idle_w`.
fn replica(cap: u32, idle_w: f64) -> ReplicaKind {
    let ns = 1..=cap;
    ReplicaKind {
        accelerator: "test-gpu".into(),
        count: 1,
        cap,
        step_s: std::iter::once(0.0)
            .chain(
                ns.clone()
                    .map(|n| if n == 1 { 1.0 / 128.0 } else { 1.0 / 64.0 }),
            )
            .collect(),
        power_w: std::iter::once(idle_w)
            .chain(ns.clone().map(|n| 50.0 * f64::from(n) + 50.0))
            .collect(),
        prefill_tps: std::iter::once(0.0).chain(ns.map(|_| 1024.0)).collect(),
    }
}

/// A fleet whose queries all go to `cloud` (one unlimited local group, unused).
fn cloud_only(cloud: ReplicaKind, count_idle: bool, pue: f64) -> FleetSpec {
    FleetSpec {
        local: LocalSpec {
            groups: vec![LocalGroup {
                accelerator: "test-device".into(),
                devices: None,
                services: vec![Some(LocalService {
                    prefill_s_per_token: 1e-5,
                    decode_s_per_token: 1e-4,
                    power: ConstantPower {
                        active_w: 1.0,
                        idle_w: 0.0,
                    },
                })],
                idle_power_w: 0.0,
            }],
            mapping: Mapping::LeastLoaded,
            users: None,
            count_idle: false,
            seed: 1,
        },
        cloud: CloudSpec {
            kinds: vec![cloud],
            dispatch: Dispatch::LeastWork,
            count_idle,
            pue,
        },
        slo: Slo::default(),
    }
}

/// Submit `queries` (all to the cloud), drain, finish; completions in index order.
fn serve(spec: FleetSpec, queries: &[Query]) -> (Vec<Completion>, FleetReport) {
    let mut fleet = Fleet::new(spec, 1);
    let mut done = Vec::new();
    for q in queries {
        fleet.submit(q, Route::Cloud);
        fleet.drain(|c| done.push(*c));
    }
    let report = fleet.finish(|c| done.push(*c));
    done.sort_by_key(|c| c.index);
    assert_eq!(done.len(), queries.len());
    (done, report)
}

/// A query arriving at `at` ticks (an exact binary fraction of a second here).
fn query(index: u64, at: Ticks, input: u32, output: u32) -> Query {
    Query {
        index,
        arrival_s: secs(at),
        input_tokens: input,
        output_tokens: output,
    }
}

fn assert_rel(got: f64, want: f64, what: &str) {
    assert!(
        (got / want - 1.0).abs() <= 1e-9,
        "{what}: got {got}, hand-derived {want}"
    );
}

/// Expected `(arrival, admit, first token, end, energy J)` of one query; queue and service
/// times follow: `queue = admit - arrival`, `service = end - admit`.
struct Want {
    arrival: Ticks,
    admit: Ticks,
    first_token: Ticks,
    end: Ticks,
    energy_j: f64,
}

fn check(c: &Completion, w: &Want) {
    let what = format!("query {}", c.index);
    assert_eq!(c.arrival, w.arrival, "{what}: arrival");
    let leg = c.cloud.expect("served in the cloud");
    assert_eq!(leg.arrival, w.arrival, "{what}: cloud arrival");
    assert_eq!(leg.admit, w.admit, "{what}: admit");
    assert_eq!(c.start, w.admit, "{what}: start");
    assert_eq!(c.first_token, w.first_token, "{what}: first token");
    assert_eq!(c.end, w.end, "{what}: end");
    assert_eq!(c.queue_s, secs(w.admit - w.arrival), "{what}: queue_s");
    assert_eq!(c.service_s, secs(w.end - w.admit), "{what}: service_s");
    assert_rel(c.energy_j, w.energy_j, &format!("{what}: energy"));
}

/// Case a: five queries, batch cap 2, so some queue.
///
/// | query | arrival | prompt | output |
/// |-------|---------|--------|--------|
/// | q0    | 0       | 16     | 5      |
/// | q1    | 0       | 8      | 3      |
/// | q2    | 0       | 8      | 2      |
/// | q3    | 4 u     | 8      | 4      |
/// | q4    | 5 u     | 8      | 1      |
///
/// Timeline (n = admitted; `v` = tokens each decoding request gains, `1 / s(n)` per u):
/// * 0: q0 and q1 admitted (n = 2), q2 waits. q0 prefills 16 tokens at 8/u: [0, 2u).
///   q0 pays all of P(2) = 150 W for 2 u = 300 W·u; q1 waits for the pass and pays nothing.
/// * 2u: q0's first token; q0 decodes its other 4 tokens. q1 prefills [2u, 3u).
///   d = 1, p = 1: T = 1/(2u) + 8/u = 8.5/u; q0 pays 150 / (2 x 8.5) = 150/17 W, q1 pays
///   150 x 8 / 8.5 = 2400/17 W. q0 gains 0.5 token.
/// * 3u: q1's first token; it decodes 2 more. d = 2, p = 0: T = 1/u, each pays 75 W and
///   gains 0.5 token per u. (q3 arrives at 4u and q4 at 5u: both wait behind q2.)
/// * 7u: q1 has its 2 tokens (4u at 0.5/u): q1 ends. q0 has 0.5 + 2 = 2.5 of 4.
///   q2 admitted at 7u, prefills [7u, 8u): q0 pays 150/17 W, q2 2400/17 W; q0 at 3 of 4.
/// * 8u: q2's first token; 1 more to decode. q0 and q2 both need 1 token at 0.5/u, 75 W each.
/// * 10u: q0 and q2 end together. The replica empties; q3 and q4 are admitted (n = 2).
///   q3 prefills [10u, 11u) and pays all 150 W x 1u = 150 W·u; q4 waits for the pass.
/// * 11u: q3's first token, 3 to decode; q4 prefills [11u, 12u): q3 pays 150/17 W and gains
///   0.5 token, q4 pays 2400/17 W.
/// * 12u: q4's first token is its only one: q4 ends at 12u. n = 1: s(1) = 1u, P(1) = 100 W;
///   q3 has 2.5 tokens left at 1/u and pays all 100 W.
/// * 14.5u: q3 ends.
///
/// Energies (W·u): q0 = 300 + 150/17 + 75 x 4 + 150/17 + 75 x 2 = 13050/17;
/// q1 = 2400/17 + 75 x 4 = 7500/17; q2 = 2400/17 + 75 x 2 = 4950/17;
/// q3 = 150 + 150/17 + 100 x 2.5 = 6950/17; q4 = 2400/17. Sum 34850/17 = 2050 W·u, which is
/// the replica's own energy: 150 W over [0, 12u) + 100 W over [12u, 14.5u) = 1800 + 250.
fn case_a() -> (Vec<Query>, Vec<Want>) {
    let qs = vec![
        query(0, 0, 16, 5),
        query(1, 0, 8, 3),
        query(2, 0, 8, 2),
        query(3, 4 * U, 8, 4),
        query(4, 5 * U, 8, 1),
    ];
    let j = |w_u_over_17: f64| w_u_over_17 / 17.0 / 128.0;
    let want = vec![
        // q0: 13050/17 W·u = 5.997242647... J
        Want {
            arrival: 0,
            admit: 0,
            first_token: 15_625_000, // 2u
            end: 78_125_000,         // 10u
            energy_j: j(13_050.0),
        },
        // q1: 7500/17 W·u = 3.446691176... J
        Want {
            arrival: 0,
            admit: 0,
            first_token: 23_437_500, // 3u
            end: 54_687_500,         // 7u
            energy_j: j(7_500.0),
        },
        // q2: waits [0, 7u); 4950/17 W·u = 2.274816176... J
        Want {
            arrival: 0,
            admit: 54_687_500,       // 7u
            first_token: 62_500_000, // 8u
            end: 78_125_000,         // 10u
            energy_j: j(4_950.0),
        },
        // q3: waits [4u, 10u); 6950/17 W·u = 3.193933823... J
        Want {
            arrival: 31_250_000,     // 4u
            admit: 78_125_000,       // 10u
            first_token: 85_937_500, // 11u
            end: 113_281_250,        // 14.5u
            energy_j: j(6_950.0),
        },
        // q4: waits [5u, 10u), then for the prefill pass [10u, 11u); 2400/17 W·u = 1.10294... J
        Want {
            arrival: 39_062_500,     // 5u
            admit: 78_125_000,       // 10u
            first_token: 93_750_000, // 12u
            end: 93_750_000,         // 12u
            energy_j: j(2_400.0),
        },
    ];
    (qs, want)
}

#[test]
fn a_five_queries_with_batch_cap_2_queue_prefill_and_decode_as_derived_by_hand() {
    let (qs, want) = case_a();
    let (done, r) = serve(cloud_only(replica(2, 0.0), false, 1.0), &qs);
    for (c, w) in done.iter().zip(&want) {
        check(c, w);
    }
    // Total: 2050 W·u = 2050 / 128 J = 16.015625 J, attributed and metered alike (no idle).
    assert_rel(r.attributed_j, 16.015625, "attributed energy");
    assert_rel(r.cloud.meter.total_j(), 16.015625, "metered energy");
    assert_rel(r.cloud.device_energy_j, 16.015625, "device energy");
    assert_eq!(r.cloud.meter.idle_j, 0.0);
    // Busy from 0 to 14.5u = 0.11328125 s (the span is checked in the span test below).
    assert_eq!(r.cloud.meter.busy_s, 0.11328125);
}

#[test]

fn a_and_c_spans_end_at_the_last_completion() {
    // Case a: the last completion is q3 at 14.5u = 113,281,250 ns = 0.11328125 s. At 11u the
    // replica planned q3's completion at s(2) = 2u per token: 11u + 3 x 2u = 17u; q4's
    // completion at 12u re-planned it to 14.5u, but the stale 17u event stays in the calendar
    // (before the span fix it set the span to 17u = 0.1328125 s).
    let (qs, _) = case_a();
    let (done, r) = serve(cloud_only(replica(2, 0.0), false, 1.0), &qs);
    assert_eq!(done.iter().map(|c| c.end).max(), Some(113_281_250));
    assert_eq!(r.span_s, 0.11328125, "case a span");
    // Case c: the last completion is q0 at 27.5u = 0.21484375 s. At 13u q1's arrival
    // re-planned q0's completion with its 10 remaining tokens at s(2) = 2u: 13u + 20u = 33u,
    // stale once q1's prefill ends (before the span fix the span was 33u = 0.2578125 s).
    let qs = case_c();
    let (done, r) = serve(cloud_only(replica(16, 20.0), true, 1.5), &qs);
    assert_eq!(done.iter().map(|c| c.end).max(), Some(214_843_750));
    assert_eq!(r.span_s, 0.21484375, "case c span");
}

/// Case b: ten queries arrive together at t = 0 (8-token prompts, 11 output tokens each),
/// batch cap 16: all ten are admitted at once (n = 10, P(10) = 550 W, s(10) = 2u).
///
/// Prefills run one at a time in admission order: q_k prefills [k u, (k+1) u), so its first
/// token comes at (k+1) u. During [j u, (j+1) u) there are d = j decoding requests and one
/// prefilling: T = j/(2u) + 8/u = (j + 16)/(2u); each decoding request pays
/// 550 / (2u x T) = 550/(j + 16) W and the prefilling one 550 x 8 / (u T) = 8800/(j + 16) W.
/// A decoding request gains 0.5 token per u, so q_k's 10 decode tokens take 20u and it ends
/// at (k + 21) u while n >= 2. From 10u all ten decode: each pays 550/10 = 55 W until q0 ends
/// at 21u (11u x 55 W = 605 W·u each). Then one ends per u: over [(20+m) u, (21+m) u),
/// m = 1..8, n = 10 - m requests share P(n), each paying P(n)/n = 50 + 50/n W; s stays 2u.
/// q8 ends at 29u; q9, joined at 10u, has then gained 19u x 0.5 = 9.5 tokens and finishes the
/// last 0.5 alone at s(1) = 1u, P(1) = 100 W: it ends at 29.5u and pays 50 W·u more.
///
/// E_k (W·u) = 8800/(k+16) + sum_{j=k+1}^{9} 550/(j+16) + 605 + sum_{m=1}^{min(k,8)} (50 + 50/(10-m))
///             + [k = 9] 50,
/// evaluated exactly (rational arithmetic) and divided by 128 for joules:
///   E_0 = 2610422561/1872108, E_1 = 2593292161/1872108, E_2 = 38052302/27531,
///   E_3 = 5445736/3933, E_4 = 576413/414, E_5 = 4072151/2898, E_6 = 2062813/1449,
///   E_7 = 2099563/1449, E_8 = 374249/252, E_9 = 377609/252.
/// They sum to the replica's energy: 550 x 21 + (500 + 450 + ... + 150) x 1 + 100 x 0.5
/// = 11550 + 2600 + 50 = 14200 W·u = 110.9375 J.
#[test]
fn b_ten_simultaneous_queries_prefill_in_admission_order_then_decode_together() {
    let qs: Vec<Query> = (0..10).map(|i| query(i, 0, 8, 11)).collect();
    let (done, r) = serve(cloud_only(replica(16, 0.0), false, 1.0), &qs);
    let energy_j = [
        10.89356290225377,  // 2610422561/1872108 / 128
        10.822075974149195, // 2593292161/1872108 / 128
        10.798140618757037, // 38052302/27531 / 128
        10.81739448258327,  // 5445736/3933 / 128
        10.877358846618357, // 576413/414 / 128
        10.977805275189786, // 4072151/2898 / 128
        11.121964501380262, // 2062813/1449 / 128
        11.320107617322291, // 2099563/1449 / 128
        11.602461557539682, // 374249/252 / 128
        11.70662822420635,  // 377609/252 / 128
    ];
    for (k, c) in done.iter().enumerate() {
        let k64 = k as u64;
        let end = if k < 9 { (k64 + 21) * U } else { 230_468_750 }; // 29.5u
        check(
            c,
            &Want {
                arrival: 0,
                admit: 0,
                first_token: (k64 + 1) * U,
                end,
                energy_j: energy_j[k],
            },
        );
        // TTFT (k+1)u: 7.8125 ms, 15.625 ms, ..., 78.125 ms.
        assert_eq!(c.ttft_s(), (k + 1) as f64 / 128.0);
    }
    assert_rel(r.attributed_j, 110.9375, "attributed energy");
    assert_rel(r.cloud.meter.total_j(), 110.9375, "metered energy");
    assert_eq!(r.span_s, 0.23046875); // 29.5u
}

/// Case c: a query joins while another decodes alone; idle power counted; PUE 1.5.
///
/// Idle power 20 W. q0 arrives at 2u (8-token prompt, 21 output tokens), q1 at 13u (8-token
/// prompt, 5 output tokens).
/// * [0, 2u): idle, 20 W x 2u = 40 W·u (idle counts up to the last arrival, 13u; the replica
///   is busy from 2u on).
/// * q0 prefills alone [2u, 3u) at P(1) = 100 W: 100 W·u. First token at 3u; its 20 decode
///   tokens at s(1) = 1u would end at 23u.
/// * [3u, 13u): q0 decodes alone, 10 tokens, 100 W x 10u = 1000 W·u. Halfway (10 of 20).
/// * 13u: q1 arrives and is admitted: n = 2, the step time changes from s(1) = 1u to
///   s(2) = 2u and the power from 100 W to 150 W. q1 prefills [13u, 14u): d = 1, p = 1,
///   T = 1/(2u) + 8/u = 8.5/u; q0 pays 150/17 W and gains 0.5 token (10.5 done, 9.5 left);
///   q1 pays 2400/17 W.
/// * 14u: q1's first token, 4 to decode. Both decode at 0.5 token/u, 75 W each. q1 needs
///   4 / 0.5 = 8u: it ends at 22u; q0 has then 9.5 - 4 = 5.5 left.
/// * 22u: n = 1, the step time goes back to 1u and the power to 100 W: q0 ends 5.5u later,
///   at 27.5u (4.5u later than alone).
///
/// Energies before PUE (W·u): q0 = 100 + 1000 + 150/17 + 75 x 8 + 100 x 5.5 = 38400/17;
/// q1 = 2400/17 + 75 x 8 = 12600/17. Busy energy 3000 W·u (100 x 11 + 150 x 9 + 100 x 5.5),
/// idle 40 W·u. With PUE 1.5 and /128 for joules:
///   q0 = 1.5 x 38400/17/128 = 26.470588235294116 J, q1 = 1.5 x 12600/17/128 = 8.685661764705882 J,
///   idle = 1.5 x 40/128 = 0.46875 J, total = 1.5 x 3040/128 = 35.625 J.
fn case_c() -> Vec<Query> {
    vec![query(0, 2 * U, 8, 21), query(1, 13 * U, 8, 5)]
}

#[test]
fn c_a_query_joining_mid_decode_slows_the_first_and_both_pay_their_token_share() {
    let qs = case_c();
    let (done, r) = serve(cloud_only(replica(16, 20.0), true, 1.5), &qs);
    check(
        &done[0],
        &Want {
            arrival: 15_625_000,     // 2u
            admit: 15_625_000,       // 2u
            first_token: 23_437_500, // 3u
            end: 214_843_750,        // 27.5u
            energy_j: 26.470588235294116,
        },
    );
    check(
        &done[1],
        &Want {
            arrival: 101_562_500,     // 13u
            admit: 101_562_500,       // 13u
            first_token: 109_375_000, // 14u
            end: 171_875_000,         // 22u
            energy_j: 8.685661764705882,
        },
    );
    assert_rel(r.attributed_j, 35.15625, "attributed energy"); // 1.5 x 3000/128
    assert_rel(r.cloud.meter.idle_j, 0.46875, "idle energy");
    assert_rel(r.cloud.meter.total_j(), 35.625, "metered energy");
    assert_rel(r.cloud.device_energy_j, 35.625, "device energy");
    // The span (27.5u = 0.21484375 s) is checked in the span test below.
}

/// Case d (from a review): nine queries at t = 0 with 1,001 output tokens and one at t = 5 s
/// with 101, on one replica of the shipped H100 profile of Qwen3-235B-A22B with cap 16 and
/// empty prompts. The span must end at the last completion.
///
/// Before the fix in fleet.rs the report said 21.779960186 s while the last completion is at
/// 21.33606 s. With the profile's s(9) = 0.0212693 s and s(10) = 0.0219369 s: the nine
/// long queries have decoded 5 / s(9) = 235.08 tokens when the short one arrives at 5 s; the
/// replica re-plans their completion at s(10), 5 + (1000 - 235.08) x s(10) = 21.77996 s; the
/// short one ends after 100 steps at 5 + 100 x s(10) = 7.19369 s, and the nine finish at s(9):
/// 7.19369 + (1000 - 235.08 - 100) x s(9) = 21.33606 s. The cancelled 21.78 s plan is still
/// in the calendar, and `finish` used to take the span from the calendar's clock.
#[test]

fn d_the_span_ends_at_the_last_completion_not_at_a_cancelled_decode_event() {
    let (done, r, kind) = review_run();
    let (s9, s10) = (kind.step_s[9], kind.step_s[10]);
    // Derived above: the nine finish at 5 + 100 s(10) + (1000 - 5 / s(9) - 100) s(9)
    // = 100 s(10) + 900 s(9) (event times rounded up to the nanosecond: within 3 ns).
    let want = 100.0 * s10 + 900.0 * s9;
    assert!(
        (want - 21.33606).abs() < 1e-5,
        "profile steps moved: {want}"
    );
    assert!(
        (r.span_s - want).abs() < 3e-9,
        "span {} vs {want}",
        r.span_s
    );
    let last = done.iter().map(|c| c.end).max().unwrap();
    assert_eq!(r.span_s, secs(last), "span vs last completion");
    // The cancelled plan would have ended at 5 + (1000 - 5 / s(9)) s(10) = 21.78 s.
    assert!(5.0 + (1000.0 - 5.0 / s9) * s10 - r.span_s > 0.44);
}

/// The reviewer's run: returns the completions and the report.
fn review_run() -> (Vec<Completion>, FleetReport, ReplicaKind) {
    let cat =
        Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles")).unwrap();
    let pair = cat.pair("Qwen3-235B-A22B", "nvidia-h100").unwrap();
    let kind = replica_kind(
        pair,
        1,
        16,
        0.0,
        &power_curve(pair, 0.0, BelowSmallest::Hold),
    )
    .unwrap();
    let mut qs: Vec<Query> = (0..9)
        .map(|i| Query {
            index: i,
            arrival_s: 0.0,
            input_tokens: 0,
            output_tokens: 1001,
        })
        .collect();
    qs.push(Query {
        index: 9,
        arrival_s: 5.0,
        input_tokens: 0,
        output_tokens: 101,
    });
    let (done, r) = serve(cloud_only(kind.clone(), false, 1.0), &qs);
    (done, r, kind)
}
