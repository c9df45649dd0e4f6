//! One module per subcommand.

pub mod bench_api;
pub mod bench_scheduler;
pub mod bench_store;
mod scheduler;
mod server;
mod store_demo;

use crate::cli::{BenchCommand, Command, DebugCommand, StoreCommand};

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Server(args) => server::run(args).await,
        Command::Scheduler(args) => scheduler::run(args).await,
        Command::Store(StoreCommand::Demo { data_dir }) => store_demo::run(&data_dir).await,
        Command::Bench(BenchCommand::Store(args)) => bench_store::run(args).await,
        Command::Bench(BenchCommand::Api(args)) => bench_api::run(args).await,
        Command::Bench(BenchCommand::Scheduler(args)) => bench_scheduler::run(args).await,
        Command::Debug(DebugCommand::StoreTorture { path, iteration }) => {
            krust_store::testing::torture::run_writer(
                &path,
                iteration,
                Box::new(std::io::stdout()),
            )
            .await?;
            Ok(())
        }
    }
}
