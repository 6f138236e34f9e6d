//! Property tests ("fuzzing") of every input parser: trace files (CSV presets, auto-detection,
//! generic CSV/JSON Lines/Parquet with a column map, streaming and rescaling transforms),
//! scenario files and their overrides, the hardware-profile catalogue, date-time and numeric
//! time fields, and the two profile importers (ML.ENERGY JSON, IPW-harness run folders).
//!
//! Every property says the same thing: whatever the input, the parser returns `Ok` or a typed
//! `Err`, terminates, and does not allocate without bound. A panic anywhere below the parser
//! fails the case (and is shrunk to a minimal input); a case that runs longer than the time
//! limit fails as a hang; a case whose memory keeps growing past its budget fails as a memory
//! blow-up. Where the parser returns data, a few documented guarantees are checked too
//! (arrivals finite, non-negative and in order; errors for valid numbers and date-times are
//! not expected; an importer's output loads as a catalogue pair).
//!
//! The last section holds the minimal inputs the properties found, as plain regression tests;
//! each failed before its bug in `src/` was fixed.
//!
//! Running:
//! * `cargo test --test fuzz_parsers` runs every property at its default case count (chosen
//!   so the file runs in well under a minute in a debug build);
//! * `PROPTEST_CASES=N` runs `N` cases of each property instead (e.g. an offline run:
//!   `PROPTEST_CASES=20000 cargo test --release --test fuzz_parsers -- trace_readers`);
//! * `PROPTEST_RNG_SEED=S` fixes the random seed (a failure prints its minimal input);
//! * `FUZZ_CASE_TIMEOUT_S=T` sets the per-case time limit (default 30 s: with 10 s, a mutated
//!   shipped scenario, bound and replayed, failed as a hang in a release run while a debug build
//!   used both cores, and passed when the same seed was rerun alone). A hung case's thread
//!   cannot be killed and keeps running until the binary exits; after 3 hangs a property skips
//!   its remaining cases;
//! * `FUZZ_CASE_MEMORY_MB` (default 64) and `FUZZ_MEMORY_LIMIT_MB` (default 4096) bound the
//!   memory of one case and of the whole binary (see `Guard`).
//!
//! No files are left behind: inputs are written to temporary directories and proptest's
//! failure persistence is off.

use ipw_sim::bind::{bind, workload, Inputs};
use ipw_sim::profile::check::check;
use ipw_sim::profile::harness::{self, EnergyParts, HarnessOptions};
use ipw_sim::profile::mlenergy;
use ipw_sim::profile::show::{list_text, show_text};
use ipw_sim::profile::Catalogue;
use ipw_sim::scenario::{Overrides, Scenario, Setting};
use ipw_sim::trace::{
    parse_datetime, parse_datetime_stamp, ColumnMap, FileSource, Query, QuerySource, ReadOptions,
    Stamp, StreamSpec, Ties, TimeUnit, Trace, TraceFormat, TraceSpec, MAX_RATE_FACTOR,
};
use proptest::prelude::*;
use proptest::sample::Index;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Harness: case counts, time limit, fixtures.
// ---------------------------------------------------------------------------------------------

/// The proptest configuration of a property: `default_cases` cases unless `PROPTEST_CASES` is
/// set (proptest's own default config reads it), no failure-persistence files, and shrinking
/// bounded in time (10 s unless `PROPTEST_MAX_SHRINK_TIME` is set; a shrink step of a hang
/// costs the whole time limit).
fn config(default_cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        base.cases
    } else {
        default_cases
    };
    let max_shrink_time = if std::env::var_os("PROPTEST_MAX_SHRINK_TIME").is_some() {
        base.max_shrink_time
    } else {
        10_000
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_time,
        ..base
    }
}

fn case_limit() -> Duration {
    let secs = std::env::var("FUZZ_CASE_TIMEOUT_S")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(30.0);
    Duration::from_secs_f64(secs)
}

/// Run a property: `default_cases` inputs (or `PROPTEST_CASES`) from `strategy()`, each
/// checked by `body` under [`bounded`]; a failure is shrunk and reported with its minimal
/// input. The runner has its own thread with a large stack: generating and shrinking these
/// nested strategies in a debug build needs more than a test thread's 2 MiB.
fn property<S>(what: &'static str, default_cases: u32, strategy: fn() -> S, body: fn(S::Value))
where
    S: Strategy + 'static,
    S::Value: std::fmt::Debug + Send + 'static,
{
    let run = move || {
        let mut runner = proptest::test_runner::TestRunner::new(config(default_cases));
        runner
            .run(&strategy(), |value| {
                // After a few memory blow-ups or hangs, later cases (shrinking steps) are
                // skipped, so that parked and runaway threads do not pile up: the failure
                // is then reported less shrunk.
                if gave_up(what) {
                    return Ok(());
                }
                let input = format!("{value:?}");
                bounded(what, input, move || body(value));
                Ok(())
            })
            .map_err(|e| e.to_string())
    };
    let outcome = std::thread::Builder::new()
        .name(format!("property-{what}"))
        .stack_size(64 << 20)
        .spawn(run)
        .expect("spawn the property's runner")
        .join();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => panic!("property {what}: {failure}"),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Memory blow-ups and hangs so far, per property.
static RUNAWAYS: std::sync::Mutex<Vec<(String, usize, usize)>> = std::sync::Mutex::new(Vec::new());

/// Memory blow-ups (parked threads) and hangs (threads left running) a property may cause
/// before its remaining cases are skipped.
const MAX_MEMORY_FAILURES: usize = 8;
const MAX_HANGS: usize = 3;

fn runaway(what: &str, memory: bool) {
    let mut r = RUNAWAYS.lock().unwrap_or_else(|e| e.into_inner());
    let k = match r.iter().position(|(w, ..)| w == what) {
        Some(k) => k,
        None => {
            r.push((what.to_string(), 0, 0));
            r.len() - 1
        }
    };
    if memory {
        r[k].1 += 1;
    } else {
        r[k].2 += 1;
    }
}

fn gave_up(what: &str) -> bool {
    let r = RUNAWAYS.lock().unwrap_or_else(|e| e.into_inner());
    r.iter()
        .any(|(w, m, h)| w == what && (*m >= MAX_MEMORY_FAILURES || *h >= MAX_HANGS))
}

/// Run `f` on its own thread (8 MiB of stack, as a command-line main thread has) and return its
/// result. A panic inside `f` is re-raised here, so proptest sees it (and shrinks the input);
/// a case that does not finish within the time limit fails as a hang, and one that allocates
/// more than its memory budget fails as a memory blow-up (see [`Guard`]). `input` describes
/// the case, for the guard's last-resort message.
fn bounded<T: Send + 'static>(
    what: &str,
    input: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    use std::sync::atomic::Ordering::SeqCst;
    single_threaded_libraries();
    Guard::configure();
    let case = NEXT_CASE.fetch_add(1, SeqCst);
    {
        let mut cases = CURRENT_CASES.lock().unwrap_or_else(|e| e.into_inner());
        cases.retain(|(w, _)| w != what);
        cases.push((what.to_string(), format!("{what}: {input}\n").into_bytes()));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(format!("fuzz-{what}"))
        .stack_size(8 << 20)
        .spawn(move || {
            CASE.with(|c| c.set(case));
            let out = f();
            CASE.with(|c| c.set(0));
            let _ = tx.send(out);
        })
        .expect("spawn a case thread");
    let limit = case_limit();
    let deadline = std::time::Instant::now() + limit;
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(out) => {
                let _ = handle.join();
                CURRENT_CASES
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|(w, _)| w != what);
                return out;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if OVER_BUDGET.load(SeqCst) == case {
                    runaway(what, true);
                    panic!(
                        "memory: {what} tried to hold more than {} MiB (FUZZ_CASE_MEMORY_MB); its thread is parked",
                        CASE_BUDGET.load(SeqCst) >> 20
                    );
                }
                if std::time::Instant::now() >= deadline {
                    runaway(what, false);
                    panic!("hang: {what} did not finish within {limit:?} (FUZZ_CASE_TIMEOUT_S)");
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
                Err(payload) => std::panic::resume_unwind(payload),
                Ok(()) => unreachable!("the case thread ended without a result or a panic"),
            },
        }
    }
}

/// The case each property is running (the last one started), for the guard's last-resort
/// message.
static CURRENT_CASES: std::sync::Mutex<Vec<(String, Vec<u8>)>> = std::sync::Mutex::new(Vec::new());

static NEXT_CASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    /// The case a thread runs (0: not a case thread) and the bytes it has allocated and not
    /// freed.
    static CASE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static CASE_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The last case that went over its budget.
static OVER_BUDGET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static LAST_REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static PARKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CASE_BUDGET: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(usize::MAX);
static LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(usize::MAX);

/// Parked threads at most; after that an over-budget allocation fails (and aborts the binary).
const MAX_PARKED: usize = 40;

/// A memory guard around the system allocator, so that a parser allocating without bound fails
/// its case instead of exhausting the machine:
/// * a case thread whose allocations would grow past `FUZZ_CASE_MEMORY_MB` (default 64) is
///   parked for good (an allocation cannot fail with a panic on stable Rust, and returning
///   null aborts the process) and [`bounded`] fails the case; the parked thread keeps what it
///   holds until the binary exits, so at most [`MAX_PARKED`] threads are parked;
/// * a single request larger than the whole budget (a length read from the input, reserved at
///   once) is judged by the global limit alone, as a real allocator would judge it;
/// * past that, or if all threads together would hold more than `FUZZ_MEMORY_LIMIT_MB`
///   (default 4096), the allocation fails (returns null): a fallible reservation reports an
///   error, an infallible allocation aborts the test binary, as it would with the system
///   allocator out of memory; the cases running are printed first.
struct Guard;

impl Guard {
    /// Read the limits from the environment (outside the allocator).
    fn configure() {
        use std::sync::atomic::Ordering::SeqCst;
        let mb = |var: &str, default: usize| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(default)
                .saturating_mul(1 << 20)
        };
        CASE_BUDGET.store(mb("FUZZ_CASE_MEMORY_MB", 64), SeqCst);
        LIMIT.store(mb("FUZZ_MEMORY_LIMIT_MB", 4096), SeqCst);
    }

    fn refuse(size: usize, why: &str) {
        use std::io::Write;
        use std::sync::atomic::Ordering::SeqCst;
        let mut err = std::io::stderr().lock();
        let case = CASE.try_with(std::cell::Cell::get).unwrap_or(0);
        if case != 0 && LAST_REFUSED.swap(case, SeqCst) == case {
            let _ = writeln!(err, "fuzz memory guard: refused {size} bytes ({why})");
            return;
        }
        let _ = write!(
            err,
            "\nfuzz memory guard: refused an allocation of {size} bytes ({why}); if the binary aborts now, the case (one per property running) was:\n"
        );
        if let Ok(cases) = CURRENT_CASES.try_lock() {
            for (_, case) in cases.iter() {
                let _ = err.write_all(case);
            }
        }
    }

    /// Account for `size` more bytes; false to refuse them. Parks a case thread over budget.
    fn admit(size: usize) -> bool {
        use std::sync::atomic::Ordering::{Relaxed, SeqCst};
        let case = CASE.try_with(std::cell::Cell::get).unwrap_or(0);
        if case != 0 {
            let budget = CASE_BUDGET.load(Relaxed);
            let held = CASE_BYTES.try_with(std::cell::Cell::get).unwrap_or(0);
            // A single request larger than the whole budget is typically a length read from
            // the input and reserved at once: the global limit alone judges it, as a real
            // allocator would (it then fails only when absurdly large).
            if size <= budget && held.saturating_add(size) > budget {
                if PARKED.fetch_add(1, SeqCst) < MAX_PARKED {
                    OVER_BUDGET.store(case, SeqCst);
                    loop {
                        std::thread::sleep(Duration::from_secs(3600));
                    }
                }
                Self::refuse(
                    size,
                    "over the case budget, FUZZ_CASE_MEMORY_MB, with no thread left to park",
                );
                return false;
            }
            if size <= budget {
                let _ = CASE_BYTES.try_with(|c| c.set(held + size));
            }
        }
        let live = LIVE.fetch_add(size, Relaxed);
        if live.saturating_add(size) > LIMIT.load(Relaxed) {
            LIVE.fetch_sub(size, Relaxed);
            if case != 0 && size <= CASE_BUDGET.load(Relaxed) {
                let _ = CASE_BYTES.try_with(|c| c.set(c.get().saturating_sub(size)));
            }
            Self::refuse(size, "over FUZZ_MEMORY_LIMIT_MB for all threads");
            return false;
        }
        true
    }

    fn release(size: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        LIVE.fetch_sub(size, Relaxed);
        // Single requests over the budget were not counted against the case.
        if size <= CASE_BUDGET.load(Relaxed) {
            let _ = CASE_BYTES.try_with(|c| c.set(c.get().saturating_sub(size)));
        }
    }
}

unsafe impl std::alloc::GlobalAlloc for Guard {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if !Self::admit(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = std::alloc::System.alloc(layout);
        if p.is_null() {
            Self::release(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if !Self::admit(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = std::alloc::System.alloc_zeroed(layout);
        if p.is_null() {
            Self::release(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        Self::release(layout.size());
        std::alloc::System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        let old = layout.size();
        if new > old && !Self::admit(new - old) {
            return std::ptr::null_mut();
        }
        let p = std::alloc::System.realloc(ptr, layout, new);
        match (p.is_null(), new > old) {
            // Failed: the old block stays; undo the growth.
            (true, true) => Self::release(new - old),
            (false, false) => Self::release(old - new),
            _ => {}
        }
        p
    }
}

#[global_allocator]
static GUARD: Guard = Guard;

/// Polars and rayon pools with one thread: the machines this runs on are small and shared.
fn single_threaded_libraries() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for var in ["POLARS_MAX_THREADS", "RAYON_NUM_THREADS"] {
            if std::env::var_os(var).is_none() {
                std::env::set_var(var, "1");
            }
        }
    });
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The first `n` lines of a shipped file.
fn head(rel: &str, n: usize) -> String {
    read(rel).lines().take(n).fold(String::new(), |mut s, l| {
        let _ = writeln!(s, "{l}");
        s
    })
}

/// The shipped catalogue, loaded once.
fn shipped_catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| Catalogue::load(&root().join("hardware-profiles")).expect("shipped"))
}

/// The shipped scenario files: (path, text).
fn shipped_scenarios() -> &'static [(PathBuf, String)] {
    static S: OnceLock<Vec<(PathBuf, String)>> = OnceLock::new();
    S.get_or_init(|| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
            .expect("scenarios/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("scenario text");
                (p, text)
            })
            .collect()
    })
}

/// The shipped catalogue files as texts.
struct CatalogueTexts {
    models: String,
    accelerators: String,
    tasks: String,
    pairs: Vec<(String, String)>,
}

fn shipped_catalogue_texts() -> &'static CatalogueTexts {
    static T: OnceLock<CatalogueTexts> = OnceLock::new();
    T.get_or_init(|| {
        let dir = root().join("hardware-profiles");
        let mut pairs: Vec<(String, String)> = std::fs::read_dir(dir.join("pairs"))
            .expect("pairs/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).expect("pair text"))
            })
            .collect();
        pairs.sort();
        CatalogueTexts {
            models: read("hardware-profiles/models.toml"),
            accelerators: read("hardware-profiles/accelerators.toml"),
            tasks: read("hardware-profiles/tasks.toml"),
            pairs,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Checks of what parsers return.
// ---------------------------------------------------------------------------------------------

/// Arrivals of a trace read into memory: finite, non-negative, in order.
fn check_trace(t: &Trace) {
    let mut last = 0.0;
    for (i, r) in t.rows.iter().enumerate() {
        assert!(
            r.arrival_s.is_finite() && r.arrival_s >= last,
            "row {i}: arrival {} after {last} (not finite, negative or out of order)",
            r.arrival_s
        );
        last = r.arrival_s;
    }
}

/// Queries of a replay: numbered 0, 1, 2, ..., arrivals finite, non-negative, in order and
/// before the horizon (if any).
fn check_queries(qs: &[Query], horizon_s: Option<f64>) {
    let mut last = 0.0;
    for (i, q) in qs.iter().enumerate() {
        assert_eq!(q.index, i as u64, "query {i} has index {}", q.index);
        assert!(
            q.arrival_s.is_finite() && q.arrival_s >= last,
            "query {i}: arrival {} after {last} (not finite, negative or out of order)",
            q.arrival_s
        );
        if let Some(h) = horizon_s {
            assert!(
                q.arrival_s < h,
                "query {i}: arrival {} >= horizon {h}",
                q.arrival_s
            );
        }
        last = q.arrival_s;
    }
}

/// Pull at most `max` queries from `source` in batches of `batch`.
fn pull(
    source: &mut dyn QuerySource,
    max: usize,
    batch: usize,
) -> Result<Vec<Query>, ipw_sim::trace::TraceError> {
    let mut out = Vec::new();
    while out.len() < max {
        let before = out.len();
        let n = batch.min(max - out.len()).max(1);
        source.next_batch(&mut out, n)?;
        if out.len() == before {
            break;
        }
    }
    let _ = source.stats();
    let _ = source.len_hint();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Trace inputs.
// ---------------------------------------------------------------------------------------------

/// A full column map. Built in one place so that a change of `ColumnMap` is adapted here only.
fn columns(
    time: &str,
    time_unit: TimeUnit,
    input: &str,
    output: &str,
    model: Option<&str>,
    log_type: Option<&str>,
) -> ColumnMap {
    ColumnMap {
        time: Some(time.into()),
        time_unit: Some(time_unit),
        input: Some(input.into()),
        output: Some(output.into()),
        model: model.map(Into::into),
        log_type: log_type.map(Into::into),
    }
}

/// `map` with some of its required fields left out (`keep` says which of time, time_unit,
/// input, output stay): partial maps over presets, and generic maps missing a field.
fn partial(mut map: ColumnMap, keep: [bool; 4]) -> ColumnMap {
    if !keep[0] {
        map.time = None;
    }
    if !keep[1] {
        map.time_unit = None;
    }
    if !keep[2] {
        map.input = None;
    }
    if !keep[3] {
        map.output = None;
    }
    map
}

/// A column map as a TOML table (for a `TraceSpec`).
fn columns_toml(c: &ColumnMap) -> toml::Value {
    toml::Value::try_from(c).expect("columns serialize")
}

fn time_unit() -> impl Strategy<Value = TimeUnit> {
    prop_oneof![
        Just(TimeUnit::S),
        Just(TimeUnit::Ms),
        Just(TimeUnit::Us),
        Just(TimeUnit::Ns),
        Just(TimeUnit::Datetime),
    ]
}

/// Column names: the generic fixtures' names, the presets' names, and odd ones.
fn column_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["t", "in", "out", "m", "lt"]).prop_map(String::from),
        2 => prop::sample::select(vec![
            "TIMESTAMP", "ContextTokens", "GeneratedTokens", "Timestamp", "Request tokens",
            "Response tokens", "Model", "Log Type", "arrived_at", "num_prefill_tokens",
            "num_decode_tokens",
        ])
        .prop_map(String::from),
        1 => prop::sample::select(vec!["", " ", "t ", "\u{feff}t", "é", "a,b", "\"q\"", "t\nx"])
            .prop_map(String::from),
    ]
}

fn generic_columns() -> impl Strategy<Value = ColumnMap> {
    (
        column_name(),
        time_unit(),
        column_name(),
        column_name(),
        prop::option::of(column_name()),
        prop::option::of(column_name()),
    )
        .prop_map(|(t, u, i, o, m, l)| columns(&t, u, &i, &o, m.as_deref(), l.as_deref()))
        .prop_flat_map(|c| {
            // Mostly full maps; sometimes partial ones.
            prop_oneof![
                3 => Just(c.clone()),
                1 => prop::array::uniform4(any::<bool>()).prop_map(move |k| partial(c.clone(), k)),
            ]
        })
}

/// The usual generic column map of the fixtures below (`t,in,out,m,lt`), with any unit.
fn fixture_columns() -> impl Strategy<Value = ColumnMap> {
    (time_unit(), any::<bool>(), any::<bool>())
        .prop_map(|(u, m, l)| columns("t", u, "in", "out", m.then_some("m"), l.then_some("lt")))
}

/// How a trace file is read: a format (or detection) and a column map.
#[derive(Clone, Debug)]
enum Layout {
    /// A preset, named.
    Preset(TraceFormat),
    /// No format: detected from the extension or the CSV header.
    Detect,
    /// No format but a column map (read as generic CSV, or by extension).
    DetectWithColumns(ColumnMap),
    /// A generic container with a column map.
    Generic(TraceFormat, ColumnMap),
    /// A preset with its column map overridden.
    PresetWithColumns(TraceFormat, ColumnMap),
}

fn preset() -> impl Strategy<Value = TraceFormat> {
    prop::sample::select(TraceFormat::PRESETS.to_vec())
}

fn generic_format() -> impl Strategy<Value = TraceFormat> {
    prop_oneof![
        Just(TraceFormat::Csv),
        Just(TraceFormat::Jsonl),
        Just(TraceFormat::Parquet)
    ]
}

fn layout() -> impl Strategy<Value = Layout> {
    let cols = prop_oneof![fixture_columns(), generic_columns()];
    prop_oneof![
        3 => preset().prop_map(Layout::Preset),
        2 => Just(Layout::Detect),
        1 => cols.clone().prop_map(Layout::DetectWithColumns),
        3 => (generic_format(), cols.clone()).prop_map(|(f, c)| Layout::Generic(f, c)),
        1 => (preset(), cols).prop_map(|(f, c)| Layout::PresetWithColumns(f, c)),
        // A generic format without a column map is an error to report, not a panic.
        1 => generic_format().prop_map(Layout::Preset),
    ]
}

fn filters() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => Just(Vec::new()),
        1 => prop::collection::vec(
            prop::sample::select(vec![
                "ChatGPT", "GPT-4", "Conversation log", "API log", "", " ChatGPT ", "a", "b",
            ])
            .prop_map(String::from),
            1..3,
        ),
    ]
}

#[derive(Clone, Debug)]
struct Reading {
    layout: Layout,
    extension: &'static str,
    keep_failures: bool,
    skip_invalid: bool,
    models: Vec<String>,
    log_types: Vec<String>,
}

impl Reading {
    fn options(&self) -> ReadOptions {
        let (format, columns) = match &self.layout {
            Layout::Preset(f) => (Some(*f), None),
            Layout::Detect => (None, None),
            Layout::DetectWithColumns(c) => (None, Some(c.clone())),
            Layout::Generic(f, c) | Layout::PresetWithColumns(f, c) => (Some(*f), Some(c.clone())),
        };
        ReadOptions {
            format,
            columns,
            keep_failures: self.keep_failures,
            skip_invalid: self.skip_invalid,
            models: self.models.clone(),
            log_types: self.log_types.clone(),
        }
    }
}

fn extension() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "csv", "csv", "jsonl", "ndjson", "parquet", "pq", "txt", "",
    ])
}

fn reading() -> impl Strategy<Value = Reading> {
    (
        layout(),
        extension(),
        any::<bool>(),
        any::<bool>(),
        filters(),
        filters(),
    )
        .prop_map(
            |(layout, extension, keep_failures, skip_invalid, models, log_types)| Reading {
                layout,
                extension,
                keep_failures,
                skip_invalid,
                models,
                log_types,
            },
        )
}

/// Write `bytes` to a fresh temporary file with extension `ext`.
fn temp_file(bytes: &[u8], ext: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = if ext.is_empty() {
        "trace".to_string()
    } else {
        format!("trace.{ext}")
    };
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write input");
    (dir, path)
}

/// Read `path` whole (and check what comes back).
fn read_whole(path: &Path, options: &ReadOptions) {
    if let Ok(t) = Trace::read(path, options) {
        check_trace(&t);
        assert!(
            !t.rows.is_empty(),
            "Trace::read returned no rows without an error"
        );
    }
}

/// Small valid (or nearly valid) trace files every byte mutation starts from.
fn trace_bases() -> &'static [Vec<u8>] {
    static B: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    B.get_or_init(|| {
        let mut v: Vec<Vec<u8>> = vec![
            Vec::new(),
            head("traces/azure/AzureLLMInferenceTrace_conv_2023.csv", 30).into_bytes(),
            head("traces/azure/AzureLLMInferenceTrace_code_2023.csv", 12).into_bytes(),
            head("traces/burstgpt/BurstGPT_1_head42.csv", 42).into_bytes(),
            head("traces/vidur/splitwise_conv.csv", 30).into_bytes(),
            b"TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-10 00:00:00.009930+00:00,10,3\n2024-05-10 00:00:01.5+00:00,7,0\n2024-05-10T00:00:02Z,7,9\n".to_vec(),
            b"t,in,out,m,lt\n1000,10,1,a,x\n2500,20,2,b,y\n2500,5,5,a,x\n4000,30,3,a,y\n".to_vec(),
            b"{\"t\": 1000, \"in\": 10, \"out\": 1, \"m\": \"a\"}\n\n{\"t\": 2500, \"in\": 20, \"out\": 2, \"m\": \"b\", \"lt\": \"x\"}\n{\"t\": \"4000\", \"in\": 30, \"out\": 3}\n".to_vec(),
        ];
        v.push(valid_parquet().to_vec());
        assert_eq!(v.len(), TRACE_BASES);
        v
    })
}

/// The number of [`trace_bases`].
const TRACE_BASES: usize = 9;

/// A small valid Parquet file with the fixture columns (`t,in,out,m,lt`), two row groups.
fn valid_parquet() -> &'static [u8] {
    static P: OnceLock<Vec<u8>> = OnceLock::new();
    P.get_or_init(|| {
        let cols = vec![
            PqCol::I64(vec![Some(1000), Some(2500), Some(2500), Some(4000)]),
            PqCol::I64(vec![Some(10), Some(20), Some(5), Some(30)]),
            PqCol::F64(vec![Some(1.0), Some(2.0), Some(5.0), Some(3.0)]),
            PqCol::Str(vec![
                Some("a".into()),
                Some("b".into()),
                None,
                Some("a".into()),
            ]),
            PqCol::Datetime(vec![Some(1), Some(2), Some(3), Some(4)], 1),
        ];
        parquet_bytes(&cols, 4, Some(2)).expect("a valid parquet fixture")
    })
}

/// A position in a file, as a fraction `raw / 2^64` of its length (printed in a failing
/// input, and written as such in the regression cases below).
#[derive(Clone, Copy, Debug)]
struct Pos(u64);

impl Pos {
    fn index(self, len: usize) -> usize {
        ((len as u128 * u128::from(self.0)) >> 64) as usize
    }
}

fn pos() -> impl Strategy<Value = Pos> {
    any::<u64>().prop_map(Pos)
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Overwrite one byte.
    Set(Pos, u8),
    /// Flip one bit.
    Flip(Pos, u8),
    /// Insert bytes.
    Insert(Pos, Vec<u8>),
    /// Remove up to `n` bytes.
    Remove(Pos, usize),
    /// Cut the file.
    Truncate(Pos),
    /// Copy a slice elsewhere (repeats structure).
    Splice(Pos, Pos, usize),
}

fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec![
            &b","[..],
            b"\n",
            b"\r\n",
            b"\r",
            b"\"",
            b"\"\"",
            b"\xef\xbb\xbf",
            b"\0",
            b"\xff",
            b"-",
            b".",
            b"e",
            b"9999999999999999999999",
            b"NaN",
            b"{",
            b"}",
            b"[",
            b":",
            b"PAR1",
            b"\x15\x00",
            b"\xff\xff\xff\x7f",
        ])
        .prop_map(<[u8]>::to_vec),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (pos(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        3 => (pos(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        2 => (pos(), interesting_bytes()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => (pos(), 1usize..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
        1 => pos().prop_map(Mutation::Truncate),
        1 => (pos(), pos(), 1usize..64)
            .prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::Set(i, b) if len > 0 => bytes[i.index(len)] = *b,
        Mutation::Flip(i, b) if len > 0 => bytes[i.index(len)] ^= 1 << b,
        Mutation::Insert(i, b) => {
            let at = i.index(len + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Remove(i, n) if len > 0 => {
            let at = i.index(len);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
        Mutation::Splice(a, b, n) if len > 0 => {
            let from = a.index(len);
            let piece: Vec<u8> = bytes[from..(from + n).min(len)].to_vec();
            let at = b.index(len + 1);
            bytes.splice(at..at, piece);
        }
        _ => {}
    }
}

/// Trace file contents: entirely random, or a small valid file with byte mutations.
#[derive(Clone, Debug)]
enum Bytes {
    Random(Vec<u8>),
    Mutated(Index, Vec<Mutation>),
}

impl Bytes {
    fn build(&self) -> Vec<u8> {
        match self {
            Bytes::Random(b) => b.clone(),
            Bytes::Mutated(base, ms) => {
                let mut b = trace_bases()[base.index(TRACE_BASES)].clone();
                for m in ms {
                    mutate(&mut b, m);
                }
                b
            }
        }
    }
}

/// The layout and extension a base file of [`trace_bases`] is read with (`detect`: leave the
/// format to detection where that works).
fn matching_layout(base: usize, detect: bool, unit: TimeUnit) -> (Layout, &'static str) {
    let fixture = columns("t", unit, "in", "out", Some("m"), Some("lt"));
    let preset = |f| {
        if detect {
            Layout::Detect
        } else {
            Layout::Preset(f)
        }
    };
    match base {
        1 | 2 => (preset(TraceFormat::Azure2023), "csv"),
        3 => (preset(TraceFormat::Burstgpt), "csv"),
        4 => (preset(TraceFormat::Splitwise), "csv"),
        5 => (preset(TraceFormat::Azure2024), "csv"),
        6 if detect => (Layout::DetectWithColumns(fixture), "csv"),
        6 => (Layout::Generic(TraceFormat::Csv, fixture), "csv"),
        7 if detect => (Layout::DetectWithColumns(fixture), "jsonl"),
        7 => (Layout::Generic(TraceFormat::Jsonl, fixture), "jsonl"),
        8 if detect => (Layout::DetectWithColumns(fixture), "parquet"),
        8 => (Layout::Generic(TraceFormat::Parquet, fixture), "parquet"),
        _ => (Layout::Detect, "csv"),
    }
}

/// File contents and how they are read: often a mutated base file read with its own layout
/// (so that reading gets past the header), otherwise any bytes read any way.
fn bytes_and_reading() -> impl Strategy<Value = (Bytes, Reading)> {
    prop_oneof![
        1 => (bytes(), reading()),
        2 => (
            any::<Index>(),
            prop::collection::vec(mutation(), 0..4),
            reading(),
            any::<bool>(),
            time_unit(),
        )
            .prop_map(|(base, ms, mut how, detect, unit)| {
                // (Not `trace_bases().len()`: the fixtures are built on the case thread.)
                let k = base.index(TRACE_BASES);
                (how.layout, how.extension) = matching_layout(k, detect, unit);
                (Bytes::Mutated(base, ms), how)
            }),
    ]
}

fn bytes() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Bytes::Random),
        1 => "\\PC{0,200}".prop_map(|s| Bytes::Random(s.into_bytes())),
        6 => (any::<Index>(), prop::collection::vec(mutation(), 0..6))
            .prop_map(|(i, m)| Bytes::Mutated(i, m)),
    ]
}

// --- Well-formed but wrong fields --------------------------------------------------------------

fn datetime_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        prop::sample::select(vec![0u32, 1, 1969, 1970, 2000, 2023, 2024, 9999]),
        0u32..10000,
        Just(10000u32),
    ];
    let frac = prop::option::of(prop_oneof![
        "[0-9]{1,9}",
        "[0-9]{10,40}",
        Just("9".repeat(30)),
        Just(String::new()),
    ]);
    let offset = prop_oneof![
        Just(String::new()),
        Just("Z".to_string()),
        Just("z".to_string()),
        (any::<bool>(), 0u32..100, 0u32..100)
            .prop_map(|(p, h, m)| format!("{}{h:02}:{m:02}", if p { '+' } else { '-' })),
        (any::<bool>(), 0u32..30, 0u32..60)
            .prop_map(|(p, h, m)| format!("{}{h:02}{m:02}", if p { '+' } else { '-' })),
        Just("+05".to_string()),
        Just(" UTC".to_string()),
    ];
    (
        year,
        0u32..14,
        0u32..33,
        prop::sample::select(vec![' ', 'T', 't', '_']),
        0u32..26,
        0u32..62,
        0u32..62,
        frac,
        offset,
    )
        .prop_map(|(y, mo, d, sep, h, mi, s, frac, off)| {
            let frac = frac.map_or(String::new(), |f| format!(".{f}"));
            format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{off}")
        })
}

/// One field of a trace row: mostly the kinds of values real exports get wrong.
fn weird_field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "", " ", "\t", "0", "-0", "+0", "1", "-1", "12", "12.0", "12.5", "1.", ".5", "-.5",
            "+5", "1e3", "1E3", "1e300", "-1e300", "1e12", "1e-400", "1e400", "NaN", "nan",
            "inf", "-inf", "Infinity", "4294967295", "4294967296", "4294967295.0",
            "18446744073709551615", "18446744073709551616", "9223372036854775807",
            "-9223372036854775808", "99999999999999999999999999999",
            "999999999999999999999999999999999999999", "0.99999999999999999999999",
            "-0.00000000000000000000001", "1_000", "0x10", "1,5", "١٢", "１２", "12 ", " 12",
            "1.2.3", "--1", "+-1", "e5", "ChatGPT", "Conversation log",
            "2023-11-16 18:17:03.98", "2024-05-10 00:00:00.009930+00:00",
            "1970-01-01T00:00:60Z", "0000-01-01 00:00:00", "9999-12-31 23:59:59.999999999",
            "2023-02-29 00:00:00", "2023-11-16 18:17:03.", "2023-11-16 18:17:03+99:99",
        ])
        .prop_map(String::from),
        2 => datetime_text(),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<u64>().prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|v| v.to_string()),
        1 => (0u32..100_000).prop_map(|v| v.to_string()),
        1 => (0.0f64..1e10).prop_map(|v| format!("{v}")),
        1 => "\\PC{0,12}",
        1 => "[0-9.eE+-]{1,12}",
    ]
}

/// A numeric-looking time, in increasing order when `sorted` (so rows get past the reorder
/// check and reach later stages).
fn time_field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u64..100_000).prop_map(|v| v.to_string()),
        1 => (1_700_000_000u64..1_700_100_000).prop_map(|v| v.to_string()),
        1 => (0.0f64..1e5).prop_map(|v| format!("{v}")),
        2 => weird_field(),
    ]
}

/// A CSV field, quoted when needed (or at random), embedded newlines and quotes included.
fn csv_field(text: &str, quote: bool) -> String {
    if quote || text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A CSV trace of a preset (or the generic fixture columns): a valid header, rows of weird
/// fields, odd line endings, BOM, duplicate and extra columns, ragged rows.
#[derive(Clone, Debug)]
struct CsvCase {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    quote: Vec<bool>,
    eol: &'static str,
    bom: bool,
    trailing_eol: bool,
}

impl CsvCase {
    fn text(&self) -> String {
        let mut s = String::new();
        if self.bom {
            s.push('\u{feff}');
        }
        let line = |fields: &[String], q: &[bool]| {
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| csv_field(f, q.get(i).copied().unwrap_or(false)))
                .collect::<Vec<_>>()
                .join(",")
        };
        s.push_str(&line(&self.header, &[]));
        for (i, r) in self.rows.iter().enumerate() {
            s.push_str(self.eol);
            let q: Vec<bool> = (0..r.len())
                .map(|k| self.quote.get((i + k) % self.quote.len().max(1)) == Some(&true))
                .collect();
            s.push_str(&line(r, &q));
        }
        if self.trailing_eol {
            s.push_str(self.eol);
        }
        s
    }
}

fn header_for(format: Option<TraceFormat>) -> Vec<String> {
    let c = format.and_then(TraceFormat::preset).map_or_else(
        || columns("t", TimeUnit::S, "in", "out", Some("m"), Some("lt")),
        ColumnMap::from,
    );
    let mut h: Vec<String> = [c.time, c.input, c.output].into_iter().flatten().collect();
    h.extend(c.model);
    h.extend(c.log_type);
    h
}

fn csv_case(format: Option<TraceFormat>) -> impl Strategy<Value = CsvCase> {
    let base = header_for(format);
    let n = base.len();
    let header = (
        Just(base),
        prop::option::of(0..n),
        prop::collection::vec(
            prop::sample::select(vec!["Session ID", "Elapsed time", "Total tokens", "x", ""]),
            0..2,
        ),
        any::<Index>(),
        any::<bool>(),
    )
        .prop_map(|(mut h, dup, extra, rot, shuffle)| {
            if let Some(d) = dup {
                let name = h[d].clone();
                h.push(name);
            }
            h.extend(extra.into_iter().map(String::from));
            if shuffle {
                let k = rot.index(h.len());
                h.rotate_left(k);
            }
            h
        });
    header.prop_flat_map(|header| {
        let width = header.len();
        let row = (
            time_field(),
            prop::collection::vec(weird_field(), width.saturating_sub(1)),
            prop_oneof![8 => Just(0i32), 1 => Just(-1i32), 1 => Just(1i32), 1 => Just(-2i32)],
        )
            .prop_map(move |(t, mut rest, ragged)| {
                // The time column is wherever the header put it; the first row field goes to
                // the first column: keep it simple and put a time-like field first.
                let mut r = vec![t];
                r.append(&mut rest);
                match ragged {
                    -2 => r.truncate(1),
                    -1 => {
                        r.pop();
                    }
                    1 => r.push("extra".into()),
                    _ => {}
                }
                r
            });
        (
            Just(header),
            prop::collection::vec(row, 0..12),
            prop::collection::vec(any::<bool>(), 1..4),
            prop::sample::select(vec!["\n", "\r\n", "\r", "\n\n"]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(header, rows, quote, eol, bom, trailing_eol)| CsvCase {
                header,
                rows,
                quote,
                eol,
                bom,
                trailing_eol,
            })
    })
}

/// Rows with mostly plausible fields, so that reading gets past the first row: numbers as
/// the header's column needs them, then a few weird ones.
fn plausible_csv_case(format: Option<TraceFormat>) -> impl Strategy<Value = CsvCase> {
    let header = header_for(format);
    let datetime = format.is_some_and(|f| {
        f.preset()
            .is_some_and(|c| c.time_unit == TimeUnit::Datetime)
    });
    let width = header.len();
    let time = if datetime {
        (0u64..3600, 0u32..1_000_000)
            .prop_map(|(s, us)| {
                format!(
                    "2023-11-16 {:02}:{:02}:{:02}.{us:06}",
                    s / 3600 + 10,
                    s / 60 % 60,
                    s % 60
                )
            })
            .boxed()
    } else {
        (0u64..100_000)
            .prop_map(|v| format!("{}", v as f64 / 10.0))
            .boxed()
    };
    let field = prop_oneof![
        6 => (0u32..5000).prop_map(|v| v.to_string()),
        1 => weird_field(),
    ];
    let row = (
        prop_oneof![6 => time, 1 => weird_field()],
        prop::collection::vec(field, width - 1),
    )
        .prop_map(|(t, mut rest)| {
            let mut r = vec![t];
            r.append(&mut rest);
            r
        });
    (
        prop::collection::vec(row, 1..40),
        any::<bool>(),
        prop::sample::select(vec!["\n", "\r\n"]),
    )
        .prop_map(move |(mut rows, sort, eol)| {
            if sort {
                rows.sort_by(|a, b| a[0].cmp(&b[0]));
            }
            CsvCase {
                header: header.clone(),
                rows,
                quote: vec![false],
                eol,
                bom: false,
                trailing_eol: true,
            }
        })
}

/// A JSON value for one field.
fn json_field() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    prop_oneof![
        4 => weird_field().prop_map(J::String),
        3 => weird_field().prop_map(|s| {
            serde_json::from_str::<serde_json::Number>(s.trim())
                .map(J::Number)
                .unwrap_or(J::String(s))
        }),
        2 => (0u32..5000).prop_map(J::from),
        1 => any::<i64>().prop_map(J::from),
        1 => any::<f64>().prop_map(|v| serde_json::Number::from_f64(v).map_or(J::Null, J::Number)),
        1 => Just(J::Null),
        1 => any::<bool>().prop_map(J::Bool),
        1 => Just(J::Array(vec![J::from(1)])),
        1 => Just(serde_json::json!({"t": 1})),
    ]
}

#[derive(Clone, Debug)]
enum JsonLine {
    Object(Vec<(String, serde_json::Value)>),
    Raw(String),
}

/// A plausible row (`t`, `in`, `out`, maybe `m`, `lt`), each field replaced by an odd one at
/// random.
fn plausible_json_object() -> impl Strategy<Value = JsonLine> {
    use serde_json::Value as J;
    let odd = |plain: BoxedStrategy<J>| prop_oneof![6 => plain, 1 => json_field().boxed()];
    (
        odd((0u64..100_000).prop_map(J::from).boxed()),
        odd((0u32..5000).prop_map(J::from).boxed()),
        odd((0u32..5000).prop_map(J::from).boxed()),
        prop::option::of(odd(Just(J::from("a")).boxed())),
        prop::option::of(odd(Just(J::from("x")).boxed())),
    )
        .prop_map(|(t, i, o, m, l)| {
            let mut fields = vec![("t".to_string(), t), ("in".into(), i), ("out".into(), o)];
            fields.extend(m.map(|m| ("m".to_string(), m)));
            fields.extend(l.map(|l| ("lt".to_string(), l)));
            JsonLine::Object(fields)
        })
}

fn json_line() -> impl Strategy<Value = JsonLine> {
    let key = prop_oneof![
        8 => prop::sample::select(vec!["t", "in", "out", "m", "lt"]).prop_map(String::from),
        1 => column_name(),
    ];
    prop_oneof![
        12 => plausible_json_object(),
        3 => prop::collection::vec((key, json_field()), 0..7).prop_map(JsonLine::Object),
        1 => prop::sample::select(vec![
            "", " ", "[]", "1", "null", "\"x\"", "{", "{\"t\": 1,}", "{\"t\": 1e400}",
            "{\"t\": 1}{\"t\": 2}", "\u{feff}{\"t\": 1, \"in\": 1, \"out\": 1}",
            "{\"t\": 1, \"t\": 2, \"in\": 1, \"out\": 1}",
        ])
        .prop_map(|s| JsonLine::Raw(s.into())),
        1 => "\\PC{0,40}".prop_map(JsonLine::Raw),
    ]
}

fn jsonl_text(lines: &[JsonLine], eol: &str) -> String {
    lines
        .iter()
        .map(|l| match l {
            JsonLine::Object(fields) => {
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}: {v}", serde_json::Value::String(k.clone())))
                    .collect();
                format!("{{{}}}", body.join(", "))
            }
            JsonLine::Raw(s) => s.clone(),
        })
        .collect::<Vec<_>>()
        .join(eol)
}

// --- Parquet ----------------------------------------------------------------------------------

/// A Parquet column of some type, with values of that type (nulls included).
#[derive(Clone, Debug)]
enum PqCol {
    I64(Vec<Option<i64>>),
    U64(Vec<Option<u64>>),
    I32(Vec<Option<i32>>),
    U32(Vec<Option<u32>>),
    F64(Vec<Option<f64>>),
    F32(Vec<Option<f32>>),
    Str(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
    /// Integers cast to a timestamp in milli- (0), micro- (1) or nanoseconds (2).
    Datetime(Vec<Option<i64>>, u8),
    Binary(Vec<Option<Vec<u8>>>),
    Null,
}

fn special_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 0i64..10_000,
        1 => prop::sample::select(vec![
            0i64, 1, -1, i64::MAX, i64::MIN, i64::MIN + 1, 1_700_000_000, 1_700_000_000_000,
            1_700_000_000_000_000, 1_700_000_000_000_000_000, i64::from(u32::MAX),
            i64::from(u32::MAX) + 1, 253_402_300_800, -62_135_596_800, 8_210_298_412_800_000,
        ]),
        1 => any::<i64>(),
    ]
}

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => (0u32..10_000).prop_map(f64::from),
        1 => prop::sample::select(vec![
            f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 12.5, 12.0, 1e300, -1e300,
            1e-300, 1.7e9, 1.7e18, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 4294967295.0,
            4294967296.0, 9.2e18, 9.3e18, -9.3e18,
        ]),
        1 => any::<f64>(),
    ]
}

fn pq_col(n: usize) -> impl Strategy<Value = PqCol> {
    let v = |s: BoxedStrategy<i64>| prop::collection::vec(prop::option::weighted(0.9, s), n);
    prop_oneof![
        4 => v(special_i64().boxed()).prop_map(PqCol::I64),
        1 => prop::collection::vec(prop::option::weighted(0.9, any::<u64>()), n).prop_map(PqCol::U64),
        1 => prop::collection::vec(prop::option::weighted(0.9, any::<i32>()), n).prop_map(PqCol::I32),
        1 => prop::collection::vec(prop::option::weighted(0.9, 0u32..5000), n).prop_map(PqCol::U32),
        3 => prop::collection::vec(prop::option::weighted(0.9, special_f64()), n).prop_map(PqCol::F64),
        1 => prop::collection::vec(prop::option::weighted(0.9, any::<f32>()), n).prop_map(PqCol::F32),
        3 => prop::collection::vec(prop::option::weighted(0.9, weird_field()), n).prop_map(PqCol::Str),
        1 => prop::collection::vec(prop::option::weighted(0.9, any::<bool>()), n).prop_map(PqCol::Bool),
        2 => (v(special_i64().boxed()), 0u8..3).prop_map(|(v, u)| PqCol::Datetime(v, u)),
        1 => prop::collection::vec(
            prop::option::weighted(0.9, prop::collection::vec(any::<u8>(), 0..6)),
            n
        )
        .prop_map(PqCol::Binary),
        1 => Just(PqCol::Null),
    ]
}

fn pq_column(
    name: &str,
    col: &PqCol,
    n: usize,
) -> polars::prelude::PolarsResult<polars::prelude::Column> {
    use polars::prelude::{Column, DataType, NamedFrom, Series, TimeUnit as Pl};
    let name: polars::prelude::PlSmallStr = name.into();
    Ok(match col {
        PqCol::I64(v) => Column::new(name, v),
        PqCol::U64(v) => Column::new(name, v),
        PqCol::I32(v) => Column::new(name, v),
        PqCol::U32(v) => Column::new(name, v),
        PqCol::F64(v) => Column::new(name, v),
        PqCol::F32(v) => Column::new(name, v),
        PqCol::Str(v) => Column::new(name, v),
        PqCol::Bool(v) => Column::new(name, v),
        PqCol::Datetime(v, u) => {
            let unit = match u {
                0 => Pl::Milliseconds,
                1 => Pl::Microseconds,
                _ => Pl::Nanoseconds,
            };
            Column::new(name, v).cast(&DataType::Datetime(unit, None))?
        }
        PqCol::Binary(v) => {
            let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
            Series::new(name, refs).into()
        }
        PqCol::Null => Column::full_null(name, n, &DataType::Null),
    })
}

/// Write columns `t, in, out, m, lt` (as many as given) to Parquet bytes.
fn parquet_bytes(
    cols: &[PqCol],
    n: usize,
    row_group: Option<usize>,
) -> polars::prelude::PolarsResult<Vec<u8>> {
    use polars::prelude::{DataFrame, ParquetWriter};
    let names = ["t", "in", "out", "m", "lt"];
    let columns = cols
        .iter()
        .zip(names)
        .map(|(c, name)| pq_column(name, c, n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut df = DataFrame::new_infer_height(columns)?;
    let mut out = Vec::new();
    ParquetWriter::new(&mut out)
        .with_row_group_size(row_group)
        .finish(&mut df)?;
    Ok(out)
}

#[derive(Clone, Debug)]
struct ParquetCase {
    n: usize,
    cols: Vec<PqCol>,
    sort_time: bool,
    row_group: Option<usize>,
    columns: ColumnMap,
    mutations: Vec<Mutation>,
    keep_failures: bool,
    skip_invalid: bool,
    models: Vec<String>,
}

/// A column of the fixture layout with plausible values: increasing times (`k == 0`), token
/// counts, model and log-type names.
fn plausible_pq_col(k: usize, n: usize) -> BoxedStrategy<PqCol> {
    match k {
        0 => prop_oneof![
            prop::collection::vec(0i64..100_000, n).prop_map(|mut v| {
                v.sort_unstable();
                PqCol::I64(v.into_iter().map(Some).collect())
            }),
            prop::collection::vec(0.0f64..1e5, n).prop_map(|mut v| {
                v.sort_by(f64::total_cmp);
                PqCol::F64(v.into_iter().map(Some).collect())
            }),
            (
                prop::collection::vec(1_700_000_000_000i64..1_700_000_100_000, n),
                0u8..3
            )
                .prop_map(|(mut v, u)| {
                    v.sort_unstable();
                    PqCol::Datetime(v.into_iter().map(Some).collect(), u)
                }),
        ]
        .boxed(),
        1 | 2 => prop_oneof![
            prop::collection::vec(0u32..5000, n)
                .prop_map(|v| PqCol::U32(v.into_iter().map(Some).collect())),
            prop::collection::vec(0i64..5000, n)
                .prop_map(|v| PqCol::I64(v.into_iter().map(Some).collect())),
            prop::collection::vec(0u32..5000, n)
                .prop_map(|v| PqCol::F64(v.into_iter().map(|x| Some(f64::from(x))).collect())),
        ]
        .boxed(),
        _ => prop::collection::vec(prop::sample::select(vec!["a", "b", "ChatGPT"]), n)
            .prop_map(|v| PqCol::Str(v.into_iter().map(|x| Some(x.to_string())).collect()))
            .boxed(),
    }
}

/// Five columns (`t, in, out, m, lt`), each plausible or, at random, of any type and value.
fn pq_cols(n: usize) -> impl Strategy<Value = Vec<PqCol>> {
    let col = move |k: usize| {
        prop_oneof![
            3 => plausible_pq_col(k, n),
            1 => pq_col(n).boxed(),
        ]
    };
    ((col(0), col(1), col(2), col(3), col(4)), 3usize..=5).prop_map(|((a, b, c, d, e), keep)| {
        let mut v = vec![a, b, c, d, e];
        v.truncate(keep);
        v
    })
}

fn parquet_case() -> impl Strategy<Value = ParquetCase> {
    (0usize..24).prop_flat_map(|n| {
        (
            Just(n),
            pq_cols(n),
            any::<bool>(),
            prop::option::of(1usize..8),
            prop_oneof![4 => fixture_columns(), 1 => generic_columns()],
            prop_oneof![
                4 => Just(Vec::new()),
                1 => prop::collection::vec(mutation(), 1..4),
            ],
            any::<bool>(),
            any::<bool>(),
            filters(),
        )
            .prop_map(
                |(
                    n,
                    cols,
                    sort_time,
                    row_group,
                    columns,
                    mutations,
                    keep_failures,
                    skip_invalid,
                    models,
                )| {
                    ParquetCase {
                        n,
                        cols,
                        sort_time,
                        row_group,
                        columns,
                        mutations,
                        keep_failures,
                        skip_invalid,
                        models,
                    }
                },
            )
    })
}

fn sort_time_column(col: &mut PqCol) {
    match col {
        PqCol::I64(v) | PqCol::Datetime(v, _) => v.sort(),
        PqCol::U64(v) => v.sort(),
        PqCol::I32(v) => v.sort(),
        PqCol::U32(v) => v.sort(),
        PqCol::F64(v) => v.sort_by(|a, b| a.map(f64::to_bits).cmp(&b.map(f64::to_bits))),
        PqCol::Str(v) => v.sort(),
        _ => {}
    }
}

// --- Streams ----------------------------------------------------------------------------------

/// The `[trace]` settings of a streamed or compressed replay of a file.
#[derive(Clone, Debug)]
struct ReplaySettings {
    window: Option<(f64, f64)>,
    spread: bool,
    volume: Volume,
    seed: u64,
    max_queries: usize,
    batch: usize,
}

#[derive(Clone, Debug)]
enum Volume {
    AsRecorded,
    Rate(f64, Option<f64>),
    PerDay(f64, Option<f64>),
    Compress(u64, f64),
}

fn positive_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.01f64..10.0,
        1 => prop::sample::select(vec![1e-300, 1e-9, 1e-3, 0.5, 1.0, 1.5, 2.0, 1e3, 1e6, 1e12, 1e300, f64::MAX, f64::MIN_POSITIVE]),
    ]
}

/// Replay volumes. Looping is combined only with rate factors of at least 1/4, so that a
/// bounded pull of queries needs a bounded number of passes over the file (each pass re-reads
/// it; thinning a short file to nothing over a long horizon is slow by design, see the
/// regression case `loop_hours_that_overflow_the_horizon_loop_forever`).
fn volume() -> impl Strategy<Value = Volume> {
    let single_pass_rate = prop_oneof![
        3 => 0.05f64..20.0,
        1 => prop::sample::select(vec![1e-12, 1e-3, 0.5, 1.0, 2.0, 3.7, MAX_RATE_FACTOR]),
    ];
    let looped_rate = prop_oneof![
        3 => 0.25f64..20.0,
        1 => prop::sample::select(vec![0.5, 1.0, 2.0, 3.7, MAX_RATE_FACTOR]),
    ];
    let loop_hours = prop_oneof![
        3 => 0.001f64..48.0,
        1 => prop::sample::select(vec![f64::MIN_POSITIVE, 1e-9, 1e300, f64::MAX]),
    ];
    prop_oneof![
        2 => Just(Volume::AsRecorded),
        2 => single_pass_rate.prop_map(|f| Volume::Rate(f, None)),
        2 => (looped_rate, loop_hours).prop_map(|(f, h)| Volume::Rate(f, Some(h))),
        2 => positive_f64().prop_map(|v| Volume::PerDay(v * 1e4, None)),
        2 => (
            prop_oneof![1u64..100_000, Just(u64::MAX), Just(i64::MAX as u64)],
            positive_f64(),
        )
            .prop_map(|(q, h)| Volume::Compress(q, h)),
    ]
}

fn replay_settings() -> impl Strategy<Value = ReplaySettings> {
    let window =
        prop::option::of((0.0f64..50.0, 0.001f64..100.0).prop_map(|(s, len)| (s, s + len)));
    (
        window,
        any::<bool>(),
        volume(),
        any::<u64>(),
        1usize..3000,
        1usize..700,
    )
        .prop_map(
            |(window, spread, volume, seed, max_queries, batch)| ReplaySettings {
                window,
                spread,
                volume,
                seed,
                max_queries,
                batch,
            },
        )
}

/// A `TraceSpec` (as a scenario's `[trace]` would give it) for `path`.
fn trace_spec(path: &Path, options: &ReadOptions, r: &ReplaySettings) -> Option<TraceSpec> {
    let mut t = toml::Table::new();
    t.insert("path".into(), path.to_string_lossy().into_owned().into());
    if let Some(f) = options.format {
        t.insert("format".into(), toml::Value::try_from(f).ok()?);
    }
    if let Some(c) = &options.columns {
        t.insert("columns".into(), columns_toml(c));
    }
    t.insert("keep_failures".into(), options.keep_failures.into());
    t.insert("skip_invalid".into(), options.skip_invalid.into());
    let strings = |v: &[String]| toml::Value::Array(v.iter().map(|s| s.clone().into()).collect());
    t.insert("models".into(), strings(&options.models));
    t.insert("log_types".into(), strings(&options.log_types));
    if let Some((s, e)) = r.window {
        let mut w = toml::Table::new();
        w.insert("start_s".into(), s.into());
        w.insert("end_s".into(), e.into());
        t.insert("window".into(), w.into());
    }
    t.insert(
        "ties".into(),
        if r.spread { "spread" } else { "keep" }.into(),
    );
    match r.volume {
        Volume::AsRecorded => {}
        Volume::Rate(f, h) => {
            t.insert("rate_factor".into(), f.into());
            if let Some(h) = h {
                t.insert("loop_hours".into(), h.into());
            }
        }
        Volume::PerDay(d, h) => {
            t.insert("per_day".into(), d.into());
            if let Some(h) = h {
                t.insert("loop_hours".into(), h.into());
            }
        }
        Volume::Compress(q, h) => {
            t.insert(
                "queries".into(),
                i64::try_from(q).unwrap_or(i64::MAX).into(),
            );
            t.insert("horizon_hours".into(), h.into());
        }
    }
    toml::Value::Table(t).try_into().ok()
}

/// Replay `path` as a scenario would: `TraceSpec::prepare`, open, pull a bounded number of
/// queries, check them.
fn replay(path: &Path, options: &ReadOptions, r: &ReplaySettings) {
    let Some(spec) = trace_spec(path, options, r) else {
        return;
    };
    if spec.validate().is_err() {
        return;
    }
    let Ok(prepared) = spec.prepare(r.seed) else {
        return;
    };
    let Ok(mut source) = prepared.open() else {
        return;
    };
    let horizon = match r.volume {
        Volume::Rate(_, h) | Volume::PerDay(_, h) => h.map(|h| h * 3600.0),
        _ => None,
    };
    if let Ok(qs) = pull(source.as_mut(), r.max_queries, r.batch) {
        check_queries(&qs, horizon);
    }
}

/// Stream `path` through a `FileSource` directly (the settings a `StreamSpec` allows).
fn stream(path: &Path, options: &ReadOptions, r: &ReplaySettings, check_span: bool) {
    let (factor, horizon_s) = match r.volume {
        Volume::Rate(f, h) | Volume::PerDay(f, h) => {
            (f.min(MAX_RATE_FACTOR), h.map(|h| h * 3600.0))
        }
        _ => (1.0, None),
    };
    let spec = StreamSpec {
        path: path.to_path_buf(),
        read: options.clone(),
        window: r.window,
        ties: if r.spread { Ties::Spread } else { Ties::Keep },
        factor,
        horizon_s,
        seed: r.seed,
        check_span,
    };
    let Ok(mut source) = FileSource::open(spec) else {
        return;
    };
    let _ = source.format();
    if let Ok(qs) = pull(&mut source, r.max_queries, r.batch) {
        check_queries(&qs, horizon_s);
    }
}

// ---------------------------------------------------------------------------------------------
// Property 1: trace readers on arbitrary bytes, every layout, whole and streamed.
// ---------------------------------------------------------------------------------------------

#[test]
fn trace_readers_survive_arbitrary_bytes() {
    property("trace_bytes", 1536, bytes_and_reading, |(input, how)| {
        let (_dir, path) = temp_file(&input.build(), how.extension);
        read_whole(&path, &how.options());
    });
}

#[test]
fn trace_streams_survive_arbitrary_bytes() {
    property(
        "trace_stream_bytes",
        768,
        || (bytes_and_reading(), replay_settings(), any::<bool>()),
        |((input, how), r, check_span)| {
            let (_dir, path) = temp_file(&input.build(), how.extension);
            let options = how.options();
            stream(&path, &options, &r, check_span);
            replay(&path, &options, &r);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Property 1b: real Parquet files with well-formed but wrong columns (and their bytes mutated).
// ---------------------------------------------------------------------------------------------

#[test]
fn parquet_reader_survives_wrong_columns() {
    property(
        "parquet_columns",
        192,
        || (parquet_case(), replay_settings()),
        |(case, r)| {
            let mut cols = case.cols.clone();
            if case.sort_time {
                sort_time_column(&mut cols[0]);
            }
            let Ok(mut bytes) = parquet_bytes(&cols, case.n, case.row_group) else {
                return;
            };
            for m in &case.mutations {
                mutate(&mut bytes, m);
            }
            let (_dir, path) = temp_file(&bytes, "parquet");
            for format in [Some(TraceFormat::Parquet), None] {
                let options = ReadOptions {
                    format,
                    columns: Some(case.columns.clone()),
                    keep_failures: case.keep_failures,
                    skip_invalid: case.skip_invalid,
                    models: case.models.clone(),
                    log_types: Vec::new(),
                };
                read_whole(&path, &options);
                if format.is_some() {
                    replay(&path, &options, &r);
                }
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Property 2: well-formed but wrong CSV and JSON Lines.
// ---------------------------------------------------------------------------------------------

fn csv_format_and_case() -> impl Strategy<Value = (Option<TraceFormat>, CsvCase)> {
    prop_oneof![
        Just(Some(TraceFormat::Azure2023)),
        Just(Some(TraceFormat::Azure2024)),
        Just(Some(TraceFormat::Burstgpt)),
        Just(Some(TraceFormat::Splitwise)),
        Just(None),
    ]
    .prop_flat_map(|f| {
        (
            Just(f),
            prop_oneof![1 => csv_case(f), 1 => plausible_csv_case(f)],
        )
    })
}

#[test]
fn csv_readers_survive_wrong_fields() {
    property(
        "csv_fields",
        512,
        || {
            (
                csv_format_and_case(),
                time_unit(),
                any::<bool>(),
                any::<bool>(),
                filters(),
                replay_settings(),
            )
        },
        |((format, case), unit, skip_invalid, keep_failures, models, r)| {
            let (_dir, path) = temp_file(case.text().as_bytes(), "csv");
            let generic = columns("t", unit, "in", "out", Some("m"), Some("lt"));
            let layouts: Vec<(Option<TraceFormat>, Option<ColumnMap>)> = match format {
                Some(f) => vec![(Some(f), None), (None, None)],
                None => vec![
                    (Some(TraceFormat::Csv), Some(generic.clone())),
                    (None, Some(generic)),
                ],
            };
            for (format, columns) in layouts {
                let options = ReadOptions {
                    format,
                    columns,
                    keep_failures,
                    skip_invalid,
                    models: models.clone(),
                    log_types: Vec::new(),
                };
                read_whole(&path, &options);
                replay(&path, &options, &r);
            }
        },
    );
}

#[test]
fn jsonl_reader_survives_wrong_fields() {
    property(
        "jsonl_fields",
        512,
        || {
            (
                prop::collection::vec(json_line(), 0..16),
                prop::sample::select(vec!["\n", "\r\n", "\n\n"]),
                prop_oneof![4 => fixture_columns(), 1 => generic_columns()],
                prop::sample::select(vec!["jsonl", "ndjson", "json"]),
                any::<bool>(),
                any::<bool>(),
                filters(),
                replay_settings(),
            )
        },
        |(lines, eol, cols, ext, skip_invalid, keep_failures, models, r)| {
            let (_dir, path) = temp_file(jsonl_text(&lines, eol).as_bytes(), ext);
            for format in [Some(TraceFormat::Jsonl), None] {
                let options = ReadOptions {
                    format,
                    columns: Some(cols.clone()),
                    keep_failures,
                    skip_invalid,
                    models: models.clone(),
                    log_types: Vec::new(),
                };
                read_whole(&path, &options);
                replay(&path, &options, &r);
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// TOML mutation, shared by scenarios and catalogue files.
// ---------------------------------------------------------------------------------------------

const WORDS: &[&str] = &[
    "fit",
    "unlimited",
    "event",
    "fixed-batch",
    "hold",
    "idle-to-smallest",
    "least-work",
    "round-robin",
    "least-loaded",
    "affinity",
    "all-cloud",
    "oracle",
    "accuracy",
    "paper",
    "wrong-local",
    "escalate",
    "energy",
    "compute",
    "cost",
    "active",
    "total",
    "spread",
    "keep",
    "s",
    "ms",
    "us",
    "ns",
    "datetime",
    "azure-2023",
    "azure-2024",
    "burstgpt",
    "splitwise",
    "csv",
    "jsonl",
    "parquet",
    "gamma",
    "weibull",
    "exponential",
    "flat",
    "burstgpt-conversation",
    "zipf",
    "Qwen3-4B",
    "Qwen3-8B",
    "Qwen3-14B",
    "GPT-OSS-20B",
    "Qwen3-235B-A22B",
    "apple-m4-max",
    "nvidia-h100",
    "nvidia-h200",
    "nvidia-b200",
    "table17-240w",
    "gpqa",
    "lm-arena-chat",
    "Qwen3-8B@apple-m4-max",
    "@",
    "local",
    "cloud",
    "wildchat",
    "naturalreasoning",
    "2025-13",
    "2025-01",
    "202501",
    "",
    " ",
    ".",
    "..",
    "a/b",
    "é",
    "../traces/burstgpt/BurstGPT_1_head42.csv",
    "../traces/vidur/splitwise_conv.csv",
    "../traces/azure/AzureLLMInferenceTrace_code_2023.csv",
    "../hardware-profiles",
    "../traces",
    "Timestamp",
    "TIMESTAMP",
];

const KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "profiles",
    "trace",
    "path",
    "format",
    "columns",
    "keep_failures",
    "skip_invalid",
    "models",
    "log_types",
    "window",
    "ties",
    "queries",
    "horizon_hours",
    "rate_factor",
    "per_day",
    "loop_hours",
    "synth",
    "workload",
    "mix",
    "correlation",
    "model_noise",
    "fleet",
    "service",
    "local_accelerator",
    "local_models",
    "local_batch",
    "cloud_model",
    "cloud_accelerator",
    "cloud_batch",
    "pue",
    "variants",
    "local",
    "cloud",
    "devices",
    "mapping",
    "idle_power",
    "groups",
    "users",
    "replicas",
    "max_batch",
    "dispatch",
    "pools",
    "low_batch_power",
    "slo",
    "ttft_s",
    "e2e_s",
    "metrics",
    "flops_params",
    "router",
    "kind",
    "p",
    "misroute",
    "objective",
    "sweep",
    "days",
    "start_hour",
    "hour_profile",
    "day_profile",
    "start_day",
    "iat",
    "cv",
    "window_s",
    "conversation_share",
    "failure_rate",
    "lengths",
    "law",
    "input_s",
    "input_max",
    "output_s",
    "output_max",
    "time",
    "time_unit",
    "input",
    "output",
    "model",
    "log_type",
    "start_s",
    "end_s",
    "accelerator",
    "variant",
    "default",
    "task",
    "precision",
    "point",
    "batch",
    "decode_step_s",
    "prefill_tokens_per_s",
    "power_w",
    "measured_output_tokens_per_s",
    "measured_j_per_output_token",
    "fit",
    "r2_latency",
    "r2_energy",
    "r2_ttft",
    "price",
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "idle_power_w",
    "usd_per_hour",
    "device_usd",
    "price_date",
    "price_note",
    "price_source",
    "tier",
    "memory_gb",
    "bandwidth_gb_s",
    "release_year",
    "local_solvable",
    "accuracy",
    "family",
    "active_params_b",
    "total_params_b",
    "released",
    "bf16_dense_tflops",
    "wildchat",
    "naturalreasoning",
];

fn toml_datetime() -> impl Strategy<Value = toml::Value> {
    prop::sample::select(vec![
        "1979-05-27T07:32:00Z",
        "1979-05-27",
        "07:32:00",
        "0000-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59.999999999-00:00",
        "2023-11-16 18:17:03.98",
    ])
    .prop_filter_map("a TOML date-time", |s| {
        toml::from_str::<toml::Table>(&format!("v = {s}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
    })
}

fn toml_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS.to_vec()).prop_map(String::from),
        1 => "[a-z_]{1,8}",
        1 => "\\PC{0,6}",
    ]
}

fn toml_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS.to_vec()).prop_map(String::from),
        1 => weird_field(),
        1 => "\\PC{0,16}",
    ]
}

/// Any TOML value, biased to the values validation gets wrong: wrong types, negatives, 0,
/// huge, NaN and infinities, empty arrays, nested tables.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    use toml::Value as V;
    let leaf = prop_oneof![
        1 => any::<bool>().prop_map(V::Boolean),
        3 => prop_oneof![
            3 => -3i64..100,
            2 => prop::sample::select(vec![
                0i64, -1, 1, 2, 8, 16, 64, 65_536, 65_537, 100_000, 100_001, 10_000_000,
                10_000_001, i64::from(u32::MAX), i64::from(u32::MAX) + 1, i64::MAX, i64::MIN,
                80_200_000,
            ]),
            1 => any::<i64>(),
        ]
        .prop_map(V::Integer),
        3 => prop_oneof![
            2 => -2.0f64..2.0,
            2 => prop::sample::select(vec![
                f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e300, -1e300, 1e-300,
                0.5, 1.0, 1.5, 24.0, 1e9, 1e12, 1e15, 1e18, f64::MAX, f64::MIN_POSITIVE,
                4294967296.0,
            ]),
            1 => any::<f64>(),
        ]
        .prop_map(V::Float),
        3 => toml_string().prop_map(V::String),
        1 => toml_datetime(),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            2 => prop::collection::vec(inner.clone(), 0..4).prop_map(V::Array),
            1 => prop::collection::btree_map(toml_key(), inner, 0..4)
                .prop_map(|m| V::Table(m.into_iter().collect())),
        ]
    })
}

/// One step of a path into a TOML document.
#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Item(usize),
}

/// Every node below the root (leaves and containers), as paths.
fn nodes(v: &toml::Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                nodes(x, prefix, out);
                prefix.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(Seg::Item(i));
                out.push(prefix.clone());
                nodes(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// Every table (the root included), as paths.
fn tables(v: &toml::Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        toml::Value::Table(t) => {
            out.push(prefix.clone());
            for (k, x) in t {
                prefix.push(Seg::Key(k.clone()));
                tables(x, prefix, out);
                prefix.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(Seg::Item(i));
                tables(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut toml::Value, path: &[Seg]) -> Option<&'a mut toml::Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Seg::Item(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn dotted(path: &[Seg]) -> Option<String> {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Item(_) => None,
        })
        .collect::<Option<Vec<_>>>()
        .map(|v| v.join("."))
}

/// An edit of a TOML document (structural) or of its text (lines).
#[derive(Clone, Debug)]
enum Edit {
    /// Replace any node's value.
    Replace(Index, toml::Value),
    /// Replace a leaf's value by one of the same type (see [`same_type`]).
    SameType(Index, toml::Value),
    /// Remove a key or array item.
    Remove(Index),
    /// Insert a key into a table.
    Insert(Index, String, toml::Value),
    /// Add a sweep axis over an existing field: `sweep.<dotted key> = [values]`.
    Axis(Index, Vec<toml::Value>),
    /// Delete a line of the text.
    DeleteLine(Index),
    /// Duplicate a line of the text.
    DuplicateLine(Index),
    /// Swap two lines.
    SwapLines(Index, Index),
    /// Replace the value part of a `key = value` line with raw text.
    RawValue(Index, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let raw = prop_oneof![
        prop::sample::select(vec![
            "",
            "=",
            "[",
            "[[",
            "{",
            "{ x = ",
            "\"",
            "'''",
            "nan",
            "-nan",
            "+inf",
            "1979-05-27",
            "0x7fffffffffffffff",
            "0b1",
            "1e999",
            "9223372036854775808",
            "1__0",
            "[1, \"a\"]",
            "[[1], []]",
            "{ a = { b = { c = { d = { e = [[[[[[]]]]]] } } } } }",
        ])
        .prop_map(String::from),
        "\\PC{0,12}",
    ];
    prop_oneof![
        8 => (any::<Index>(), toml_value()).prop_map(|(i, v)| Edit::SameType(i, v)),
        4 => (any::<Index>(), toml_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        2 => any::<Index>().prop_map(Edit::Remove),
        1 => (any::<Index>(), toml_key(), toml_value()).prop_map(|(i, k, v)| Edit::Insert(i, k, v)),
        1 => (any::<Index>(), prop::collection::vec(toml_value(), 1..5))
            .prop_map(|(i, v)| Edit::Axis(i, v)),
        1 => any::<Index>().prop_map(Edit::DeleteLine),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => (any::<Index>(), raw).prop_map(|(i, s)| Edit::RawValue(i, s)),
    ]
}

/// `v` made the same TOML type as `like` where it can be (a number for a number, a string
/// for a string, ...), so that the document still deserializes and validation is reached.
fn same_type(like: &toml::Value, v: &toml::Value) -> toml::Value {
    use toml::Value as V;
    let number = |v: &V| match v {
        V::Integer(i) => Some(*i as f64),
        V::Float(f) => Some(*f),
        V::Boolean(b) => Some(f64::from(u8::from(*b))),
        V::String(s) => Some(s.len() as f64 - 3.0),
        V::Array(a) => Some(a.len() as f64 - 1.0),
        _ => None,
    };
    match like {
        V::Integer(_) => match v {
            V::Integer(_) => v.clone(),
            V::Float(f) if f.is_finite() => V::Integer(*f as i64),
            other => V::Integer(number(other).map_or(0, |x| x as i64)),
        },
        V::Float(_) => match v {
            V::Float(_) => v.clone(),
            other => V::Float(number(other).unwrap_or(f64::NAN)),
        },
        V::String(_) => match v {
            V::String(_) => v.clone(),
            other => V::String(other.to_string()),
        },
        V::Boolean(b) => V::Boolean(!b),
        V::Array(items) => {
            let values = match v {
                V::Array(a) => a.clone(),
                other => {
                    vec![other.clone(); number(other).map_or(1, |n| n.clamp(0.0, 3.0) as usize)]
                }
            };
            match items.first() {
                Some(first) => V::Array(values.iter().map(|x| same_type(first, x)).collect()),
                None => V::Array(values),
            }
        }
        V::Table(t) => match v {
            V::Table(_) => v.clone(),
            // Keep the table, change one of its values instead.
            other => {
                let mut t = t.clone();
                if let Some((k, x)) = t.iter().next().map(|(k, x)| (k.clone(), x.clone())) {
                    t.insert(k, same_type(&x, other));
                }
                V::Table(t)
            }
        },
        V::Datetime(_) => v.clone(),
    }
}

fn apply_structural(doc: &mut toml::Value, e: &Edit) {
    match e {
        Edit::SameType(i, v) => {
            let mut all = Vec::new();
            nodes(doc, &mut Vec::new(), &mut all);
            all.retain(|p| {
                let mut d = doc.clone();
                at_mut(&mut d, p).is_some_and(|n| !n.is_table())
            });
            if all.is_empty() {
                return;
            }
            let path = &all[i.index(all.len())];
            if let Some(node) = at_mut(doc, path) {
                *node = same_type(node, v);
            }
        }
        Edit::Replace(i, v) => {
            let mut all = Vec::new();
            nodes(doc, &mut Vec::new(), &mut all);
            if all.is_empty() {
                return;
            }
            let path = &all[i.index(all.len())];
            if let Some(node) = at_mut(doc, path) {
                *node = v.clone();
            }
        }
        Edit::Remove(i) => {
            let mut all = Vec::new();
            nodes(doc, &mut Vec::new(), &mut all);
            if all.is_empty() {
                return;
            }
            let path = all[i.index(all.len())].clone();
            let (last, parent) = path.split_last().expect("non-empty path");
            match (at_mut(doc, parent), last) {
                (Some(toml::Value::Table(t)), Seg::Key(k)) => {
                    t.remove(k);
                }
                (Some(toml::Value::Array(a)), Seg::Item(j)) if *j < a.len() => {
                    a.remove(*j);
                }
                _ => {}
            }
        }
        Edit::Insert(i, k, v) => {
            let mut all = Vec::new();
            tables(doc, &mut Vec::new(), &mut all);
            let path = &all[i.index(all.len())];
            if let Some(toml::Value::Table(t)) = at_mut(doc, path) {
                t.insert(k.clone(), v.clone());
            }
        }
        Edit::Axis(i, values) => {
            let mut all = Vec::new();
            nodes(doc, &mut Vec::new(), &mut all);
            let keys: Vec<String> = all
                .iter()
                .filter(|p| !matches!(p.first(), Some(Seg::Key(k)) if k == "sweep"))
                .filter_map(|p| dotted(p))
                .collect();
            if keys.is_empty() {
                return;
            }
            let key = &keys[i.index(keys.len())];
            let Some(root) = doc.as_table_mut() else {
                return;
            };
            let sweep = root
                .entry("sweep")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(mut t) = sweep.as_table_mut() else {
                return;
            };
            let parts: Vec<&str> = key.split('.').collect();
            let (last, parents) = parts.split_last().expect("a key");
            for p in parents {
                let next = t
                    .entry(p.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let Some(n) = next.as_table_mut() else {
                    return;
                };
                t = n;
            }
            t.insert(last.to_string(), toml::Value::Array(values.clone()));
        }
        _ => {}
    }
}

fn apply_textual(text: &str, e: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let n = lines.len();
    match e {
        Edit::DeleteLine(i) => {
            lines.remove(i.index(n));
        }
        Edit::DuplicateLine(i) => {
            let k = i.index(n);
            let l = lines[k].clone();
            lines.insert(k, l);
        }
        Edit::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
        Edit::RawValue(i, raw) => {
            let assignments: Vec<usize> = (0..n)
                .filter(|&k| !lines[k].trim_start().starts_with('#') && lines[k].contains('='))
                .collect();
            if let Some(&k) = assignments.get(i.index(assignments.len().max(1))) {
                let (key, _) = lines[k].split_once('=').expect("an assignment");
                lines[k] = format!("{key}= {raw}");
            }
        }
        _ => return text.to_string(),
    }
    lines.join("\n") + "\n"
}

/// `text` with `edits` applied: structural edits on the parsed document (re-serialized), then
/// textual edits on the lines.
fn mutate_toml(text: &str, edits: &[Edit]) -> String {
    let structural: Vec<&Edit> = edits
        .iter()
        .filter(|e| {
            matches!(
                e,
                Edit::Replace(..)
                    | Edit::SameType(..)
                    | Edit::Remove(_)
                    | Edit::Insert(..)
                    | Edit::Axis(..)
            )
        })
        .collect();
    let mut out = text.to_string();
    if !structural.is_empty() {
        if let Ok(table) = toml::from_str::<toml::Table>(text) {
            let mut doc = toml::Value::Table(table);
            for e in structural {
                apply_structural(&mut doc, e);
            }
            if let Ok(s) = toml::to_string(&doc) {
                out = s;
            }
        }
    }
    for e in edits {
        out = apply_textual(&out, e);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Property 3: scenarios.
// ---------------------------------------------------------------------------------------------

/// What a run does with a scenario before simulating: its points, routers and axes; each
/// point bound against the catalogue; the workload model; and (for streamed and synthetic
/// traces) the first queries of the replay.
fn use_scenario(s: &Scenario) {
    let points = s
        .points()
        .expect("a parsed scenario's points were validated by parse");
    let _ = s.routers();
    let _ = s.axis_keys();
    let shipped = root().join("hardware-profiles");
    let loaded;
    let catalogue = if s.profiles.canonicalize().ok() == shipped.canonicalize().ok() {
        shipped_catalogue()
    } else {
        match Inputs::load(s) {
            Ok(i) => {
                loaded = i.catalogue;
                &loaded
            }
            Err(_) => return,
        }
    };
    let mut configs_bound = std::collections::BTreeSet::new();
    for p in &points {
        if configs_bound.len() >= 16 {
            break;
        }
        if configs_bound.insert(p.config) {
            if let Ok(b) = bind(&p.scenario, catalogue) {
                let mut tracked: Vec<&str> = b.pool.iter().map(String::as_str).collect();
                tracked.push(&b.cloud_model);
                let _ = workload(&p.scenario, catalogue, &tracked);
            }
        }
    }
    let t = &s.trace;
    if t.queries.is_none() && t.per_day.is_none() {
        let inputs = Inputs {
            catalogue: catalogue.clone(),
            queries: None,
        };
        if let Ok(r) = inputs.replay(s) {
            if let Ok(mut source) = r.open() {
                if let Ok(qs) = pull(source.as_mut(), 500, 200) {
                    check_queries(&qs, t.loop_hours.map(|h| h * 3600.0));
                }
            }
        }
    }
}

fn parse_and_use(path: &Path, text: &str, overrides: &Overrides) {
    let parsed = if overrides.is_empty() {
        Scenario::parse(path, text)
    } else {
        Scenario::parse_with(path, text, overrides)
    };
    if let Ok(s) = parsed {
        use_scenario(&s);
    }
}

/// A `--set KEY=VALUE` text: a field of the shipped scenarios (or any key) and a TOML value
/// (or raw text).
fn setting_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => any::<Index>().prop_map(|i| {
            let keys = scenario_keys();
            keys[i.index(keys.len())].clone()
        }),
        1 => (toml_key(), toml_key()).prop_map(|(a, b)| format!("{a}.{b}")),
        1 => "[a-z_.]{0,12}",
        1 => "\\PC{0,10}",
    ];
    let value = prop_oneof![
        3 => toml_value().prop_map(|v| v.to_string()),
        1 => "\\PC{0,12}",
    ];
    (key, value).prop_map(|(k, v)| format!("{k}={v}"))
}

/// Every dotted key of the shipped scenarios, and the documented optional ones.
fn scenario_keys() -> &'static [String] {
    static K: OnceLock<Vec<String>> = OnceLock::new();
    K.get_or_init(|| {
        let mut keys: Vec<String> = Vec::new();
        for (_, text) in shipped_scenarios() {
            let doc = toml::Value::Table(toml::from_str(text).expect("shipped scenario"));
            let mut all = Vec::new();
            nodes(&doc, &mut Vec::new(), &mut all);
            keys.extend(all.iter().filter_map(|p| dotted(p)));
        }
        keys.extend(
            [
                "trace.columns",
                "trace.columns.time_unit",
                "trace.window",
                "trace.window.end_s",
                "trace.rate_factor",
                "trace.per_day",
                "trace.loop_hours",
                "trace.ties",
                "trace.models",
                "trace.log_types",
                "trace.queries",
                "trace.horizon_hours",
                "trace.synth.days",
                "trace.synth.window_s",
                "trace.synth.cv",
                "trace.synth.iat",
                "trace.synth.start_day",
                "trace.synth.start_hour",
                "trace.synth.lengths",
                "fleet.service",
                "fleet.local.devices",
                "fleet.local.users",
                "fleet.local.groups",
                "fleet.local.mapping",
                "fleet.cloud.replicas",
                "fleet.cloud.max_batch",
                "fleet.cloud.pools",
                "fleet.cloud.low_batch_power",
                "fleet.variants",
                "slo.ttft_s",
                "slo.e2e_s",
                "router.p",
                "router.kind",
                "sweep.router",
                "sweep.fleet.pue",
                "workload.correlation",
                "workload.model_noise",
                "metrics.flops_params",
            ]
            .map(String::from),
        );
        keys.sort();
        keys.dedup();
        keys
    })
}

fn overrides() -> impl Strategy<Value = (Vec<String>, Option<u64>, bool)> {
    (
        prop::collection::vec(setting_text(), 0..4),
        prop::option::weighted(
            0.2,
            prop_oneof![
                Just(0u64),
                Just(1),
                Just(u64::MAX),
                Just(i64::MAX as u64),
                Just(i64::MAX as u64 + 1),
                1u64..1_000_000,
            ],
        ),
        prop::bool::weighted(0.2),
    )
}

fn build_overrides(set: &[String], queries: Option<u64>, skip_invalid: bool) -> Overrides {
    Overrides {
        set: set
            .iter()
            .filter_map(|t| t.parse::<Setting>().ok())
            .collect(),
        queries,
        skip_invalid,
    }
}

/// TOML-looking text: fragments of scenario syntax in any order.
fn toml_ish() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        prop::sample::select(vec![
            "[trace]\n",
            "[fleet]\n",
            "[workload]\n",
            "[router]\n",
            "[sweep]\n",
            "[[x]]\n",
            "[fleet.cloud]\n",
            "[trace.synth]\n",
            "name = \"x\"\n",
            "path = \"a.csv\"\n",
            "mix = { wildchat = 1.0 }\n",
            "local_models = [\"Qwen3-4B\"]\n",
            "kind = \"oracle\"\n",
            "cloud_batch = 16\n",
            "= ",
            "\"",
            "'",
            "{",
            "}",
            "[",
            "]",
            ",",
            "\n",
            " ",
            "#",
            "\\u",
            "nan",
            "inf",
            "1e999",
            "true",
            "\"\"\"",
            "'''",
            "a.b.c = 1\n",
            "\u{feff}",
            "\r\n",
        ])
        .prop_map(String::from),
        "[a-z_]{1,8} = ",
        toml_value().prop_map(|v| v.to_string()),
    ];
    prop::collection::vec(fragment, 0..30).prop_map(|v| v.concat())
}

#[test]
fn scenario_parser_survives_arbitrary_text() {
    property(
        "scenario_text",
        512,
        || {
            (
                prop_oneof![1 => any::<String>(), 2 => toml_ish()],
                overrides(),
            )
        },
        |(text, (set, queries, skip_invalid))| {
            let path = root().join("scenarios/fuzz.toml");
            parse_and_use(&path, &text, &Overrides::default());
            parse_and_use(&path, &text, &build_overrides(&set, queries, skip_invalid));
        },
    );
}

#[test]
fn scenario_parser_survives_mutated_scenarios() {
    property(
        "scenario_mutation",
        384,
        || {
            (
                any::<Index>(),
                prop::collection::vec(edit(), 1..4),
                overrides(),
            )
        },
        |(which, edits, (set, queries, skip_invalid))| {
            let scenarios = shipped_scenarios();
            let (path, text) = &scenarios[which.index(scenarios.len())];
            let text = mutate_toml(text, &edits);
            parse_and_use(path, &text, &Overrides::default());
            let o = build_overrides(&set, queries, skip_invalid);
            if !o.is_empty() {
                parse_and_use(path, &text, &o);
            }
        },
    );
}

#[test]
fn scenario_overrides_survive_any_setting() {
    property(
        "scenario_overrides",
        128,
        || (any::<Index>(), overrides()),
        |(which, (set, queries, skip_invalid))| {
            let scenarios = shipped_scenarios();
            let (path, text) = &scenarios[which.index(scenarios.len())];
            // Overrides from text, as the command line builds them (bad texts are refused).
            if let Ok(mut o) = Overrides::from_set(&set) {
                o.queries = queries;
                o.skip_invalid = skip_invalid;
                parse_and_use(path, text, &o);
                // And applied to an already parsed scenario.
                if let Ok(mut s) = Scenario::parse(path, text) {
                    if s.apply(&o).is_ok() {
                        use_scenario(&s);
                    }
                }
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Property 4: the profile catalogue.
// ---------------------------------------------------------------------------------------------

/// Which catalogue file an input replaces.
#[derive(Clone, Debug)]
enum Slot {
    Models,
    Accelerators,
    Tasks,
    Pair(Index),
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![
        1 => Just(Slot::Models),
        1 => Just(Slot::Accelerators),
        1 => Just(Slot::Tasks),
        3 => any::<Index>().prop_map(Slot::Pair),
    ]
}

/// Build a catalogue from the shipped texts with `slot` replaced by `f(original)`.
fn catalogue_with(slot: &Slot, f: impl FnOnce(&str) -> String) {
    let t = shipped_catalogue_texts();
    let (mut models, mut accelerators, mut tasks) =
        (t.models.clone(), t.accelerators.clone(), t.tasks.clone());
    let mut pairs = t.pairs.clone();
    match slot {
        Slot::Models => models = f(&models),
        Slot::Accelerators => accelerators = f(&accelerators),
        Slot::Tasks => tasks = f(&tasks),
        Slot::Pair(i) => {
            let k = i.index(pairs.len());
            pairs[k].1 = f(&pairs[k].1);
        }
    }
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let dir = root().join("hardware-profiles");
    if let Ok(cat) = Catalogue::from_texts(&dir, &models, &accelerators, &tasks, &refs) {
        use_catalogue(&cat);
    }
}

/// What commands and runs do with a loaded catalogue: check it, list and show it, evaluate
/// every pair's curve, bind the shipped scenarios against it.
fn use_catalogue(cat: &Catalogue) {
    let _ = check(cat);
    let _ = list_text(cat);
    let _ = cat.families();
    for p in &cat.pairs {
        let _ = show_text(cat, &p.model, &p.accelerator, Some(&p.variant));
        let _ = cat.pair(&p.model, &p.accelerator);
        let max = p.points.last().map_or(1, |x| x.batch);
        for b in [
            0.0,
            0.5,
            1.0,
            f64::from(max) / 3.0,
            f64::from(max),
            f64::from(max) + 1.0,
            f64::NAN,
        ] {
            let _ = p.at_batch(b);
        }
        for n in [0, 1, max / 2, max, max.saturating_add(1)] {
            let _ = p.at_running_batch(n);
        }
        if let Ok(acc) = cat.accelerator(&p.accelerator) {
            let idle = acc.idle_power_w.unwrap_or(0.0) * f64::from(p.devices);
            for below in [
                ipw_sim::sim::power::BelowSmallest::Hold,
                ipw_sim::sim::power::BelowSmallest::IdleToSmallest,
            ] {
                let curve = ipw_sim::bind::power_curve(p, idle, below);
                let _ = ipw_sim::bind::replica_kind(p, 1, max.min(512), idle, &curve);
            }
        }
    }
    for (path, text) in shipped_scenarios() {
        let Ok(s) = Scenario::parse(path, text) else {
            continue;
        };
        let Ok(points) = s.points() else {
            continue;
        };
        if let Some(p) = points.first() {
            if let Ok(b) = bind(&p.scenario, cat) {
                let mut tracked: Vec<&str> = b.pool.iter().map(String::as_str).collect();
                tracked.push(&b.cloud_model);
                let _ = workload(&p.scenario, cat, &tracked);
            }
        }
    }
}

#[test]
fn catalogue_parser_survives_arbitrary_text() {
    property(
        "catalogue_text",
        256,
        || (slot(), prop_oneof![1 => any::<String>(), 2 => toml_ish()]),
        |(slot, text)| catalogue_with(&slot, |_| text),
    );
}

#[test]
fn catalogue_parser_survives_mutated_files() {
    property(
        "catalogue_mutation",
        256,
        || (slot(), prop::collection::vec(edit(), 1..4)),
        |(slot, edits)| catalogue_with(&slot, |original| mutate_toml(original, &edits)),
    );
}

// ---------------------------------------------------------------------------------------------
// Property 5: date-time and numeric time fields.
// ---------------------------------------------------------------------------------------------

fn datetime_input() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[0-9 T:Z+.\\-]{0,40}",
        4 => datetime_text(),
        1 => (datetime_text(), "\\PC{0,4}").prop_map(|(a, b)| a + &b),
    ]
}

/// Valid components for a differential check against chrono.
#[derive(Clone, Debug)]
struct ValidDateTime {
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    frac: String,
    offset_min: i32,
    offset_style: u8,
    sep: char,
}

fn valid_datetime() -> impl Strategy<Value = ValidDateTime> {
    (
        0i32..=9999,
        1u32..=12,
        1u32..=31,
        0u32..24,
        0u32..60,
        0u32..60,
        "[0-9]{0,12}",
        -(23 * 60 + 59)..=(23 * 60 + 59),
        0u8..4,
        prop::sample::select(vec![' ', 'T']),
    )
        .prop_filter("a real date", |(y, mo, d, ..)| {
            chrono::NaiveDate::from_ymd_opt(*y, *mo, *d).is_some()
        })
        .prop_map(
            |(y, mo, d, h, mi, s, frac, offset_min, offset_style, sep)| ValidDateTime {
                y,
                mo,
                d,
                h,
                mi,
                s,
                frac,
                offset_min,
                offset_style,
                sep,
            },
        )
}

impl ValidDateTime {
    fn text(&self) -> String {
        let frac = if self.frac.is_empty() {
            String::new()
        } else {
            format!(".{}", self.frac)
        };
        let sign = if self.offset_min < 0 { '-' } else { '+' };
        let (oh, om) = (self.offset_min.abs() / 60, self.offset_min.abs() % 60);
        let offset = match self.offset_style {
            0 => String::new(),
            1 => "Z".into(),
            2 => format!("{sign}{oh:02}:{om:02}"),
            _ => format!("{sign}{oh:02}{om:02}"),
        };
        format!(
            "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}{frac}{offset}",
            self.y, self.mo, self.d, self.sep, self.h, self.mi, self.s
        )
    }

    /// Whole seconds since the epoch (chrono) and the fraction.
    fn expected(&self) -> (i64, f64) {
        let offset_s = if self.offset_style >= 2 {
            i64::from(self.offset_min) * 60
        } else {
            0
        };
        let t = chrono::NaiveDate::from_ymd_opt(self.y, self.mo, self.d)
            .and_then(|d| d.and_hms_opt(self.h, self.mi, self.s))
            .expect("valid components")
            .and_utc()
            .timestamp();
        let frac = if self.frac.is_empty() {
            0.0
        } else {
            format!("0.{}", self.frac).parse().expect("digits")
        };
        (t - offset_s, frac)
    }
}

/// A numeric time as trace files write it.
fn numeric_time() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[+-]?[0-9]{0,22}(\\.[0-9]{0,22})?([eE][+-]?[0-9]{1,3})?",
        2 => any::<f64>().prop_map(|v| v.to_string()),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => weird_field().prop_filter("no CSV metacharacters", |s| {
            !s.contains([',', '"', '\n', '\r'])
        }),
    ]
}

#[test]
fn datetime_parser_survives_any_text() {
    property("datetime", 4096, datetime_input, |s| {
        let stamp = parse_datetime_stamp(&s);
        let secs = parse_datetime(&s);
        assert_eq!(
            secs,
            stamp.map(Stamp::as_secs_f64),
            "parse_datetime and parse_datetime_stamp disagree on {s:?}"
        );
        if let Some(st) = stamp {
            assert!(
                st.frac.is_finite() && (0.0..1.0).contains(&st.frac),
                "{s:?}: fraction {} outside [0, 1)",
                st.frac
            );
        }
    });
}

#[test]
fn datetime_parser_agrees_with_chrono() {
    property("datetime_chrono", 2048, valid_datetime, |v| {
        let text = v.text();
        let got = parse_datetime_stamp(&text)
            .unwrap_or_else(|| panic!("{text:?}: a valid date-time was refused"));
        let (secs, frac) = v.expected();
        let diff = got.since(Stamp { secs, frac: 0.0 }) - frac;
        assert!(
            diff.abs() < 1e-9,
            "{text:?}: got {got:?}, expected {secs} s + {frac}"
        );
    });
}

#[test]
fn numeric_time_parser_survives_any_number() {
    property(
        "numeric_time",
        768,
        || {
            (
                numeric_time(),
                prop::sample::select(vec![TimeUnit::S, TimeUnit::Ms, TimeUnit::Us, TimeUnit::Ns]),
            )
        },
        |(x, unit)| {
            // Two rows, at 0 and at `x` (in `unit`): the later one arrives |x| units after.
            let text = format!("t,in,out\n0,1,1\n{x},1,1\n");
            let (_dir, path) = temp_file(text.as_bytes(), "csv");
            let options = ReadOptions {
                format: Some(TraceFormat::Csv),
                columns: Some(columns("t", unit, "in", "out", None, None)),
                ..ReadOptions::default()
            };
            let got = Trace::read(&path, &options);
            if let Ok(t) = &got {
                check_trace(t);
            }
            let Ok(v) = x.trim().parse::<f64>() else {
                return;
            };
            let expected = v.abs() * unit.seconds();
            if !(v.is_finite() && expected < 300.0 * 86_400.0) {
                return;
            }
            let t = got.unwrap_or_else(|e| {
                panic!("{x:?} ({unit:?}) reads as a number but the trace is refused: {e}")
            });
            let last = t.rows.last().expect("rows").arrival_s;
            assert!(
                (last - expected).abs() <= 1e-9 * expected.max(1.0),
                "{x:?} ({unit:?}): relative arrival {last}, expected {expected}"
            );
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Property 6: the profile importers (ML.ENERGY model files, IPW-harness run folders).
// ---------------------------------------------------------------------------------------------

/// The ML.ENERGY files the shipped pairs were imported from, with their import options.
fn ml_energy_imports() -> &'static [(String, String, mlenergy::MlEnergyOptions)] {
    static I: OnceLock<Vec<(String, String, mlenergy::MlEnergyOptions)>> = OnceLock::new();
    I.get_or_init(|| {
        let mut v = Vec::new();
        for (_, text) in &shipped_catalogue_texts().pairs {
            if let Some((file, o)) = mlenergy::options_from_header(text) {
                let json = read(&format!("hardware-profiles/{file}"));
                v.push((file, json, o));
            }
        }
        assert!(!v.is_empty(), "shipped ML.ENERGY imports");
        v
    })
}

#[derive(Clone, Debug)]
enum JsonEdit {
    /// Replace a node with a JSON value.
    Replace(Index, serde_json::Value),
    /// Remove a key or array item.
    Remove(Index),
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        special_i64().prop_map(J::from),
        special_f64().prop_map(|v| serde_json::Number::from_f64(v).map_or(J::Null, J::Number)),
        (0u32..600).prop_map(J::from),
        toml_string().prop_map(J::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::btree_map(toml_key(), inner, 0..4)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<Index>(), json_value()).prop_map(|(i, v)| JsonEdit::Replace(i, v)),
        1 => any::<Index>().prop_map(JsonEdit::Remove),
    ]
}

fn json_nodes(v: &serde_json::Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                json_nodes(x, prefix, out);
                prefix.pop();
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(Seg::Item(i));
                out.push(prefix.clone());
                json_nodes(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn json_at_mut<'a>(
    v: &'a mut serde_json::Value,
    path: &[Seg],
) -> Option<&'a mut serde_json::Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), serde_json::Value::Object(m)) => m.get_mut(k)?,
            (Seg::Item(i), serde_json::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn mutate_json(v: &mut serde_json::Value, e: &JsonEdit) {
    let mut all = Vec::new();
    json_nodes(v, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    match e {
        JsonEdit::Replace(i, x) => {
            if let Some(node) = json_at_mut(v, &all[i.index(all.len())]) {
                *node = x.clone();
            }
        }
        JsonEdit::Remove(i) => {
            let path = all[i.index(all.len())].clone();
            let (last, parent) = path.split_last().expect("non-empty path");
            match (json_at_mut(v, parent), last) {
                (Some(serde_json::Value::Object(m)), Seg::Key(k)) => {
                    m.remove(k);
                }
                (Some(serde_json::Value::Array(a)), Seg::Item(j)) if *j < a.len() => {
                    a.remove(*j);
                }
                _ => {}
            }
        }
    }
}

/// Changes to an import's options.
#[derive(Clone, Debug)]
struct OptionEdits {
    gpu: Option<Option<String>>,
    gpus: Option<Option<u32>>,
    mfu: Option<f64>,
    skip_caps: Option<Vec<Index>>,
    extra_caps: Vec<u32>,
    variant: Option<Option<String>>,
    default: Option<bool>,
}

fn option_edits() -> impl Strategy<Value = OptionEdits> {
    (
        prop::option::weighted(
            0.2,
            prop::option::of(
                prop::sample::select(vec!["H100", "B200", "h100", "", "A100"])
                    .prop_map(String::from),
            ),
        ),
        prop::option::weighted(0.2, prop::option::of(prop_oneof![0u32..10, Just(u32::MAX)])),
        prop::option::weighted(
            0.2,
            prop_oneof![
                Just(0.0),
                Just(1.0),
                Just(1e-300),
                Just(f64::NAN),
                Just(2.0),
                0.0f64..1.0
            ],
        ),
        prop::option::weighted(0.5, prop::collection::vec(any::<Index>(), 0..16)),
        prop::collection::vec(prop_oneof![Just(0u32), Just(7), Just(u32::MAX)], 0..2),
        prop::option::weighted(0.1, prop::option::of(toml_string())),
        prop::option::weighted(0.2, any::<bool>()),
    )
        .prop_map(
            |(gpu, gpus, mfu, skip_caps, extra_caps, variant, default)| OptionEdits {
                gpu,
                gpus,
                mfu,
                skip_caps,
                extra_caps,
                variant,
                default,
            },
        )
}

/// `text` (an importer's output) must load as a pair of the shipped catalogue.
fn assert_loads_as_pair(text: &str, what: &str) {
    let t = shipped_catalogue_texts();
    let mut pairs: Vec<(&str, &str)> = t
        .pairs
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    // Replace a pair of the same model, accelerator and variant if there is one (a re-import).
    let imported: toml::Table = toml::from_str(text).unwrap_or_else(|e| {
        panic!("{what}: the importer wrote TOML that does not parse: {e}\n{text}")
    });
    let same = |other: &str| {
        toml::from_str::<toml::Table>(other).is_ok_and(|o| {
            ["model", "accelerator", "variant"]
                .iter()
                .all(|k| o.get(*k) == imported.get(*k))
        })
    };
    pairs.retain(|(_, other)| !same(other));
    pairs.push(("imported.toml", text));
    let dir = root().join("hardware-profiles");
    if let Err(e) = Catalogue::from_texts(&dir, &t.models, &t.accelerators, &t.tasks, &pairs) {
        // Two defaults, or a variant name clash, are the user's options; anything else is an
        // importer writing a profile the catalogue refuses.
        let m = e.to_string();
        assert!(
            m.contains("field `default`") || m.contains("field `variant`"),
            "{what}: an imported profile does not load: {m}\n{text}"
        );
    }
}

#[test]
fn ml_energy_importer_survives_mutated_files() {
    property(
        "ml_energy_import",
        192,
        || {
            (
                any::<Index>(),
                prop::collection::vec(json_edit(), 0..4),
                prop::option::weighted(
                    0.1,
                    prop_oneof![
                        any::<String>(),
                        Just("{}".to_string()),
                        Just("[]".to_string())
                    ],
                ),
                option_edits(),
            )
        },
        |(which, edits, raw, o_edits)| {
            let imports = ml_energy_imports();
            let (file, json, options) = &imports[which.index(imports.len())];
            let text = match &raw {
                Some(r) => r.clone(),
                None => {
                    let mut v: serde_json::Value =
                        serde_json::from_str(json).expect("shipped JSON");
                    for e in &edits {
                        mutate_json(&mut v, e);
                    }
                    v.to_string()
                }
            };
            let mut o = options.clone();
            if let Some(g) = &o_edits.gpu {
                o.gpu = g.clone();
            }
            if let Some(g) = o_edits.gpus {
                o.gpus = g;
            }
            if let Some(m) = o_edits.mfu {
                o.mfu = m;
            }
            if let Some(v) = &o_edits.variant {
                o.variant = v.clone();
            }
            if let Some(d) = o_edits.default {
                o.default = d;
            }
            if let Some(picks) = &o_edits.skip_caps {
                // Caps present in the file (so that the skip is accepted), possibly all of them.
                let caps: Vec<u32> = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v["configurations"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| {
                        c["max_num_seqs"]
                            .as_u64()
                            .and_then(|n| u32::try_from(n).ok())
                    })
                    .collect();
                if !caps.is_empty() {
                    o.skip_caps = picks.iter().map(|i| caps[i.index(caps.len())]).collect();
                    o.skip_caps.sort();
                    o.skip_caps.dedup();
                }
            }
            o.skip_caps.extend(&o_edits.extra_caps);
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join(file.rsplit('/').next().unwrap_or("m.json"));
            std::fs::write(&path, text).expect("write");
            if let Ok(toml_text) = mlenergy::import(&path, file, &o, shipped_catalogue()) {
                assert_loads_as_pair(
                    &toml_text,
                    &format!("ml-energy import of {file} with {o:?}"),
                );
            }
        },
    );
}

#[test]
fn harness_importer_survives_mutated_run_folders() {
    property(
        "harness_import",
        256,
        || {
            (
                prop_oneof![
                    3 => prop::collection::vec(mutation(), 0..5).prop_map(Ok),
                    1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Err),
                ],
                prop::collection::vec(json_edit(), 0..3),
                prop_oneof![4 => Just(None), 1 => toml_string().prop_map(Some)],
                any::<bool>(),
                prop_oneof![Just(1u32), Just(0), Just(u32::MAX)],
            )
        },
        |(arrow, summary_edits, model, gpu_only, devices)| {
            let fixture =
                root().join("tests/fixtures/ipw-run/profile_APPLE_M4_MAX_Qwen_Qwen3_8B_ipw");
            let dir = tempfile::tempdir().expect("tempdir");
            let run = dir.path().join("run");
            std::fs::create_dir(&run).expect("mkdir");
            for entry in std::fs::read_dir(&fixture).expect("fixture") {
                let p = entry.expect("entry").path();
                let name = p.file_name().expect("name").to_owned();
                let mut bytes = std::fs::read(&p).expect("read fixture");
                if name.to_string_lossy().ends_with(".arrow") {
                    match &arrow {
                        Ok(ms) => ms.iter().for_each(|m| mutate(&mut bytes, m)),
                        Err(random) => bytes = random.clone(),
                    }
                }
                if name == "summary.json" {
                    let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("summary");
                    for e in &summary_edits {
                        mutate_json(&mut v, e);
                    }
                    if let Some(m) = &model {
                        v["model"] = serde_json::Value::String(m.clone());
                    }
                    bytes = v.to_string().into_bytes();
                }
                std::fs::write(run.join(name), bytes).expect("write");
            }
            let o = HarnessOptions {
                model: "Qwen3-8B".into(),
                accelerator: "apple-m4-max".into(),
                variant: Some("fuzz".into()),
                default: false,
                devices,
                precision: "bf16".into(),
                energy: if gpu_only {
                    EnergyParts::Gpu
                } else {
                    EnergyParts::All
                },
            };
            if let Ok(r) = harness::import(&run, "run", &o, shipped_catalogue()) {
                assert_loads_as_pair(&r.toml, "ipw-run import");
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regression cases: the minimal inputs the properties above found, as plain tests. Each comment
// describes the bug as it was found (in the present tense, with the code it pointed at); each
// failed before its fix and passes since (the 14 bugs are listed in the commit that fixed them).
// ---------------------------------------------------------------------------------------------

/// A small valid Splitwise-layout trace: rows at 0 s and 1 s.
fn two_row_trace() -> (tempfile::TempDir, PathBuf) {
    temp_file(
        b"arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,10,5\n1.0,20,7\n",
        "csv",
    )
}

/// `[trace]` for `path` plus `extra` keys, prepared and opened; the first `n` queries.
fn replay_with(path: &Path, extra: &str, n: usize) -> Option<Vec<Query>> {
    let text = format!(
        "path = {}\n{extra}\n",
        toml::Value::String(path.to_string_lossy().into_owned())
    );
    let spec: TraceSpec = toml::from_str(&text).expect("a [trace] table");
    let mut source = spec.prepare(7).ok()?.open().ok()?;
    pull(source.as_mut(), n, n).ok()
}

#[test]
fn per_day_scaling_is_bounded_like_rate_factor() {
    // trace.per_day sets the rate factor to per_day / (the file's rate), unchecked against
    // MAX_RATE_FACTOR: 1e12 a day on a 2-row file is a factor of 1.2e7, and the first row's
    // 1.2e7 copies are held in memory together (src/trace/stream.rs, next_group).
    bounded("per_day", String::from("per_day = 1e12"), || {
        let (_dir, path) = two_row_trace();
        if let Some(qs) = replay_with(&path, "per_day = 1e12", 10) {
            check_queries(&qs, None);
        }
    });
}

#[test]
fn a_synthetic_window_is_bounded() {
    // trace.synth.per_day has no upper bound and a window's rows are generated into one Vec
    // (src/trace/synth.rs, Synth::window): 1e15 a day is 7e9 rows in the first 10-minute window.
    bounded(
        "synth_per_day",
        String::from("synth.per_day = 1e15"),
        || {
            let spec: TraceSpec = toml::from_str("[synth]\nper_day = 1e15\n").expect("[trace]");
            if let Ok(r) = spec.prepare(7) {
                if let Ok(mut source) = r.open() {
                    let _ = pull(source.as_mut(), 10, 10);
                }
            }
        },
    );
}

#[test]
fn a_long_synthetic_trace_is_refused_or_generated_lazily() {
    // trace.synth.days has no upper bound, and Synth::new builds one day weight per day
    // covered (src/trace/synth.rs): days = 1e300 is a Vec of usize::MAX f64s.
    bounded("synth_days", String::from("synth.days = 1e300"), || {
        let spec: TraceSpec = toml::from_str("[synth]\ndays = 1e300\n").expect("[trace]");
        let _ = spec.prepare(7);
    });
}

#[test]
fn compress_to_a_huge_horizon_keeps_arrivals_finite() {
    // horizon_hours = f64::MAX passes validation (finite and positive), but horizon_hours *
    // 3600 is +inf, so the time factor is +inf and query 0 arrives at 0 * inf = NaN
    // (src/trace/rescale.rs, ScaledTrace::new and ScaledTrace::query).
    bounded(
        "compress_horizon",
        String::from("queries = 1, horizon_hours = f64::MAX"),
        || {
            let (_dir, path) = two_row_trace();
            let extra = format!("queries = 1\nhorizon_hours = {:e}", f64::MAX);
            if let Some(qs) = replay_with(&path, &extra, 1) {
                check_queries(&qs, None);
            }
        },
    );
}

#[test]
fn loop_hours_that_overflow_the_horizon_loop_forever() {
    // loop_hours = f64::MAX passes validation, but loop_hours * 3600 is +inf: the file is
    // looped forever (src/trace/stream.rs, FileSource::next_relative). Thinned to (almost)
    // nothing, next_batch never returns.
    bounded(
        "loop_hours",
        String::from("rate_factor = 1e-12, loop_hours = f64::MAX"),
        || {
            let (_dir, path) = two_row_trace();
            let extra = format!("rate_factor = 1e-12\nloop_hours = {:e}", f64::MAX);
            if let Some(qs) = replay_with(&path, &extra, 1) {
                check_queries(&qs, None);
            }
        },
    );
}

#[test]
fn ml_energy_import_skipping_every_configuration_is_an_error() {
    // --skip-caps listing every configuration of the deployment leaves none, and the importer
    // indexes the first (src/profile/mlenergy.rs, `cfgs[0]`).
    bounded(
        "ml_energy_skip_all",
        String::from("--skip-caps <all>"),
        || {
            let (file, json, options) = ml_energy_imports()
                .iter()
                .find(|(f, ..)| f.ends_with("Qwen__Qwen3-8B__gpqa.json"))
                .expect("a shipped ML.ENERGY import");
            let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
            let mut o = options.clone();
            let gpus = o.gpus;
            o.skip_caps = v["configurations"]
                .as_array()
                .expect("configurations")
                .iter()
                .filter(|c| gpus.is_none_or(|n| c["num_gpus"].as_u64() == Some(u64::from(n))))
                .filter(|c| {
                    o.gpu
                        .as_deref()
                        .is_none_or(|g| c["gpu_model"].as_str() == Some(g))
                })
                .filter_map(|c| {
                    c["max_num_seqs"]
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                })
                .collect();
            o.skip_caps.sort();
            o.skip_caps.dedup();
            let path = root().join("hardware-profiles").join(file);
            if let Ok(text) = mlenergy::import(&path, file, &o, shipped_catalogue()) {
                assert_loads_as_pair(&text, "ml-energy import skipping every cap");
            }
        },
    );
}

#[test]
fn harness_import_with_zero_devices_is_an_error() {
    // `profile import ipw-run --devices 0` writes `devices = 0`, which the catalogue refuses
    // on load (src/profile/harness.rs does not check HarnessOptions::devices).
    bounded("harness_zero_devices", String::from("devices = 0"), || {
        if let Some(text) = harness_import_edited(&[], &harness_options(0)) {
            assert_loads_as_pair(&text, "ipw-run import with --devices 0");
        }
    });
}

#[test]
fn a_parquet_timestamp_out_of_range_in_a_token_column_is_an_error() {
    // A timestamp column mapped as a token column is cast to text by polars, which panics on
    // a timestamp beyond chrono's range (src/trace/reader.rs, ParquetRows::fill, the
    // `col.cast(&DataType::String)` branch).
    bounded(
        "parquet_timestamp_tokens",
        String::from("in = timestamp[ms] i64::MAX"),
        || {
            let cols = [
                PqCol::I64(vec![Some(0)]),
                PqCol::Datetime(vec![Some(i64::MAX)], 0),
                PqCol::I64(vec![Some(1)]),
            ];
            let bytes = parquet_bytes(&cols, 1, None).expect("parquet");
            let (_dir, path) = temp_file(&bytes, "parquet");
            let options = ReadOptions {
                format: Some(TraceFormat::Parquet),
                columns: Some(columns("t", TimeUnit::S, "in", "out", None, None)),
                ..ReadOptions::default()
            };
            read_whole(&path, &options);
        },
    );
}

#[test]
fn a_parquet_column_map_naming_one_column_twice_is_read_or_refused() {
    // columns = { time = "t", input = "t", output = "out" }: the projection lists `t` twice,
    // against polars' contract that a frame's names are unique (src/trace/reader.rs,
    // ParquetRows::fill, `.with_columns(Some(wanted))`). A debug build panics on polars' check
    // ("column with name 't' has more than one occurrence"); a release build skips the check
    // and reads.
    bounded(
        "parquet_duplicate_columns",
        String::from("time = input = \"t\""),
        || {
            let cols = [
                PqCol::I64(vec![Some(1), Some(2)]),
                PqCol::I64(vec![Some(10), Some(20)]),
                PqCol::I64(vec![Some(1), Some(1)]),
            ];
            let bytes = parquet_bytes(&cols, 2, None).expect("parquet");
            let (_dir, path) = temp_file(&bytes, "parquet");
            let options = ReadOptions {
                format: Some(TraceFormat::Parquet),
                columns: Some(columns("t", TimeUnit::S, "t", "out", None, None)),
                ..ReadOptions::default()
            };
            read_whole(&path, &options);
        },
    );
}

#[test]
fn a_corrupt_parquet_file_is_an_error() {
    // One corrupted byte (or six inserted zeros) in a small valid Parquet file (the fixture
    // `valid_parquet`, written by the polars in Cargo.lock) panics instead of returning an
    // error. Where, in a debug build: polars' thrift decoder at open (src/trace/reader.rs,
    // ParquetRows::open, `reader.schema()`); polars' column reader on its worker thread
    // (ParquetRows::fill, `.finish()`: a slice out of range, a DataFrame height mismatch, a
    // dictionary-decoding assertion). In a release build the third reaches ipw-sim's own
    // indexing instead (ParquetRows::fill, `v[i]` over columns of unequal height) and the
    // fourth reads. The positions depend on the fixture's bytes: a polars upgrade may move them.
    use Mutation::{Flip, Insert, Set};
    let corruptions: [(&str, Vec<Mutation>); 5] = [
        (
            "byte 0x81 in the footer",
            vec![Set(Pos(14_738_762_184_145_712_453), 129)],
        ),
        (
            "byte 0x26 in a column chunk",
            vec![Set(Pos(13_099_051_599_815_974_532), 38)],
        ),
        (
            "byte 0x30 in a column chunk",
            vec![Set(Pos(13_390_969_772_026_193_025), 48)],
        ),
        (
            "six zero bytes inserted, one byte set",
            vec![
                Insert(Pos(3_924_046_534_696_882_068), vec![0; 6]),
                Set(Pos(3_905_056_709_152_223_629), 5),
            ],
        ),
        (
            "seven bytes inserted, two bits flipped",
            vec![
                Insert(
                    Pos(6_513_928_270_295_825_426),
                    vec![150, 209, 191, 177, 80, 249, 76],
                ),
                Flip(Pos(1_917_662_107_072_855_839), 0),
                Flip(Pos(9_382_713_786_651_241_354), 1),
            ],
        ),
    ];
    let mut panics = Vec::new();
    for (what, edits) in corruptions {
        let outcome = std::panic::catch_unwind(|| {
            bounded("corrupt_parquet", what.to_string(), move || {
                let mut file = valid_parquet().to_vec();
                for m in &edits {
                    mutate(&mut file, m);
                }
                let (_dir, path) = temp_file(&file, "parquet");
                let options = ReadOptions {
                    format: Some(TraceFormat::Parquet),
                    columns: Some(columns(
                        "t",
                        TimeUnit::S,
                        "in",
                        "out",
                        Some("m"),
                        Some("lt"),
                    )),
                    ..ReadOptions::default()
                };
                read_whole(&path, &options);
            })
        });
        if outcome.is_err() {
            panics.push(what);
        }
    }
    assert!(
        panics.is_empty(),
        "corrupt Parquet files panic instead of failing: {panics:?}"
    );
}

/// Import the IPW-harness fixture run with its Arrow file edited by `edits`.
fn harness_import_edited(edits: &[Mutation], o: &HarnessOptions) -> Option<String> {
    let fixture = root().join("tests/fixtures/ipw-run/profile_APPLE_M4_MAX_Qwen_Qwen3_8B_ipw");
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    std::fs::create_dir(&run).expect("mkdir");
    for entry in std::fs::read_dir(&fixture).expect("fixture") {
        let p = entry.expect("entry").path();
        let name = p.file_name().expect("name").to_owned();
        let mut bytes = std::fs::read(&p).expect("read fixture");
        if name.to_string_lossy().ends_with(".arrow") {
            for m in edits {
                mutate(&mut bytes, m);
            }
        }
        std::fs::write(run.join(name), bytes).expect("write");
    }
    harness::import(&run, "run", o, shipped_catalogue())
        .ok()
        .map(|r| r.toml)
}

fn harness_options(devices: u32) -> HarnessOptions {
    HarnessOptions {
        model: "Qwen3-8B".into(),
        accelerator: "apple-m4-max".into(),
        variant: Some("fuzz".into()),
        default: false,
        devices,
        precision: "bf16".into(),
        energy: EnergyParts::All,
    }
}

#[test]
fn a_harness_fit_that_is_not_finite_is_an_error() {
    // Edited Arrow data (a few inserted and removed bytes) gives measurements whose fit has
    // R^2 = NaN; the importer checks the fitted slopes but not R^2 or the intercepts, and
    // writes `r2_energy = NaN`, which is not TOML (`nan` is): the written profile does not
    // parse (src/profile/harness.rs, import; src/profile/write.rs, `sig` prints non-finite
    // values as Rust does).
    use Mutation::{Insert, Remove};
    let edits = vec![
        Insert(Pos(14_390_714_908_649_697_479), vec![0, 0]),
        Insert(Pos(13_885_560_668_740_446_347), b"PAR1".to_vec()),
        Remove(Pos(8_762_097_150_476_005_043), 13),
    ];
    bounded("harness_nan_fit", format!("{edits:?}"), move || {
        if let Some(text) = harness_import_edited(&edits, &harness_options(1)) {
            assert_loads_as_pair(&text, "ipw-run import of edited measurements");
        }
    });
}

#[test]
fn skip_invalid_skips_a_jsonl_line_that_is_not_utf8() {
    // With skip_invalid, a malformed row is skipped and counted (README, "Queries and
    // traces"), and a CSV row with invalid UTF-8 is; a JSON Lines row with invalid UTF-8
    // stops the read with an I/O error naming no line (src/trace/reader.rs,
    // JsonlReader::next_row reads with `BufRead::lines`).
    bounded(
        "jsonl_utf8",
        String::from("a JSONL line with byte 0xff"),
        || {
            let text = b"{\"t\": 1, \"in\": 1, \"out\": 1}\n{\"t\": 2, \"in\": \"\xff\", \"out\": 1}\n{\"t\": 3, \"in\": 1, \"out\": 1}\n";
            let (_dir, path) = temp_file(text, "jsonl");
            let options = ReadOptions {
                format: Some(TraceFormat::Jsonl),
                columns: Some(columns("t", TimeUnit::S, "in", "out", None, None)),
                skip_invalid: true,
                ..ReadOptions::default()
            };
            let t = Trace::read(&path, &options).unwrap_or_else(|e| {
                panic!("with skip_invalid, the bad line should be skipped: {e}")
            });
            assert_eq!((t.rows.len(), t.stats.skipped_invalid), (2, 1));
        },
    );
}

#[test]
fn a_corrupt_arrow_file_in_a_harness_run_is_an_error() {
    // One byte of the fixture run's Arrow IPC stream set to 5 makes polars' IPC reader panic
    // ("out-of-spec: MissingData" unwrapped in polars-arrow's io/ipc/read/common.rs) instead of
    // returning an error (src/profile/harness.rs, read_rows, `IpcStreamReader::finish`). The
    // position depends on the fixture's bytes.
    let edits = vec![Mutation::Set(Pos(3_043_968_031_535_789_710), 5)];
    bounded("corrupt_arrow", format!("{edits:?}"), move || {
        let _ = harness_import_edited(&edits, &harness_options(1));
    });
}
