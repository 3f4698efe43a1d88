//! Command-line and environment configuration.

use std::net::SocketAddr;

/// Where BatchTrack listens and what it stores its data in.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "batchtrack-ref", version, about)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "BATCHTRACK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Database to use: a SQLite file (`sqlite://batchtrack.db`, created if
    /// missing) or PostgreSQL (`postgres://...`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://batchtrack.db")]
    pub database_url: String,

    /// Log filter, in `tracing_subscriber::EnvFilter` syntax.
    #[arg(long, env = "BATCHTRACK_LOG", default_value = "info")]
    pub log: String,
}
