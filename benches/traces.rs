//! Trace throughput: reading a BurstGPT-layout CSV (rows per second, one thread, through the
//! streamed source: parse, filter, order, shift), and BurstGPT-shaped synthesis (rows per
//! second per core, generation only).
//!
//! Run: `cargo bench --bench traces`. The README records the figures.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipw_sim::trace::synth::{Synth, SynthRow, SynthSpec};
use ipw_sim::trace::TraceSpec;

const ROWS_PER_DAY: f64 = 2_000_000.0;

fn traces(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("two-million.csv");
    let spec = SynthSpec {
        per_day: Some(ROWS_PER_DAY),
        ..SynthSpec::default()
    };
    let synth = Synth::new(&spec, 1).unwrap();
    let rows = ipw_sim::trace::write::write_synth(&synth, &csv).unwrap();

    let mut group = c.benchmark_group("traces");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows));
    group.bench_function("read_burstgpt_csv", |b| {
        let trace: TraceSpec =
            toml::from_str(&format!("path = {:?}", csv.to_str().unwrap())).unwrap();
        let replay = trace.prepare(1).unwrap();
        b.iter(|| {
            let mut source = replay.open().unwrap();
            let mut batch = Vec::with_capacity(1 << 16);
            let mut n = 0u64;
            loop {
                batch.clear();
                source.next_batch(&mut batch, 1 << 16).unwrap();
                if batch.is_empty() {
                    break;
                }
                n += batch.len() as u64;
            }
            n
        })
    });
    group.bench_function("synthesize_one_core", |b| {
        let mut out: Vec<SynthRow> = Vec::with_capacity(rows as usize + 1000);
        b.iter(|| {
            out.clear();
            for w in 0..synth.windows() {
                synth.window(w, &mut out);
            }
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, traces);
criterion_main!(benches);
