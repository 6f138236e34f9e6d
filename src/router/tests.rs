use super::*;

fn input(index: u64, oracle: Option<usize>, fallback: usize) -> RouteInput {
    RouteInput {
        solvable: oracle.is_some(),
        index,
        task: 0,
        input_tokens: 10,
        output_tokens: 10,
        oracle,
        fallback,
    }
}

fn accuracy(p: f64, misroute: Misroute) -> Router {
    Router::new(
        RouterConfig::Accuracy {
            p,
            misroute,
            objective: Objective::Energy,
            target: Target::LocalFirst,
        },
        5,
    )
}

#[test]
fn p_one_routes_like_the_oracle_and_p_zero_like_all_cloud() {
    let oracle = Router::new(
        RouterConfig::Oracle {
            objective: Objective::Energy,
            target: Target::LocalFirst,
        },
        5,
    );
    let cloud = Router::new(RouterConfig::AllCloud, 5);
    for i in 0..10_000 {
        for target in [None, Some(2)] {
            assert_eq!(
                accuracy(1.0, Misroute::Paper).route(&input(i, target, 0)),
                oracle.route(&input(i, target, 0))
            );
            assert_eq!(
                accuracy(0.0, Misroute::Paper).route(&input(i, target, 0)),
                cloud.route(&input(i, target, 0))
            );
        }
    }
}

#[test]
fn raising_p_only_moves_queries_local() {
    let (lo, hi) = (
        accuracy(0.6, Misroute::Paper),
        accuracy(0.8, Misroute::Paper),
    );
    let mut local = (0, 0);
    for i in 0..100_000 {
        let (a, b) = (
            lo.route(&input(i, Some(1), 0)),
            hi.route(&input(i, Some(1), 0)),
        );
        if a == Route::Local(1) {
            assert_eq!(b, Route::Local(1));
            local.0 += 1;
        }
        local.1 += usize::from(b == Route::Local(1));
    }
    assert!((local.0 as f64 / 1e5 - 0.6).abs() < 0.01 && (local.1 as f64 / 1e5 - 0.8).abs() < 0.01);
}

#[test]
fn misroute_kinds_treat_cloud_only_queries_as_documented() {
    let n = 100_000;
    let count = |r: Router, want: Route| {
        (0..n)
            .filter(|&i| r.route(&input(i, None, 3)) == want)
            .count() as f64
            / n as f64
    };
    assert_eq!(count(accuracy(0.7, Misroute::Paper), Route::Cloud), 1.0);
    assert!((count(accuracy(0.7, Misroute::WrongLocal), Route::Local(3)) - 0.3).abs() < 0.01);
    assert!(
        (count(accuracy(0.7, Misroute::Escalate), Route::LocalThenCloud(3)) - 0.3).abs() < 0.01
    );
}

#[test]
fn labels_name_the_setting() {
    assert_eq!(RouterConfig::AllCloud.label(), "all-cloud");
    let r = RouterConfig::Accuracy {
        p: 0.8,
        misroute: Misroute::Escalate,
        objective: Objective::Cost,
        target: Target::Optimal,
    };
    assert_eq!(r.label(), "accuracy(p=0.8,escalate,cost,optimal)");
}

#[test]
fn a_solvable_query_whose_target_is_the_cloud_is_never_misrouted() {
    // With the optimal target, a query some local model answers can still have the cloud as
    // its target (the cloud is cheaper); erring routers misroute only what no local model
    // answers.
    let solvable_cloud_target = |i| RouteInput {
        solvable: true,
        ..input(i, None, 3)
    };
    for m in [Misroute::WrongLocal, Misroute::Escalate] {
        for p in [0.0, 0.5] {
            assert!((0..10_000)
                .all(|i| accuracy(p, m).route(&solvable_cloud_target(i)) == Route::Cloud));
        }
    }
}
