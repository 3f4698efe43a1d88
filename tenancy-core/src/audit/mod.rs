//! An audit of a live database against the declared models: what the
//! compiler cannot see.
//!
//! The derive proves that the code scopes every statement, but the rules
//! that protect tenants also live in the schema, which the compiler never
//! reads: a migration can add a table that no model declares, leave an
//! organization column nullable or unindexed, create a global `UNIQUE`
//! (which tells one organization what another holds), or reference another
//! table without the composite foreign key that keeps references inside an
//! organization. On PostgreSQL, row-level security is the second wall, and
//! it does not apply to superusers, to roles with `BYPASSRLS`, nor (without
//! `FORCE`) to a table's owner. So [`audit`] reads the catalog of a live
//! database and compares it with the [`Models`], and [`require_clean`]
//! lets an app refuse to start on a defect.
//!
//! The audit reports, one [`Finding`] each:
//! - tables no model declares (the library's own tables from its
//!   migrations, `_sqlx_migrations` and SQLite's internal tables aside), and
//!   declared tables or columns the database lacks;
//! - tables declared by models of different kinds (one scoped, another
//!   global, say), and global models over a table with a column that says
//!   which organization a row belongs to (named as an organization column,
//!   or referencing `organizations`): a global model's reads return every
//!   organization's rows;
//! - scoped tables whose organization column is nullable, or is not the
//!   first column of any index;
//! - primary and unique keys of scoped and shared tables without the
//!   organization column (but for a key on the id alone), and on
//!   PostgreSQL exclusion constraints that do not compare it with `=`;
//! - references between scoped tables that are not composite foreign keys
//!   `(organization_id, x) -> target (organization_id, id)`, and other
//!   references (of inherited tables, to shared ones) without a foreign key;
//! - on PostgreSQL, tenant tables without row-level security enabled and
//!   forced, without the policies of
//!   [`ddl::row_level_security`](crate::ddl::row_level_security) or with
//!   other permissive ones, a connected role (`current_user`) that is a
//!   superuser, has `BYPASSRLS` or owns a declared table, and a tenancy
//!   setting that has a value outside transactions (a stored default or a
//!   session `SET`);
//! - on PostgreSQL, the side doors past the policies that the connected
//!   role could use: partitions of tenant tables (which a statement can
//!   name directly, and which the parent's policies do not hold) without
//!   the table's row-level security; views over tenant tables that read as
//!   an owner the policies do not hold (not `security_invoker`, owned by a
//!   superuser or a role with `BYPASSRLS`), and materialized views of
//!   tenant tables, which have no policies at all, read directly or
//!   through other views;
//! - tenant tables the app declared without row-level security
//!   ([`Models::declare_without_row_level_security`](crate::ddl::Models::declare_without_row_level_security)),
//!   in place of their missing policies: a note, and on PostgreSQL a
//!   defect where the table has row-level security enabled all the same;
//! - and, as a note rather than a defect, inherited tables, which have no
//!   organization column to distribute them by on Citus.
//!
//! On PostgreSQL it reads the tables of `current_schema()` only, and the
//! views of every schema but PostgreSQL's own (a view elsewhere reads the
//! tables as well). Run it with the pool, and so the role, that the app
//! uses: what the role can read and write decides which side doors are
//! open.
//!
//! ```
//! use tenancy_core::{Id, OrgId, Scoped, audit, ddl::Models};
//!
//! #[derive(Scoped)]
//! #[tenancy(table = "recipes")]
//! struct Recipe {
//!     id: Id<Recipe>,
//!     organization_id: OrgId,
//!     name: String,
//! }
//!
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let pool = sqlx::sqlite::SqlitePoolOptions::new()
//!     .max_connections(1)
//!     .connect("sqlite::memory:")
//!     .await?;
//! sqlx::raw_sql(
//!     "CREATE TABLE recipes (id INTEGER PRIMARY KEY, organization_id INTEGER, name TEXT UNIQUE)",
//! )
//! .execute(&pool)
//! .await?;
//! let models = Models::new().with::<Recipe>();
//!
//! let report = audit::audit(&pool, &models).await?;
//! assert!(!report.is_clean());
//! assert_eq!(
//!     report.findings()[0].to_string(),
//!     "scoped table `recipes`: `organization_id` is nullable; declare it NOT NULL"
//! );
//! assert!(report.findings().iter().any(|finding| matches!(
//!     finding,
//!     audit::Finding::KeyWithoutOrgColumn { table, .. } if table == "recipes"
//! )));
//!
//! // At boot: refuse to start.
//! let refused = audit::require_clean(&pool, &models).await.unwrap_err();
//! assert_eq!(refused.report().map(|report| report.defects().count()), Some(3));
//!
//! sqlx::raw_sql(
//!     "DROP TABLE recipes;
//!      CREATE TABLE recipes (id INTEGER PRIMARY KEY, organization_id INTEGER NOT NULL,
//!          name TEXT, UNIQUE (organization_id, id), UNIQUE (organization_id, name))",
//! )
//! .execute(&pool)
//! .await?;
//! assert!(audit::require_clean(&pool, &models).await?.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod check;
mod finding;
mod kinds;
#[cfg(feature = "postgres")]
mod postgres;
mod side_doors;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;

use futures_util::future::BoxFuture;

pub use finding::Finding;

use crate::ddl::Models;
use crate::error::{Error, Result};

mod sealed {
    pub trait Sealed {}
}

/// A database the audit can read the catalog of: `sqlx::Sqlite` (feature
/// `sqlite`) and `sqlx::Postgres` (feature `postgres`).
#[diagnostic::on_unimplemented(
    message = "the schema audit cannot read `{Self}`",
    note = "the audit reads `sqlx::Sqlite` and `sqlx::Postgres`: enable the `sqlite` or \
            `postgres` feature of `tenancy-core`"
)]
pub trait Audited: crate::Backend + sealed::Sealed {
    /// Reads the catalog and compares it with the models.
    #[doc(hidden)]
    fn __audit<'a>(pool: &'a sqlx::Pool<Self>, models: &'a Models)
    -> BoxFuture<'a, Result<Report>>;
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for sqlx::Sqlite {}

#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
impl Audited for sqlx::Sqlite {
    fn __audit<'a>(
        pool: &'a sqlx::Pool<Self>,
        models: &'a Models,
    ) -> BoxFuture<'a, Result<Report>> {
        Box::pin(async move { Ok(check::check(models, &sqlite::catalog(pool, models).await?)) })
    }
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::Postgres {}

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
impl Audited for sqlx::Postgres {
    fn __audit<'a>(
        pool: &'a sqlx::Pool<Self>,
        models: &'a Models,
    ) -> BoxFuture<'a, Result<Report>> {
        Box::pin(async move {
            Ok(check::check(
                models,
                &postgres::catalog(pool, models).await?,
            ))
        })
    }
}

/// Compares the live database behind `pool` with `models`, and reports
/// every finding.
///
/// It only reads the catalog. On PostgreSQL the role findings are about
/// the role `pool` connects as, so audit with the app's own pool.
///
/// # Errors
///
/// [`Error::Database`] when the catalog cannot be read.
pub async fn audit<DB: Audited>(pool: &sqlx::Pool<DB>, models: &Models) -> Result<Report> {
    DB::__audit(pool, models).await
}

/// [`audit`], failing closed: an app calls it at boot and refuses to start
/// on its error, which lists every defect.
///
/// Returns the report when it has no defect (it may have notes).
///
/// # Errors
///
/// [`AuditFailed::Defects`] when the audit found a defect, and
/// [`AuditFailed::Database`] when it could not read the catalog: an audit
/// that did not run did not pass.
pub async fn require_clean<DB: Audited>(
    pool: &sqlx::Pool<DB>,
    models: &Models,
) -> Result<Report, AuditFailed> {
    let report = audit(pool, models).await.map_err(AuditFailed::Database)?;
    if report.is_clean() {
        Ok(report)
    } else {
        Err(AuditFailed::Defects(report))
    }
}

/// What an audit found, in a stable order: the connected role, undeclared
/// tables, tables declared with different kinds, each model in
/// declaration order, then views by name; each finding once, however many
/// models of one table find it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    findings: Vec<Finding>,
}

impl Report {
    /// Every finding: defects and notes.
    #[must_use]
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether the audit found no defect (notes aside).
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.defects().next().is_none()
    }

    /// The findings that are defects.
    pub fn defects(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|finding| finding.is_defect())
    }

    /// The findings that are notes, not defects.
    pub fn notes(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|finding| !finding.is_defect())
    }
}

impl<'a> IntoIterator for &'a Report {
    type Item = &'a Finding;
    type IntoIter = std::slice::Iter<'a, Finding>;

    fn into_iter(self) -> Self::IntoIter {
        self.findings.iter()
    }
}

impl fmt::Display for Report {
    /// One line per finding, or `no findings`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.findings.is_empty() {
            return f.write_str("no findings");
        }
        for (at, finding) in self.findings.iter().enumerate() {
            if at > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Why [`require_clean`] refused the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditFailed {
    /// The audit found defects; `Display` lists them, one per line.
    #[error("{}", defects(.0))]
    Defects(Report),
    /// The audit could not read the catalog; the cause is the
    /// [`source`](std::error::Error::source).
    #[error("the schema audit could not read the database catalog")]
    Database(#[source] Error),
}

impl AuditFailed {
    /// The report, when the audit ran.
    #[must_use]
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Defects(report) => Some(report),
            Self::Database(_) => None,
        }
    }
}

fn defects(report: &Report) -> String {
    let lines: Vec<String> = report
        .defects()
        .map(|defect| format!("  - {defect}"))
        .collect();
    let count = lines.len();
    let plural = if count == 1 { "" } else { "s" };
    format!(
        "the schema audit found {count} defect{plural}:\n{}",
        lines.join("\n")
    )
}
