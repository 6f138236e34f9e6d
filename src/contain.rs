//! Containing panics of third-party readers. A corrupt Parquet file can make the Parquet
//! decoder panic (an index out of range, a failed assertion; found by the property tests in
//! `tests/fuzz_parsers.rs`) instead of returning an error. [`contain`] turns such a panic into
//! an error message, so the user gets one line naming the file, and while a contained call
//! runs, [`containing`] tells the binary's panic hook not to print the panic's own report.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Contained calls running now (on any thread).
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Whether a contained call is running (then a panic is reported as an error by [`contain`]).
pub fn containing() -> bool {
    RUNNING.load(Ordering::SeqCst) > 0
}

/// Run `f`; a panic inside it (on this thread or one it waits for) becomes `Err(message)`.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the reader failed".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_a_value_passes_through() {
        assert_eq!(contain(|| 7), Ok(7));
        let e = contain(|| -> u8 { panic!("index 9 out of range") }).unwrap_err();
        assert_eq!(e, "index 9 out of range");
        assert!(!containing());
    }
}
