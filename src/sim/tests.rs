use super::*;
use crate::profile::{BatchPoint, Model, Price};
use std::collections::BTreeMap;

fn model(active: f64, total: f64, price_in: f64, price_out: f64) -> Model {
    Model {
        name: "m".into(),
        family: "f".into(),
        active_params_b: active,
        total_params_b: total,
        params_source: "test".into(),
        released: "2025-01".into(),
        released_source: "test".into(),
        accuracy: BTreeMap::new(),
        accuracy_source: "test".into(),
        price: Some(Price {
            input_usd_per_mtok: price_in,
            output_usd_per_mtok: price_out,
        }),
        price_source: Some("test".into()),
    }
}

fn query(input: u32, output: u32) -> Query {
    Query {
        index: 0,
        arrival_s: 0.0,
        input_tokens: input,
        output_tokens: output,
    }
}

#[test]
fn fixed_batch_charges_follow_the_documented_formulas() {
    let point = BatchPoint {
        batch: 16,
        decode_step_s: 0.02,
        prefill_tokens_per_s: 1000.0,
        power_w: 3200.0,
        measured_output_tokens_per_s: None,
        measured_j_per_output_token: None,
    };
    let e = EndpointProfile::new(
        &model(22.0, 235.0, 0.22, 0.88),
        &point,
        16.0,
        1.5,
        FlopsParams::Active,
    );
    let c = e.charge(&query(500, 100));
    // latency = 500/1000 + 100 * 0.02 = 2.5 s
    assert!((c.latency_s - 2.5).abs() < 1e-12);
    // energy = 1.5 * (3200 * 0.5 + 3200/16 * 100 * 0.02) = 1.5 * (1600 + 400)
    assert!((c.energy_j - 3000.0).abs() < 1e-9);
    // flops = 2 * 22e9 * 600
    assert!((c.flops - 2.64e13).abs() < 1.0);
    // cost = 500 * 0.22e-6 + 100 * 0.88e-6
    assert!((c.cost_usd - 1.98e-4).abs() < 1e-15);
    let total = EndpointProfile::new(
        &model(22.0, 235.0, 0.22, 0.88),
        &point,
        16.0,
        1.0,
        FlopsParams::Total,
    );
    assert!((total.charge(&query(500, 100)).flops - 2.0 * 235e9 * 600.0).abs() < 1.0);
}

#[test]
fn a_query_with_no_tokens_costs_nothing() {
    let point = BatchPoint {
        batch: 1,
        decode_step_s: 0.03,
        prefill_tokens_per_s: 400.0,
        power_w: 350.0,
        measured_output_tokens_per_s: None,
        measured_j_per_output_token: None,
    };
    let c = EndpointProfile::new(
        &model(8.0, 8.0, 0.035, 0.138),
        &point,
        1.0,
        1.0,
        FlopsParams::Active,
    )
    .charge(&query(0, 0));
    assert_eq!(c, Charge::default());
}

#[test]
fn charge_objectives_pick_the_matching_field() {
    let c = Charge {
        energy_j: 1.0,
        latency_s: 2.0,
        flops: 3.0,
        cost_usd: 4.0,
    };
    assert_eq!(c.objective(Objective::Energy), 1.0);
    assert_eq!(c.objective(Objective::Compute), 3.0);
    assert_eq!(c.objective(Objective::Cost), 4.0);
}

/// Two local models whose energy and compute rank opposite ways.
struct Toy;

impl Service for Toy {
    fn local_models(&self) -> usize {
        2
    }
    fn charge(&self, endpoint: Endpoint, _q: &Query) -> Charge {
        match endpoint {
            Endpoint::Local(0) => Charge {
                energy_j: 1.0,
                latency_s: 1.0,
                flops: 9.0,
                cost_usd: 5.0,
            },
            Endpoint::Local(_) => Charge {
                energy_j: 3.0,
                latency_s: 1.0,
                flops: 2.0,
                cost_usd: 1.0,
            },
            Endpoint::Cloud => Charge {
                energy_j: 10.0,
                latency_s: 1.0,
                flops: 10.0,
                cost_usd: 10.0,
            },
        }
    }
}

#[test]
fn the_oracle_picks_the_cheapest_answering_model_by_its_objective() {
    use crate::router::RouterConfig;
    use crate::workload::{Correlation, Workload, WorkloadSpec};
    let cat = crate::profile::Catalogue::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles"),
    )
    .unwrap();
    let spec = WorkloadSpec {
        mix: vec![("wildchat".into(), 1.0)],
        correlation: Correlation::Value(0.0),
        model_noise: 0.0,
        seed: 3,
    };
    let w = Workload::new(&spec, &cat, &["Qwen3-8B", "GPT-OSS-20B", "Qwen3-235B-A22B"]).unwrap();
    let ctx = Context {
        workload: &w,
        service: &Toy,
        pool_in_workload: vec![0, 1],
        cloud_in_workload: 2,
        strongest_local: vec![1],
    };
    let queries: Vec<Query> = (0..20_000)
        .map(|i| Query {
            index: i,
            arrival_s: 0.0,
            input_tokens: 1,
            output_tokens: 1,
        })
        .collect();
    let (mut only0, mut only1, mut both) = (0, 0, 0);
    for q in &queries {
        let s = w.attributes(q.index).solved & 0b11;
        match s {
            0b01 => only0 += 1,
            0b10 => only1 += 1,
            0b11 => both += 1,
            _ => {}
        }
    }
    assert!(both > 1000 && only0 > 1000 && only1 > 1000);
    let run = |objective| {
        let r = crate::router::Router::new(RouterConfig::Oracle { objective }, 3);
        evaluate(&ctx, &r, &queries)
    };
    let energy = run(Objective::Energy);
    assert_eq!(
        energy.local,
        vec![only0 + both, only1],
        "energy prefers model 0"
    );
    let compute = run(Objective::Compute);
    assert_eq!(
        compute.local,
        vec![only0, only1 + both],
        "compute prefers model 1"
    );
    let cost = run(Objective::Cost);
    assert_eq!(cost.local, compute.local, "cost also prefers model 1");
    assert_eq!(
        energy.energy_j,
        (only0 + both) as f64 + 3.0 * only1 as f64 + 10.0 * (20_000 - only0 - only1 - both) as f64
    );
}
