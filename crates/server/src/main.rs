//! `sesame`: the identity provider for school télé-services.
//!
//! Exit codes: 0 success; 2 bad command line; 3 bad configuration; 4 input
//! refused (import file, UAI, code); 5 database or store unavailable; 1 any
//! other failure (for `selftest`: a check failed).

mod admin;
mod campaign;
mod check_config;
mod cli;
mod commands;
mod demo;
mod failure;
mod helpdesk;
mod listener;
mod reports;
mod selftest;
mod serve;
mod sms;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sesame: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Security: messages may quote imported text; escaped for the terminal.
            eprintln!("sesame: {}", sesame_domain::text::terminal_safe(&e.message));
            ExitCode::from(e.code)
        }
    }
}
