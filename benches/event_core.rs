//! Throughput of the event-driven core: simulated requests per second on one core, on a
//! 1,048,576-request mixed local/cloud trace (the Azure 2023 conversation hour looped and
//! compressed to 1,048,576 arrivals in one hour, 291 per second; the 80%-accurate router sends
//! about 62% to the local tier). The fleet: 50,000 M4 Max laptops, least-loaded; 40 replicas of
//! Qwen3-235B-A22B on 8 x H100 with batch cap 128, least-work dispatch, idle power counted.
//! Each iteration routes every request, serves it (calendar, continuous batching, energy
//! meters, latency histograms) and closes the run.
//!
//! Run: `cargo bench --bench event_core`. The README records the figures.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ipw_sim::scenario::{Overrides, Scenario};
use ipw_sim::sweep::Sweep;
use std::path::Path;

fn event_core(c: &mut Criterion) {
    const N: u64 = 1 << 20;
    let mut group = c.benchmark_group("event_core");
    group.throughput(Throughput::Elements(N));
    group.sample_size(10);
    for router in [r#"{kind="accuracy",p=0.8}"#, r#"{kind="all-cloud"}"#] {
        let set = Overrides::from_set(&[
            format!("trace.queries={N}"),
            "trace.horizon_hours=1.0".into(),
            "fleet.local.devices=50000".into(),
            "fleet.cloud.replicas=40".into(),
            "fleet.cloud.max_batch=128".into(),
            format!("sweep.router=[{router}]"),
        ])
        .unwrap();
        let s = Scenario::load_with(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fleet-azure-conv.toml"),
            &set,
        )
        .unwrap();
        let p = Sweep::new(&s).unwrap();
        let config = p.groups[0].points[0].router.clone();
        let queries = p.first_queries(N as usize).unwrap();
        let (_, report) = p.simulate_first(&queries).unwrap();
        assert!(
            !report.cloud.overload.overloaded && !report.local.overload.overloaded,
            "the benchmark fleet must keep up with its load"
        );
        eprintln!(
            "{}: cloud utilisation {:.2}, local {:.2}, e2e p99 {:.2} s",
            config.label(),
            report.cloud.utilisation,
            report.local.utilisation,
            report.latency.e2e.p99
        );
        group.bench_with_input(BenchmarkId::from_parameter(config.label()), &p, |b, p| {
            b.iter(|| p.simulate_first(&queries))
        });
    }
    group.finish();
}

criterion_group!(benches, event_core);
criterion_main!(benches);
