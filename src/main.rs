//! The `ipw-sim` binary: parse the command line and dispatch (`cli`); errors are printed as
//! one line. All modelling lives in the library.

mod cli;

use clap::Parser;

fn main() {
    signals::install();
    // A panic that the library contains and reports as an error (a corrupt Parquet file, see
    // `ipw_sim::contain`) prints nothing of its own; any other panic is reported as usual.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !ipw_sim::contain::containing() {
            report(info);
        }
    }));
    if let Err(e) = cli::run(cli::Cli::parse()) {
        // One line: the chain of causes joined, most specific last.
        eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}

/// Process-level behaviour of a well-mannered command-line tool.
mod signals {
    /// * SIGPIPE gets its default action back (Rust ignores it, so a closed pipe, as in
    ///   `ipw-sim ... | head -1`, turned every later print into a panic): the process ends
    ///   quietly with the conventional status 141, like `cat` or `grep`.
    /// * SIGINT, SIGTERM and SIGHUP remove the temporary files being written (nothing
    ///   half-written is left behind) and end with status 128 + the signal.
    #[cfg(unix)]
    pub fn install() {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // SAFETY: setting a signal's disposition to its default, before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return; // without a handler the default actions apply; nothing is worse off
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let removed = ipw_sim::atomic::remove_partial_files();
                if removed > 0 {
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "ipw-sim: interrupted; removed {removed} partially written file(s)"
                    );
                }
                std::process::exit(128 + signal);
            }
        });
    }

    #[cfg(not(unix))]
    pub fn install() {}
}
