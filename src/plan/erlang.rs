//! The M/M/c queue in closed form (Erlang C): the analytic first guess of a capacity search.
//!
//! `c` identical servers, Poisson arrivals at rate `lambda`, exponential service of mean
//! `mean_service_s`; offered load `a = lambda * mean_service_s` (erlangs), utilisation
//! `rho = a / c`, stable when `rho < 1`. With `C(c, a)` the probability that an arrival
//! waits (Erlang's C formula), the waiting time `W` has
//! * `P(W > t) = C(c, a) * exp(-(c - a) t / mean_service_s)`,
//! * `E[W] = C(c, a) * mean_service_s / (c - a)`.
//!
//! A cloud replica with batch cap 1 and exponential service is such a server, which is how
//! the planner's answer is checked against this closed form (invariant 6 checks the event
//! core against it too, in `validate::queueing`).

/// `C(c, a)`: the probability that an arrival waits, for `c` servers and `a` erlangs
/// (1 when the queue is unstable, `a >= c`).
///
/// Computed from the Erlang B recursion `B(0) = 1`, `B(k) = a B(k-1) / (k + a B(k-1))`,
/// which stays finite for any `c`, then `C = c B / (c - a (1 - B))`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if c == 0 || a >= f64::from(c) {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// `P(W > t)`: the share of arrivals that wait longer than `t` seconds.
pub fn wait_exceeds(c: u32, a: f64, mean_service_s: f64, t: f64) -> f64 {
    if a >= f64::from(c) {
        return 1.0;
    }
    erlang_c(c, a) * (-(f64::from(c) - a) * t / mean_service_s).exp()
}

/// `E[W]`: the mean wait, seconds (infinite when unstable).
pub fn mean_wait(c: u32, a: f64, mean_service_s: f64) -> f64 {
    if a >= f64::from(c) {
        return f64::INFINITY;
    }
    erlang_c(c, a) * mean_service_s / (f64::from(c) - a)
}

/// The wait not exceeded by a share `q` of arrivals (e.g. `q = 0.99` for p99), seconds:
/// 0 when at least `q` of arrivals do not wait at all.
pub fn wait_quantile(c: u32, a: f64, mean_service_s: f64, q: f64) -> f64 {
    if a >= f64::from(c) {
        return f64::INFINITY;
    }
    let p_wait = erlang_c(c, a);
    if p_wait <= 1.0 - q {
        return 0.0;
    }
    mean_service_s * (p_wait / (1.0 - q)).ln() / (f64::from(c) - a)
}

/// The fewest servers, at most `max`, whose `q`-quantile wait is at most `target_s` for
/// `a` erlangs: `None` if even `max` servers do not meet it. More servers never wait longer,
/// so the first that meets it is the answer.
pub fn min_servers(a: f64, mean_service_s: f64, q: f64, target_s: f64, max: u32) -> Option<u32> {
    let first = (a.floor() as u32).saturating_add(1).max(1);
    (first..=max).find(|&c| wait_quantile(c, a, mean_service_s, q) <= target_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn erlang_c_matches_hand_computed_cases() {
        // One server: C = rho.
        assert!(close(erlang_c(1, 0.7), 0.7));
        // Two servers at a = 1: B(2) = 1/5, C = 2 (1/5) / (2 - 4/5) = 1/3.
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0));
        // Four servers at a = 2.8 (the validation case): sum_{k<4} a^k/k! = 1 + 2.8 + 3.92 +
        // 3.658666..., top = a^4/4! / (1 - 0.7) = 2.560533... / 0.3 = 8.535111...;
        // C = top / (sum + top).
        let sum = 1.0 + 2.8 + 3.92 + 2.8f64.powi(3) / 6.0;
        let top = 2.8f64.powi(4) / 24.0 / 0.3;
        assert!(close(erlang_c(4, 2.8), top / (sum + top)));
        // Unstable and idle ends.
        assert_eq!(erlang_c(3, 3.0), 1.0);
        assert_eq!(erlang_c(3, 0.0), 0.0);
    }

    #[test]
    fn waits_follow_the_closed_form() {
        // M/M/1 at rho = 0.5, E[S] = 2 s: E[W] = rho E[S] / (1 - rho) = 2 s;
        // P(W > t) = 0.5 exp(-t / 4); p99: 0.5 exp(-t/4) = 0.01, t = 4 ln 50.
        assert!(close(mean_wait(1, 0.5, 2.0), 2.0));
        assert!(close(wait_exceeds(1, 0.5, 2.0, 4.0), 0.5 * (-1.0f64).exp()));
        assert!(close(wait_quantile(1, 0.5, 2.0, 0.99), 4.0 * 50.0f64.ln()));
        // At p40 half the arrivals do not wait: the quantile is 0.
        assert_eq!(wait_quantile(1, 0.5, 2.0, 0.4), 0.0);
        assert_eq!(mean_wait(2, 2.5, 1.0), f64::INFINITY);
    }

    #[test]
    fn the_fewest_servers_meet_the_target_and_one_fewer_does_not() {
        // 10 erlangs of 1 s jobs, p99 wait <= 0.1 s.
        let c = min_servers(10.0, 1.0, 0.99, 0.1, 100).unwrap();
        assert!(wait_quantile(c, 10.0, 1.0, 0.99) <= 0.1);
        assert!(wait_quantile(c - 1, 10.0, 1.0, 0.99) > 0.1);
        // From the textbook sum form, C = top / (sum_{k<c} a^k/k! + top), top = a^c/c!/(1-a/c),
        // computed apart: C(17, 10) = 0.0308761, p99 = ln(C/0.01)/7 = 0.16106 s > 0.1;
        // C(18, 10) = 0.0159283, p99 = ln(C/0.01)/8 = 0.05819 s: 18 servers.
        assert_eq!(c, 18);
        assert!((erlang_c(17, 10.0) - 0.030876109980672153).abs() < 1e-12);
        assert!((wait_quantile(18, 10.0, 1.0, 0.99) - 0.05818886145749242).abs() < 1e-12);
        // A target no fleet up to the cap meets.
        assert_eq!(min_servers(10.0, 1.0, 0.99, 0.1, 12), None);
    }
}
