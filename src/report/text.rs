//! Plain-text views of a run for the terminal: the headline table and overload warnings.

use crate::sweep::{PointResult, RunMeta, SweepResult};

/// A point's label: its router's, followed by its axis values when the sweep has axes.
pub fn point_label(meta: &RunMeta, p: &PointResult) -> String {
    if meta.axes.is_empty() {
        return p.router.label();
    }
    let values: Vec<String> = meta
        .axes
        .iter()
        .zip(&p.axes)
        .map(|(k, v)| {
            let short = k.rsplit('.').next().unwrap_or(k);
            format!("{short}={v}")
        })
        .collect();
    format!("{} {}", p.router.label(), values.join(" "))
}

/// The number of queries each point evaluated, or `"varying"` when a sweep axis changes it.
pub fn queries_per_point(result: &SweepResult) -> String {
    let n = result.points.first().map_or(0, |p| p.summary.queries);
    if result.points.iter().all(|p| p.summary.queries == n) {
        n.to_string()
    } else {
        "varying".into()
    }
}

/// A plain-text table of the headline figures, one line per point.
pub fn summary_text(meta: &RunMeta, result: &SweepResult) -> String {
    let labels: Vec<String> = result.points.iter().map(|p| point_label(meta, p)).collect();
    let w = labels.iter().map(String::len).max().unwrap_or(0).max(34);
    let mut out = format!(
        "scenario {}: {} queries per point, seed {}\n{:<w$} {:>7} {:>8} {:>13} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9}\n",
        meta.name,
        queries_per_point(result),
        meta.seed,
        "strategy",
        "local%",
        "accuracy",
        "energy kWh",
        "energy%",
        "compute%",
        "cost%",
        "dc-energy",
        "dc-comp",
        "dc-cost"
    );
    for (p, label) in result.points.iter().zip(&labels) {
        let s = &p.summary;
        out += &format!(
            "{:<w$} {:>7.1} {:>8.3} {:>13.4e} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>9.1} {:>9.1}\n",
            label,
            100.0 * s.local_share,
            s.accuracy,
            s.energy_kwh,
            100.0 * s.energy_savings,
            100.0 * s.compute_savings,
            100.0 * s.cost_savings,
            100.0 * s.dc_energy_savings,
            100.0 * s.dc_compute_savings,
            100.0 * s.dc_cost_savings
        );
    }
    out += "savings (%) are 1 - X / X(all-cloud) on the same queries: energy%, compute%, cost% for the\n\
            whole system (local devices and datacenter), dc-* for the datacenter alone (cloud tier)\n";
    if result.points.iter().any(|p| p.fleet.is_some()) {
        out += &format!(
            "{:<w$} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>9}\n",
            "strategy",
            "e2e p50 s",
            "e2e p99 s",
            "ttft p99",
            "SLO %",
            "local%u",
            "cloud%u",
            "idle kWh"
        );
        for (p, label) in result.points.iter().zip(&labels) {
            let Some(r) = p.fleet.as_ref() else {
                continue;
            };
            let l = &r.latency;
            out += &format!(
                "{:<w$} {:>9.2} {:>9.2} {:>9.3} {:>7.1} {:>7.1} {:>7.1} {:>9.3}\n",
                label,
                l.e2e.p50,
                l.e2e.p99,
                l.ttft.p99,
                100.0 * l.slo_both,
                100.0 * r.local.utilisation,
                100.0 * r.cloud.utilisation,
                r.idle_j() / 3.6e6
            );
        }
        out += "SLO % meets every [slo] target; %u: utilisation (local: busy device-time; cloud: batch slots in use; NaN: unlimited devices)\n";
    }
    out
}

/// One warning line per overloaded tier of each point, and of each all-cloud baseline that is
/// not itself a point (for stderr).
pub fn overload_warnings(meta: &RunMeta, result: &SweepResult) -> Vec<String> {
    let mut out = Vec::new();
    let mut reports: Vec<(String, &crate::sim::FleetReport)> = result
        .points
        .iter()
        .filter_map(|p| p.fleet.as_ref().map(|r| (point_label(meta, p), r)))
        .collect();
    for (c, (_, fleet)) in result.baselines.iter().enumerate() {
        if let (false, Some(r)) = (result.baseline_listed[c], fleet) {
            let at = if meta.axes.is_empty() {
                String::new()
            } else {
                format!(" of configuration {c}")
            };
            reports.push((format!("all-cloud (baseline{at})"), r));
        }
    }
    for (label, r) in reports {
        for (tier, t) in [("local", &r.local), ("cloud", &r.cloud)] {
            let o = &t.overload;
            if o.overloaded {
                out.push(format!(
                    "{label}: the {tier} tier is overloaded: its waiting queue reached {} queries at {:.0} s ({} slots), growing by up to {:.2} queries/s over an hour, and held {} at the last arrival; latencies reflect the backlog. Add capacity or lower the load",
                    o.max_waiting,
                    o.max_waiting_at_s,
                    t.slots.map_or("unlimited".into(), |n| n.to_string()),
                    o.growth_per_s,
                    o.final_waiting,
                ));
            }
        }
    }
    out
}
