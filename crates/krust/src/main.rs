//! The `krust` binary: parses the command line, sets up logging and hands over to a command.
//! Behaviour lives in the library crates; see `commands/` for the thin glue per subcommand.

mod cli;
mod commands;

use clap::Parser;

/// mimalloc instead of glibc malloc: the API server allocates many short-lived JSON values per
/// request and glibc's malloc/free showed up as the largest single cost in profiles of
/// `krust bench scheduler` (about a fifth of all CPU time).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("krust: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("krust: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
