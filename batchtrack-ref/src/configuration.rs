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

impl Config {
    /// The database URL with its password, if any, replaced by `***`: safe
    /// to print and log.
    #[must_use]
    pub fn database_url_redacted(&self) -> String {
        redact_password(&self.database_url)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_password("postgres://app:s3cr:et@db.example:5432/batchtrack"),
            "postgres://app:***@db.example:5432/batchtrack"
        );
        assert_eq!(
            redact_password("postgres://app@db/batchtrack"),
            "postgres://app@db/batchtrack"
        );
        assert_eq!(
            redact_password("sqlite://batchtrack.db"),
            "sqlite://batchtrack.db"
        );
        assert_eq!(
            redact_password("sqlite://dir@home/b.db"),
            "sqlite://dir@home/b.db"
        );
    }
}
