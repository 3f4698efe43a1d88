//! `batchtrack-ref`: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = batchtrack_ref::configuration::Cli::parse();
    batchtrack_ref::telemetry::init(&cli.log);
    match batchtrack_ref::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "batchtrack stopped");
            eprintln!("batchtrack: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
