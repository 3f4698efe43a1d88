//! BatchTrack, the reference app of tenancy: small-batch production
//! (recipes, FIFO inventory, batches, products) for many organizations in
//! one database, with every tenant table scoped by `tenancy-core`.
//!
//! `main.rs` only parses the command line; everything else lives here so
//! that tests start the same application the binary does.

pub mod configuration;
pub mod db;
pub mod domain;
pub mod http;
pub mod startup;
pub mod telemetry;

pub use startup::{Application, StartupError};

/// Runs the command the configuration names, until it ends or the process
/// is asked to stop (Ctrl-C, SIGTERM).
///
/// # Errors
///
/// When the database cannot be opened or the address cannot be bound.
pub async fn run(config: configuration::Config) -> Result<(), StartupError> {
    let app = Application::build(&config).await?;
    println!(
        "BatchTrack listens on http://{} (database: {})",
        app.address(),
        config.database_url_redacted()
    );
    app.run_until_stopped().await
}
