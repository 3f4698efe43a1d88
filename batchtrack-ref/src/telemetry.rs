//! Logging: one subscriber for the process, filtered by configuration.

use tracing_subscriber::EnvFilter;

/// Installs the process's log subscriber; a second call does nothing.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
