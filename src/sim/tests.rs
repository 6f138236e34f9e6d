use super::power::{BatchCurve, BelowSmallest, ConstantPower};
use super::*;

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
    // A replica measured at batch 16: 3,200 W, 0.02 s per step, 1,000 prompt tokens/s.
    let curve = BatchCurve::new(vec![(16, 3200.0)], 0.0, BelowSmallest::Hold).unwrap();
    let e = EndpointProfile::new(1000.0, 0.02, &curve, 16.0, 1.5, 22.0, (0.22, 0.88));
    let c = e.charge(&query(500, 100));
    // latency = 500/1000 + 100 * 0.02 = 2.5 s
    assert!((c.latency_s - 2.5).abs() < 1e-12);
    // energy = 1.5 * (3200 * 0.5 + 3200/16 * 100 * 0.02) = 1.5 * (1600 + 400)
    assert!((c.energy_j - 3000.0).abs() < 1e-9);
    // flops = 2 * 22e9 * 600
    assert!((c.flops - 2.64e13).abs() < 1.0);
    // cost = 500 * 0.22e-6 + 100 * 0.88e-6
    assert!((c.cost_usd - 1.98e-4).abs() < 1e-15);
}

#[test]
fn a_query_with_no_tokens_costs_nothing() {
    let device = ConstantPower {
        active_w: 350.0,
        idle_w: 0.0,
    };
    let c = EndpointProfile::new(400.0, 0.03, &device, 1.0, 1.0, 8.0, (0.035, 0.138))
        .charge(&query(0, 0));
    assert_eq!(c, Charge::default());
}

#[test]
fn a_charge_plus_another_adds_every_field() {
    let a = Charge {
        energy_j: 1.0,
        latency_s: 2.0,
        flops: 3.0,
        cost_usd: 4.0,
    };
    let b = Charge {
        energy_j: 10.0,
        latency_s: 20.0,
        flops: 30.0,
        cost_usd: 40.0,
    };
    assert_eq!(
        a.plus(&b),
        Charge {
            energy_j: 11.0,
            latency_s: 22.0,
            flops: 33.0,
            cost_usd: 44.0
        }
    );
}
