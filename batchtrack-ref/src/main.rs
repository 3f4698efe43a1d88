//! `batchtrack-ref`: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = batchtrack_ref::configuration::Config::parse();
    batchtrack_ref::telemetry::init(&config.log);
    match batchtrack_ref::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "batchtrack stopped");
            eprintln!("batchtrack: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
