//! The event-driven core against invariants 1, 2, 3, 6 and 7 (`docs/ARCHITECTURE.md`), against queueing theory,
//! and against the measurements its cloud profiles come from.
//!
//! The queueing experiments (invariant 6) and the replica-held-at-a-batch runs are the library's
//! (`ipw_sim::validate::queueing`, `ipw_sim::validate::replica_points`; `ipw-sim validate` runs
//! them at smaller volumes): exponential service times built from tokens, closed forms from the
//! sample's own service moments. Here they run at 400,000 to 1,000,000 arrivals against 3%.

use ipw_sim::profile::Catalogue;
use ipw_sim::scenario::Overrides;
use ipw_sim::scenario::Scenario;
use ipw_sim::sim::calendar::secs;
use ipw_sim::sim::cloud::Dispatch;
use ipw_sim::sim::local::Mapping;
use ipw_sim::sim::{Completion, FleetReport, Route};
use ipw_sim::sweep::Sweep;
use ipw_sim::trace::Query;
use ipw_sim::validate::queueing::{self, kind, local_group, poisson, serve, spec, Versus};
use std::path::Path;

fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got / want - 1.0).abs() <= rel,
        "{what}: got {got}, closed form {want} (tolerance {rel})"
    );
}

fn close(v: Versus, rel: f64, what: &str) {
    assert_close(v.simulated, v.closed_form, rel, what);
}

#[test]
fn invariant_6_mm1_mean_wait_on_a_local_device_matches_pollaczek_khinchine() {
    close(queueing::mm1_local(1_000_000), 0.03, "M/M/1 wait");
}

#[test]
fn invariant_6_mmc_mean_wait_on_least_loaded_devices_matches_erlang_c() {
    let (wait, utilisation) = queueing::mmc_local(1_000_000);
    close(wait, 0.03, "M/M/4 wait");
    close(utilisation, 0.01, "M/M/4 utilisation");
}

#[test]
fn invariant_6_mm1_mean_wait_on_a_cloud_replica_with_batch_cap_1() {
    let (wait, utilisation) = queueing::mm1_cloud(500_000);
    close(wait, 0.03, "cloud M/M/1 wait");
    close(utilisation, 0.01, "cloud utilisation");
}

#[test]
fn invariant_6_mg1_mean_wait_with_prompts_in_prefill_on_a_cloud_replica() {
    // Prompts of 0-4,000 tokens at 100,000 tokens/s: service = prefill + decode; time to first
    // token is the wait plus the prefill.
    let (wait, ttft_gap) = queueing::mg1_cloud_with_prefill(400_000);
    close(wait, 0.03, "cloud M/G/1 wait with prefill");
    assert!(ttft_gap < 2e-9, "TTFT off by {ttft_gap} s");
}

#[test]
fn invariant_6_processor_sharing_sojourn_and_littles_law_on_the_virtual_token_clock() {
    // Step time n x 0.1 ms: n running requests share the replica's token rate equally, which
    // is M/M/1 processor sharing, E[T] = E[S] / (1 - rho), whatever the service distribution.
    // Little: L = lambda W; Poisson arrivals see time averages, so the mean number in the
    // system found by arrivals estimates L.
    let (sojourn, little) = queueing::processor_sharing(400_000);
    close(sojourn, 0.03, "M/M/1-PS sojourn");
    close(little, 0.03, "Little's law");
}

/// A mixed run: finite local devices, two replica kinds, local, cloud and escalated queries,
/// idle power on both tiers and a PUE.
fn mixed_run(dispatch: Dispatch, mapping: Mapping) -> (Vec<Query>, Vec<Completion>, FleetReport) {
    let qs: Vec<Query> = poisson(60_000, 12.0, 15)
        .into_iter()
        .map(|mut q| {
            q.output_tokens = q.output_tokens / 40 + 1;
            q.input_tokens = (q.index % 2000) as u32 + 1;
            q
        })
        .collect();
    let mut s = spec(
        vec![
            local_group(Some(3), 60.0, 8.0),
            local_group(Some(5), 30.0, 4.0),
        ],
        mapping,
        vec![
            kind(2, 16, |n| 0.02 + 0.001 * n, |n| 400.0 + 10.0 * n, 80.0),
            kind(1, 64, |n| 0.015 + 0.0005 * n, |n| 900.0 + 5.0 * n, 115.0),
        ],
    );
    s.local.count_idle = true;
    s.cloud.count_idle = true;
    s.cloud.dispatch = dispatch;
    s.cloud.pue = 1.3;
    let (done, report) = serve(
        s,
        &qs,
        |q| match q.index % 5 {
            0 | 1 => Route::Local(0),
            2 => Route::LocalThenCloud(0),
            _ => Route::Cloud,
        },
        |_| {},
    );
    (qs, done, report)
}

#[test]
fn invariant_1_every_arrival_completes_exactly_once_on_the_event_core() {
    for (dispatch, mapping) in [
        (Dispatch::LeastWork, Mapping::LeastLoaded),
        (Dispatch::RoundRobin, Mapping::Affinity),
    ] {
        let (qs, done, report) = mixed_run(dispatch, mapping);
        assert_eq!(done.len(), qs.len());
        assert!(done.iter().enumerate().all(|(i, c)| c.index == i as u64));
        assert_eq!(report.completed, qs.len() as u64);
        assert_eq!(report.latency.queries, qs.len() as u64);
    }
}

#[test]
fn invariant_2_arrival_start_first_token_completion_are_ordered_for_every_query() {
    for (dispatch, mapping) in [
        (Dispatch::LeastWork, Mapping::LeastLoaded),
        (Dispatch::RoundRobin, Mapping::Affinity),
    ] {
        let (qs, done, _) = mixed_run(dispatch, mapping);
        for (q, c) in qs.iter().zip(&done) {
            assert_eq!(secs(c.arrival), (q.arrival_s * 1e9).round() / 1e9);
            assert!(c.arrival <= c.start, "{c:?}");
            assert!(c.start <= c.first_token, "{c:?}");
            assert!(c.first_token <= c.end, "{c:?}");
            assert!(c.queue_s >= 0.0 && c.service_s > 0.0, "{c:?}");
            // Waiting and service account for the whole stay (escalations wait twice).
            assert!(c.queue_s + c.service_s <= c.e2e_s() + 1e-6, "{c:?}");
        }
        // With enough load some queries wait, so the check is not vacuous.
        assert!(done.iter().filter(|c| c.queue_s > 0.0).count() > 1000);
    }
}

#[test]
fn invariant_3_energy_is_conserved_between_queries_idle_time_and_devices() {
    for (dispatch, mapping) in [
        (Dispatch::LeastWork, Mapping::LeastLoaded),
        (Dispatch::RoundRobin, Mapping::Affinity),
    ] {
        let (_, done, r) = mixed_run(dispatch, mapping);
        let per_query: f64 = done.iter().map(|c| c.energy_j).sum();
        assert!(done
            .iter()
            .all(|c| c.energy_j.is_finite() && c.energy_j > 0.0));
        assert!(r.local.meter.idle_j > 0.0 && r.cloud.meter.idle_j > 0.0);
        let devices = r.local.device_energy_j + r.cloud.device_energy_j;
        let accounted = per_query + r.idle_j();
        assert!(
            (accounted / devices - 1.0).abs() < 1e-9,
            "queries + idle = {accounted} J, devices = {devices} J"
        );
        // The per-hour series add up to the same energy.
        let hourly: f64 = r
            .local
            .meter
            .hourly_j
            .iter()
            .chain(&r.cloud.meter.hourly_j)
            .sum();
        assert!((hourly / devices - 1.0).abs() < 1e-9);
        // So do the per-minute series, over a run inside their first three hours (integrated
        // apart from the hours, idle time by the minute included), and the arrivals per
        // minute count every query.
        assert!(r.span_s < 3.0 * 3600.0 && r.local.meter.minute_j.len() > 1);
        let minutes: f64 = r
            .local
            .meter
            .minute_j
            .iter()
            .chain(&r.cloud.meter.minute_j)
            .sum();
        assert!(
            (minutes / devices - 1.0).abs() < 1e-9,
            "minutes {minutes} J, devices {devices} J"
        );
        assert_eq!(r.arrivals_per_minute.iter().sum::<u64>(), done.len() as u64);
        for v in [r.span_s, r.local.utilisation, r.cloud.utilisation] {
            assert!(v.is_finite() && v >= 0.0);
        }
        // Independently of the meters: rebuild every device's busy intervals and every
        // replica's batch size over time from the completions alone, and integrate.
        let t_end = (r.arrivals_span_s * 1e9).round() as u64;
        let (local_active, local_idle, cloud_total, cloud_idle) = recompute(&done, t_end);
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a / b - 1.0).abs() < 1e-9,
                "{what}: recomputed {a}, reported {b}"
            );
        };
        // The per-query shares add up to the busy energy rebuilt from the completions (local
        // devices' serving energy plus replicas' energy while they hold requests, PUE applied).
        close(
            local_active + (cloud_total - cloud_idle),
            r.attributed_j,
            "energy attributed to queries",
        );
        close(local_active, r.local.meter.active_j, "local active energy");
        close(local_idle, r.local.meter.idle_j, "local idle energy");
        close(cloud_total, r.cloud.device_energy_j, "cloud energy");
        close(cloud_idle, r.cloud.meter.idle_j, "cloud idle energy");
        // Each query's cloud share is its cloud leg's: together, the replicas' busy energy
        // (the datacenter scope's attributed energy), escalated queries included.
        assert!(done.iter().any(|c| c.local.is_some() && c.cloud.is_some()));
        let cloud_legs: f64 = done.iter().map(|c| c.cloud_energy_j).sum();
        close(cloud_legs, cloud_total - cloud_idle, "cloud legs' energy");
        assert!(done
            .iter()
            .filter(|c| c.cloud.is_none())
            .all(|c| c.cloud_energy_j == 0.0));
    }
}

/// Local active and idle energy and cloud total and idle energy of [`mixed_run`]'s fleet,
/// rebuilt from its completions: idle counted up to `t_end` (the last arrival).
fn recompute(done: &[Completion], t_end: u64) -> (f64, f64, f64, f64) {
    // Local: (devices, idle W) per group, as in mixed_run.
    let groups = [(3.0, 8.0), (5.0, 4.0)];
    let (mut active, mut busy_in) = (0.0, [0.0, 0.0]);
    for l in done.iter().filter_map(|c| c.local) {
        active += l.power_w * secs(l.end - l.start);
        busy_in[l.group as usize] += secs(l.end.min(t_end).saturating_sub(l.start.min(t_end)));
    }
    let t = secs(t_end);
    let idle: f64 = groups
        .iter()
        .zip(busy_in)
        .map(|(&(n, w), busy)| w * (n * t - busy))
        .sum();
    // Cloud: replicas 0 and 1 are the first kind, 2 the second, as in mixed_run.
    let pue = 1.3;
    let power = |r: u32, n: i64| -> f64 {
        match (r, n) {
            (0 | 1, 0) => 80.0,
            (0 | 1, n) => 400.0 + 10.0 * n as f64,
            (_, 0) => 115.0,
            (_, n) => 900.0 + 5.0 * n as f64,
        }
    };
    let (mut cloud, mut cloud_idle) = (0.0, 0.0);
    for r in 0..3u32 {
        let mut changes: Vec<(u64, i64)> = done
            .iter()
            .filter_map(|c| c.cloud.filter(|l| l.replica == r).map(|l| (l, c.end)))
            .flat_map(|(l, end)| [(l.admit, 1), (end, -1)])
            .collect();
        changes.sort();
        let (mut n, mut last) = (0i64, 0u64);
        for (time, delta) in changes {
            let dt = secs(time - last);
            if n > 0 {
                cloud += power(r, n) * dt;
            } else {
                let idle_dt = secs(time.min(t_end).saturating_sub(last.min(t_end)));
                cloud_idle += power(r, 0) * idle_dt;
            }
            n += delta;
            last = time;
        }
        cloud_idle += power(r, 0) * secs(t_end.saturating_sub(last));
    }
    (active, idle, (cloud + cloud_idle) * pue, cloud_idle * pue)
}

fn azure_all_cloud(overrides: &[&str]) -> FleetReport {
    let mut set: Vec<&str> = vec![r#"sweep.router=[{kind="all-cloud"}]"#];
    set.extend(overrides);
    let s = Scenario::load_with(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fleet-azure-conv.toml"),
        &Overrides::from_set(&set).unwrap(),
    )
    .unwrap();
    let r = Sweep::new(&s).unwrap().run(&|_| {}).unwrap();
    r.points[0].fleet.clone().unwrap()
}

#[test]
fn invariant_7_more_cloud_replicas_never_raise_mean_queueing_delay() {
    // The real Azure conversation hour, all to the cloud, at its own rate and at 3x, with the
    // least-work dispatcher. Round robin does not have this property: on this trace at 3x,
    // 13 replicas wait 1.9 us on average where 12 wait 0 (README, "Invariants").
    for (rate, most) in [("1.0", 6), ("3.0", 14)] {
        for dispatch in ["least-work"] {
            let mut last = f64::INFINITY;
            for replicas in 1..=most {
                let r = azure_all_cloud(&[
                    &format!("trace.rate_factor={rate}"),
                    &format!("fleet.cloud.replicas={replicas}"),
                    "fleet.cloud.max_batch=16",
                    &format!("fleet.cloud.dispatch=\"{dispatch}\""),
                ]);
                let wq = r.latency.queue.mean;
                assert!(
                    wq <= last,
                    "rate x{rate}, {dispatch}: {replicas} replicas wait {wq} s, fewer waited {last} s"
                );
                last = wq;
            }
            assert!(last < 1.0, "{most} replicas should hardly queue ({last} s)");
        }
    }
}

#[test]
fn an_overloaded_cloud_tier_is_reported_and_a_provisioned_one_is_not() {
    let over = azure_all_cloud(&["fleet.cloud.replicas=1", "fleet.cloud.max_batch=8"]);
    assert!(over.cloud.overload.overloaded, "{:?}", over.cloud.overload);
    assert!(over.cloud.overload.growth_per_s > 0.5);
    let fine = azure_all_cloud(&["fleet.cloud.replicas=4", "fleet.cloud.max_batch=64"]);
    assert!(!fine.cloud.overload.overloaded, "{:?}", fine.cloud.overload);
    assert!(fine.cloud.overload.max_waiting < 100);
}

/// Throughput and energy per token may differ from the source's by the import's rounding of
/// the running batch and the first-token-from-prefill step count: up to 1.019% (throughput)
/// and 1.008% (J/token) on the shipped profiles, see
/// [`import_consistency_a_replica_held_at_a_measured_batch_reproduces_the_source_figures`].
const IMPORT_RAW_TOL: f64 = 0.011;

/// What is left once those two are taken out (the prefill time of the 1-token prompts): up to
/// 0.0117% (throughput) and 0.0123% (J/token) on the shipped profiles.
const IMPORT_PREFILL_TOL: f64 = 1.5e-4;

#[test]
fn import_consistency_a_replica_held_at_a_measured_batch_reproduces_the_source_figures() {
    // A consistency check of the ML.ENERGY import (src/profile/mlenergy.rs), not an
    // independent validation: the importer sets, per measured configuration,
    //   batch b = round(avg_batch_size), s(b) = avg_batch_size / output_throughput,
    //   P(b) = avg_power_watts,
    // and the source's energy per output token is avg_power / throughput (to the 6
    // significant digits the pair files keep: within 7e-6 on every shipped point). So a
    // replica held at batch b makes b / s(b) = throughput x b / avg_batch_size tokens per
    // second of decode steps, at P(b) x s(b) / b = (J/token) x avg_batch_size / b per token.
    // Here one replica with cap b serves 8 b requests of 500 tokens (1-token prompts) queued
    // at t = 0, so it runs at batch b until the queue is empty. The simulated figures differ
    // from the source's by
    //   * the rounding b / avg_batch_size: up to +0.82% on the shipped points (qwen3-14b on
    //     B200, lm-arena-chat, batch 8: avg_batch_size 7.935);
    //   * the first token coming from the prefill pass: 500 tokens take 499 decode steps,
    //     so throughput x 500/499 and energy per token x 499/500 (0.2%);
    //   * the prefill time of the prompts (the replica's roofline rate): under 0.013%.
    // Measured: raw deviations up to 1.019% (throughput) and 1.008% (J/token), both at that
    // B200 point; with the first two factors taken out, up to 0.0117% and 0.0123%. The
    // tolerances sit just above.
    let cat =
        Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles")).unwrap();
    let mut checked = 0;
    for p in ipw_sim::validate::replica_points(&cat) {
        let pair = cat.pairs.iter().find(|x| x.path == p.pair).unwrap();
        let point = pair.points.iter().find(|x| x.batch == p.batch).unwrap();
        let (b, tput, jpt) = (p.batch, p.measured_tokens_per_s, p.measured_j_per_token);
        let (sim_tput, sim_jpt) = (p.simulated_tokens_per_s, p.simulated_j_per_token);
        let what = format!("{} batch {b}", p.pair.display());
        assert_close(sim_tput, tput, IMPORT_RAW_TOL, &format!("{what}: tokens/s"));
        assert_close(sim_jpt, jpt, IMPORT_RAW_TOL, &format!("{what}: J/token"));
        // The source's mean running batch, as the importer used it.
        let avg_batch = point.decode_step_s * tput;
        let rounding = f64::from(b) / avg_batch;
        assert!(
            (rounding - 1.0).abs() <= 0.5 / avg_batch,
            "{what}: b = round(avg)"
        );
        assert_close(
            sim_tput,
            tput * rounding * 500.0 / 499.0,
            IMPORT_PREFILL_TOL,
            &format!("{what}: tokens/s less rounding and the first token"),
        );
        assert_close(
            sim_jpt,
            point.power_w / tput / rounding * 499.0 / 500.0,
            IMPORT_PREFILL_TOL,
            &format!("{what}: J/token less rounding and the first token"),
        );
        assert_close(
            point.power_w / tput,
            jpt,
            1e-5,
            &format!("{what}: source J/token = power / throughput"),
        );
        checked += 1;
    }
    assert!(checked >= 200, "only {checked} measured points");
}

/// The complete result of sweeping `scenario` (with `overrides`) on a pool of `threads`
/// threads: every point's totals, summary and fleet report, the baseline and the source
/// statistics. Debug prints every f64 in its shortest round-tripping form, so equal text is
/// equal bits.
fn sweep_on_threads(scenario: &str, overrides: &[&str], threads: usize) -> String {
    let s = Scenario::load_with(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario),
        &Overrides::from_set(overrides).unwrap(),
    )
    .unwrap();
    let plan = Sweep::new(&s).unwrap();
    let result = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| plan.run(&|_| {}).unwrap());
    assert!(result.points.len() >= 5, "a sweep of several points");
    format!("{result:?}")
}

#[test]
fn invariant_4_event_service_results_are_identical_across_thread_counts() {
    // The event service runs each point on one thread, several points at once: the whole
    // sweep (7 routers, the all-cloud baseline among them) on 1, 2 and 3 threads.
    let runs: Vec<String> = [1, 2, 3]
        .map(|k| sweep_on_threads("scenarios/fleet-azure-conv.toml", &[], k))
        .into();
    assert!(runs[0].contains("fleet: Some("));
    assert_eq!(runs[0], runs[1], "1 vs 2 threads");
    assert_eq!(runs[0], runs[2], "1 vs 3 threads");
}

#[test]
fn invariant_4_fixed_batch_results_are_identical_across_thread_counts() {
    // Fixed-batch accounting splits every point into chunks of 65,536 queries evaluated on any
    // thread and merged in chunk order: 140,000 queries (3 chunks, the last one partial) x 13
    // routers on 1, 2 and 3 threads.
    let set = ["trace.queries=140000"];
    let runs: Vec<String> = [1, 2, 3]
        .map(|k| sweep_on_threads("scenarios/paper-fig4.toml", &set, k))
        .into();
    assert!(runs[0].contains("queries: 140000"));
    assert_eq!(runs[0], runs[1], "1 vs 2 threads");
    assert_eq!(runs[0], runs[2], "1 vs 3 threads");
}
