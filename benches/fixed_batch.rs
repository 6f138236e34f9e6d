//! Throughput of the fixed-batch path: queries evaluated per second on one core, for the
//! oracle and the 80%-accurate router of the paper scenario (workload draws, oracle target,
//! routing, charging, accumulation over queries already read), on the calling thread.
//!
//! Run: `cargo bench --bench fixed_batch`. The README records the figures.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ipw_sim::scenario::{Overrides, Scenario};
use ipw_sim::sweep::Sweep;
use std::path::Path;

fn sweep(set: &[&str]) -> Sweep {
    let s = Scenario::load_with(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/paper-fig4.toml"),
        &Overrides::from_set(set).unwrap(),
    )
    .unwrap();
    Sweep::new(&s).unwrap()
}

fn fixed_batch(c: &mut Criterion) {
    const N: u64 = 1 << 20;
    let mut group = c.benchmark_group("fixed_batch");
    group.throughput(Throughput::Elements(N));
    group.sample_size(20);
    for router in [
        r#"{kind="oracle"}"#,
        r#"{kind="accuracy",p=0.8}"#,
        r#"{kind="all-cloud"}"#,
    ] {
        let p = sweep(&[
            &format!("trace.queries={N}"),
            &format!("sweep.router=[{router}]"),
        ]);
        let config = p.groups[0].points[0].router.clone();
        let queries = p.first_queries(N as usize).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(config.label()), &p, |b, p| {
            b.iter(|| p.evaluate_first(&queries))
        });
    }
    group.finish();
}

criterion_group!(benches, fixed_batch);
criterion_main!(benches);
