//! Command-line and environment configuration: the commands of
//! `batchtrack-ref`, and what serving needs.

use std::net::SocketAddr;

/// BatchTrack: small-batch production (recipes, FIFO inventory, batches,
/// products) for many organizations in one database.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "batchtrack-ref", version, about)]
pub struct Cli {
    /// What to do; serving when none is named.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Database to use: a SQLite file (`sqlite://batchtrack.db`, created if
    /// missing) or PostgreSQL (`postgres://...`).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://batchtrack.db",
        global = true
    )]
    pub database_url: String,

    /// Address to serve on; port 0 picks a free port.
    #[arg(
        long,
        env = "BATCHTRACK_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// Log filter, in `tracing_subscriber::EnvFilter` syntax.
    #[arg(long, env = "BATCHTRACK_LOG", default_value = "info", global = true)]
    pub log: String,

    /// PostgreSQL only: a login of the system role, which sign-up writes
    /// new organizations with. Without it, the server takes no sign-ups.
    #[arg(long, env = "BATCHTRACK_SYSTEM_DATABASE_URL", global = true)]
    pub system_database_url: Option<String>,

    /// Stripe's webhook signing secret (`whsec_...`): with it, billing
    /// events are received at `/api/v1/billing/stripe/webhook`.
    #[arg(
        long,
        env = "STRIPE_WEBHOOK_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub stripe_webhook_secret: Option<String>,
}

/// The commands of `batchtrack-ref`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Serve the app (the default). A SQLite file is migrated first; a
    /// PostgreSQL database must have been migrated by its owner
    /// (`migrate`). Either way the schema audit must pass.
    Serve,
    /// Apply the migrations not applied yet and, on PostgreSQL, the
    /// row-level security policies; run it as the tables' owner, not as the
    /// role the app serves with.
    Migrate,
    /// Check the live schema against the models (keys, references,
    /// row-level security, the connected role) and list what it finds;
    /// fails on a defect. Run it with the role the app serves with.
    Audit,
    /// Write data: `--demo`, the demo organizations and logins (once; run
    /// again, it writes nothing). On PostgreSQL, run it with a login of the
    /// system role.
    Seed {
        /// The demo: "Acme Soap Co" and "Birch Candle Works".
        #[arg(long)]
        demo: bool,
    },
    /// Print the DDL that distributes the tables on Citus, parents first.
    CitusDdl {
        /// The role the app serves with, which Citus must forward the
        /// organization setting for.
        #[arg(long, default_value = "batchtrack_app")]
        app_role: String,
    },
}

impl Cli {
    /// What serving needs of the command line.
    #[must_use]
    pub fn config(&self) -> Config {
        Config {
            listen: self.listen,
            database_url: self.database_url.clone(),
            log: self.log.clone(),
            system_database_url: self.system_database_url.clone(),
            stripe_webhook_secret: self.stripe_webhook_secret.clone(),
        }
    }
}

/// Where BatchTrack serves and what it stores its data in.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to serve on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `sqlite://<file>` or `postgres://...`.
    pub database_url: String,
    /// Log filter, in `tracing_subscriber::EnvFilter` syntax.
    pub log: String,
    /// PostgreSQL only: a login of the system role, for sign-up and
    /// Stripe's webhook.
    pub system_database_url: Option<String>,
    /// Stripe's webhook signing secret.
    pub stripe_webhook_secret: Option<String>,
}

/// `url` with its password, if any, replaced by `***`: safe to print and
/// log.
#[must_use]
pub fn redact_password(url: &str) -> String {
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
