//! The search for the fewest replicas that meet an SLO, over runs of the event core.
//!
//! Each probe is a whole simulation, so the search spends as few as it can. It relies on
//! invariant 7 (more cloud replicas never make queueing worse): whether `c` replicas meet the
//! SLO is monotone in `c`, false below some count and true from it on. Starting from a first
//! guess (the Erlang C answer, [`super::erlang::min_servers`]), it gallops away from the guess
//! (steps 1, 2, 4, ... down while the SLO holds, up while it fails, never past the cap) until
//! the answer is bracketed, then bisects the bracket. A good guess costs two runs: the guess
//! and the one below it.

/// What a search found: the fewest replicas that meet the SLO (`None`: not even `cap`), and
/// every probe in the order it ran, with whether it met the SLO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub replicas: Option<u32>,
    pub probes: Vec<(u32, bool)>,
}

/// The fewest replicas in `1..=cap` for which `meets` holds, starting at `guess` (clamped to
/// that range). `meets` runs a simulation; its error ends the search.
pub fn fewest<E>(
    guess: u32,
    cap: u32,
    mut meets: impl FnMut(u32) -> Result<bool, E>,
) -> Result<Found, E> {
    let mut probes = Vec::new();
    if cap == 0 {
        return Ok(Found {
            replicas: None,
            probes,
        });
    }
    let mut probe = |c: u32, probes: &mut Vec<(u32, bool)>| -> Result<bool, E> {
        let ok = meets(c)?;
        probes.push((c, ok));
        Ok(ok)
    };
    let guess = guess.clamp(1, cap);
    // The bracket: `fail` does not meet the SLO (0 never does), `ok` does.
    let (mut fail, mut ok) = (0u32, guess);
    if probe(guess, &mut probes)? {
        let mut step = 1;
        loop {
            let c = ok.saturating_sub(step);
            if c <= fail {
                break;
            }
            if probe(c, &mut probes)? {
                ok = c;
                step *= 2;
            } else {
                fail = c;
                break;
            }
        }
    } else {
        fail = guess;
        let mut step = 1;
        loop {
            if fail == cap {
                return Ok(Found {
                    replicas: None,
                    probes,
                });
            }
            let c = fail.saturating_add(step).min(cap);
            if probe(c, &mut probes)? {
                ok = c;
                break;
            }
            fail = c;
            step *= 2;
        }
    }
    while ok - fail > 1 {
        let mid = fail + (ok - fail) / 2;
        if probe(mid, &mut probes)? {
            ok = mid;
        } else {
            fail = mid;
        }
    }
    Ok(Found {
        replicas: Some(ok),
        probes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SLO holds from `n` replicas on.
    fn from(n: u32) -> impl FnMut(u32) -> Result<bool, ()> {
        move |c| Ok(c >= n)
    }

    #[test]
    fn a_right_guess_costs_the_guess_and_the_one_below() {
        let f = fewest(7, 100, from(7)).unwrap();
        assert_eq!(f.replicas, Some(7));
        assert_eq!(f.probes, [(7, true), (6, false)]);
    }

    #[test]
    fn a_low_guess_gallops_up_then_bisects() {
        // 3 fails; 4, 6 fail; 10 meets; bisect (6, 10): 8 meets, 7 meets.
        let f = fewest(3, 100, from(7)).unwrap();
        assert_eq!(f.replicas, Some(7));
        assert_eq!(
            f.probes,
            [
                (3, false),
                (4, false),
                (6, false),
                (10, true),
                (8, true),
                (7, true)
            ]
        );
    }

    #[test]
    fn a_high_guess_gallops_down_then_bisects() {
        // 20, 19, 17, 13 meet; 5 fails; bisect (5, 13): 9, 7 meet, 6 fails.
        let f = fewest(20, 100, from(7)).unwrap();
        assert_eq!(f.replicas, Some(7));
        assert_eq!(
            f.probes,
            [
                (20, true),
                (19, true),
                (17, true),
                (13, true),
                (5, false),
                (9, true),
                (7, true),
                (6, false)
            ]
        );
    }

    #[test]
    fn one_replica_is_found_without_probing_zero() {
        let f = fewest(2, 10, from(1)).unwrap();
        assert_eq!(f.replicas, Some(1));
        assert_eq!(f.probes, [(2, true), (1, true)]);
    }

    #[test]
    fn a_target_beyond_the_cap_is_infeasible_and_the_cap_was_tried() {
        let f = fewest(30, 40, from(50)).unwrap();
        assert_eq!(f.replicas, None);
        assert_eq!(
            f.probes,
            [
                (30, false),
                (31, false),
                (33, false),
                (37, false),
                (40, false)
            ]
        );
        // A guess above the cap starts at the cap; a cap of 0 probes nothing.
        assert_eq!(fewest(90, 40, from(12)).unwrap().replicas, Some(12));
        assert_eq!(fewest(5, 0, from(1)).unwrap().probes, []);
    }

    #[test]
    fn the_answer_is_the_first_count_that_meets_the_slo_from_any_guess() {
        for n in 1..=40 {
            for guess in [1, 2, 5, 17, 39, 40, 64] {
                let f = fewest(guess, 40, from(n)).unwrap();
                assert_eq!(f.replicas, Some(n), "n {n}, guess {guess}");
                // Every probe's outcome is the SLO's at that count, and none repeats.
                let mut seen: Vec<u32> = f.probes.iter().map(|p| p.0).collect();
                assert!(f.probes.iter().all(|&(c, ok)| ok == (c >= n)));
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), f.probes.len());
            }
        }
    }

    #[test]
    fn an_error_from_a_run_ends_the_search() {
        let r = fewest(5, 10, |c| if c == 5 { Err("run failed") } else { Ok(true) });
        assert_eq!(r, Err("run failed"));
    }
}
