//! The `newstrack` binary: parse arguments, call the library, print an error once, exit.

use std::process::ExitCode;

use clap::Parser;
use newstrack::app::{self, Outcome};
use newstrack::cli::Cli;

fn main() -> ExitCode {
    match app::execute(Cli::parse()) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::InputsFailed) => ExitCode::from(1),
        Err(e) => {
            let code = e.exit_code();
            eprintln!("newstrack: error: {:#}", anyhow::Error::from(e));
            ExitCode::from(code)
        }
    }
}

// Every document allocates its article, summary and excerpts and frees them on another
// thread after the fold; glibc's allocator spent about 9% of a run there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
