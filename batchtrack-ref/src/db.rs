//! The database: migrations for each backend, row-level security on
//! PostgreSQL, and the schema audit the app runs before it serves.

use std::borrow::Cow;

use sqlx::migrate::{Migrate, Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use crate::domain::{self, Store};

/// Why the database could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A migration failed or does not match the one applied before.
    #[error("cannot migrate the database")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The row-level security statements failed.
    #[error("cannot apply row-level security")]
    RowLevelSecurity(#[source] sqlx::Error),
    /// The schema audit found defects, or could not run.
    #[error("the schema audit refused the database")]
    Audit(#[source] tenancy_core::audit::AuditFailed),
}

fn migration(version: i64, description: &'static str, sql: &'static str) -> Migration {
    Migration::new(
        version,
        Cow::Borrowed(description),
        MigrationType::Simple,
        AssertSqlSafe(sql).into_sql_str(),
        false,
    )
}

/// BatchTrack's migrations on `DB`, in order: the access tables of
/// `tenancy-access`, the domain's tables, the units, the HTTP API's
/// idempotency keys.
#[must_use]
pub fn migrator<DB: Store>() -> Migrator {
    let postgres = <DB as sqlx::Database>::NAME == "PostgreSQL";
    let (access, domain, idempotency) = if postgres {
        (
            tenancy_access::schema::POSTGRES,
            include_str!("../migrations/postgres/0001_domain.sql"),
            include_str!("../migrations/postgres/0002_idempotency.sql"),
        )
    } else {
        (
            tenancy_access::schema::SQLITE,
            include_str!("../migrations/sqlite/0001_domain.sql"),
            include_str!("../migrations/sqlite/0002_idempotency.sql"),
        )
    };
    Migrator::with_migrations(vec![
        migration(1, "access tables", access),
        migration(2, "domain tables", domain),
        migration(3, "units", include_str!("../migrations/units.sql")),
        migration(4, "idempotency keys", idempotency),
    ])
}

/// Applies the migrations not applied yet and, on PostgreSQL, the
/// row-level security policies of every model (they replace themselves,
/// so they are applied every time). Run it as the tables' owner.
///
/// # Errors
///
/// [`SchemaError::Migrate`], [`SchemaError::RowLevelSecurity`].
pub async fn migrate<DB>(pool: &sqlx::Pool<DB>) -> Result<(), SchemaError>
where
    DB: Store,
    DB::Connection: Migrate,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    migrator::<DB>()
        .run(pool)
        .await
        .map_err(SchemaError::Migrate)?;
    if <DB as sqlx::Database>::NAME == "PostgreSQL" {
        for statement in tenancy_core::ddl::row_level_security(&domain::models()) {
            sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(pool)
                .await
                .map_err(SchemaError::RowLevelSecurity)?;
        }
    }
    Ok(())
}

/// Audits the live schema against the models and refuses it on any
/// defect; run it on the pool the app serves with.
///
/// # Errors
///
/// [`SchemaError::Audit`], whose source lists the defects.
pub async fn require_clean<DB: Store>(
    pool: &sqlx::Pool<DB>,
) -> Result<tenancy_core::audit::Report, SchemaError> {
    tenancy_core::audit::require_clean(pool, &domain::models())
        .await
        .map_err(SchemaError::Audit)
}
