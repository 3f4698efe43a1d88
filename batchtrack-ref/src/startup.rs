//! Building and running the application: the database, the listener, the
//! router.

use crate::configuration::Config;
use crate::http::{self, Database};
use std::net::SocketAddr;

/// Why the application could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The database URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL `{0}`: use sqlite://<file> or postgres://...")]
    UnsupportedDatabase(String),
    /// The database could not be opened.
    #[error("cannot open the database")]
    Database(#[source] sqlx::Error),
    /// The schema could not be migrated, or its audit found defects.
    #[error("the database schema is not ready")]
    Schema(#[source] crate::db::SchemaError),
    /// The audit could not read the database's catalog.
    #[error("cannot read the database's schema")]
    Catalog(#[source] tenancy_core::Error),
    /// The units could not be read.
    #[error("cannot read the units")]
    Units(#[source] tenancy_core::Error),
    /// The demo could not be written.
    #[error("cannot write the demo")]
    Seed(#[source] crate::domain::DomainError),
    /// `seed` without anything to write.
    #[error("name what to seed: `seed --demo`")]
    NothingToSeed,
    /// `audit` found defects (listed on standard output).
    #[error("the schema audit found {0} defect(s)")]
    Defects(usize),
    /// The address could not be bound, or serving failed.
    #[error("cannot serve on the configured address")]
    Serve(#[source] std::io::Error),
}

/// A bound, ready-to-serve application.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    database: Database,
    router: axum::Router,
}

impl Application {
    /// Opens the database, prepares its schema and binds the address.
    ///
    /// An SQLite file is migrated (created when missing); a PostgreSQL
    /// database is expected migrated by its owner (`db::migrate`), since
    /// the role the app serves with must not own the tables for
    /// row-level security to hold it. Either way the schema audit runs
    /// and the app refuses to start on a defect.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened, migrated or passes not the
    /// audit, or the address cannot be bound.
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let database = connect(&config.database_url).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(StartupError::Serve)?;
        let address = listener.local_addr().map_err(StartupError::Serve)?;
        let system = match (&database, &config.system_database_url) {
            (Database::Postgres(_), Some(url)) => match open(url).await? {
                Database::Postgres(pool) => Some(pool),
                Database::Sqlite(_) => {
                    return Err(StartupError::UnsupportedDatabase(url.clone()));
                }
            },
            _ => None,
        };
        let stripe = config
            .stripe_webhook_secret
            .as_deref()
            .map(tenancy_access::billing::stripe::WebhookVerifier::new);
        let router = http::app(&database, system, stripe)
            .await
            .map_err(StartupError::Units)?;
        Ok(Self {
            listener,
            address,
            database,
            router,
        })
    }

    /// The database it serves.
    #[must_use]
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The address it listens on (with the real port when 0 was asked for).
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests under way.
    ///
    /// # Errors
    ///
    /// When serving fails.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(StartupError::Serve)
    }
}

/// Opens the database of `url`, as the app serves with it: migrated on
/// SQLite, audited on both.
async fn connect(url: &str) -> Result<Database, StartupError> {
    let database = open(url).await?;
    match &database {
        Database::Sqlite(pool) => {
            crate::db::migrate(pool)
                .await
                .map_err(StartupError::Schema)?;
            crate::db::require_clean(pool).await
        }
        Database::Postgres(pool) => crate::db::require_clean(pool).await,
    }
    .map_err(StartupError::Schema)?;
    Ok(database)
}

/// Opens the database of `url` (a SQLite file is created when missing),
/// and nothing more.
///
/// # Errors
///
/// [`StartupError::UnsupportedDatabase`] for a URL of another database,
/// [`StartupError::Database`] when it cannot be opened.
pub async fn open(url: &str) -> Result<Database, StartupError> {
    if url.starts_with("sqlite:") {
        let options = tenancy_core::pool::sqlite_options(url).map_err(|error| match error {
            tenancy_core::Error::Database(error) => StartupError::Database(error),
            _ => StartupError::UnsupportedDatabase(url.to_owned()),
        })?;
        let pool = tenancy_core::pool::options()
            .connect_with(options)
            .await
            .map_err(StartupError::Database)?;
        Ok(Database::Sqlite(pool))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let pool = tenancy_core::pool::options()
            .connect(url)
            .await
            .map_err(StartupError::Database)?;
        Ok(Database::Postgres(pool))
    } else {
        Err(StartupError::UnsupportedDatabase(url.to_owned()))
    }
}

/// `migrate`: the migrations and, on PostgreSQL, row-level security.
///
/// # Errors
///
/// As [`open`], and [`StartupError::Schema`] when a migration fails.
pub async fn migrate(url: &str) -> Result<(), StartupError> {
    match open(url).await? {
        Database::Sqlite(pool) => crate::db::migrate(&pool).await,
        Database::Postgres(pool) => crate::db::migrate(&pool).await,
    }
    .map_err(StartupError::Schema)
}

/// `audit`: the schema audit's report, for the role of `url`.
///
/// # Errors
///
/// As [`open`], and [`StartupError::Catalog`] when the audit cannot read
/// the catalog.
pub async fn audit(url: &str) -> Result<tenancy_core::audit::Report, StartupError> {
    let models = crate::domain::models();
    let report = match open(url).await? {
        Database::Sqlite(pool) => tenancy_core::audit::audit(&pool, &models).await,
        Database::Postgres(pool) => tenancy_core::audit::audit(&pool, &models).await,
    };
    report.map_err(StartupError::Catalog)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
