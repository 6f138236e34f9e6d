//! The `ipw-sim` binary: parse the command line and dispatch (`cli`); errors are printed as
//! one line. All modelling lives in the library.

mod cli;

use clap::Parser;

fn main() {
    if let Err(e) = cli::run(cli::Cli::parse()) {
        // One line: the chain of causes joined, most specific last.
        eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}
