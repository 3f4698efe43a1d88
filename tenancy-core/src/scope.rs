//! Scopes: the proof of which organization the code acts for, and who acts.
//!
//! Every read and write of a scoped model takes a [`Scope`]; none takes an
//! organization id. A `Scope` cannot be built with a struct literal, only by
//! a named constructor that says where it came from (an authenticated
//! member, a developer who selected an organization, a background job), so
//! that every place where code starts acting for an organization can be
//! found with a text search. There is no ambient "current tenant" in a
//! thread- or task-local to leak between requests, jobs or tests.
//!
//! Cross-organization work (reports, billing runs) uses a different type,
//! [`SystemScope`], which carries a reason. Neither type stands in for the
//! other: a function that needs one does not compile with the other.

use futures_util::future::BoxFuture;

use crate::error::{Error, Result};
use crate::exec::{self, Backend, Tenant};
use crate::id::{OrgId, UserId};
use crate::model::OrgOwned;

/// Who acts through a [`Scope`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Actor {
    /// A user acting in an organization they belong to.
    Member {
        /// The signed-in user.
        user: UserId,
    },
    /// A developer (support staff, superadmin) acting inside an organization
    /// they selected, without belonging to it.
    Developer {
        /// The signed-in developer.
        user: UserId,
    },
    /// A background job that acts for one organization.
    Job {
        /// Why the job acts, for logs and audits.
        reason: &'static str,
    },
}

impl Actor {
    /// The user who acts, if a user does (a member or a developer; a job
    /// is nobody): what "who did it" columns record.
    #[must_use]
    pub fn user(&self) -> Option<UserId> {
        match self {
            Self::Member { user } | Self::Developer { user } => Some(*user),
            Self::Job { .. } => None,
        }
    }
}

/// Proof of which organization the code acts for, and who acts.
///
/// A `Scope` is exactly one organization. Its fields are private: it is
/// built by authentication, once it has checked who the user is and that
/// they belong to the organization, or rebuilt by a background job with
/// [`Scope::for_job`]. It cannot be deserialized, defaulted or converted
/// from an [`OrgId`].
///
/// ```compile_fail
/// # use tenancy_core::{OrgId, Scope};
/// // error[E0451]: fields of `Scope` are private
/// let scope = Scope { org: OrgId::new(1) };
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    org: OrgId,
    actor: Actor,
}

impl Scope {
    /// A scope for a user acting in one of their own organizations.
    ///
    /// Call it only once the user is authenticated and their membership of
    /// `org` is checked: in a web app, in the layer that authenticates
    /// requests, never in a handler.
    #[must_use]
    pub const fn for_member(org: OrgId, user: UserId) -> Self {
        Self {
            org,
            actor: Actor::Member { user },
        }
    }

    /// A scope for a developer acting inside an organization they selected.
    ///
    /// Call it only once the user is authenticated and known to be a
    /// developer. The actor stays visible as [`Actor::Developer`], so that
    /// what they do can be told apart from what members do.
    #[must_use]
    pub const fn for_developer(org: OrgId, user: UserId) -> Self {
        Self {
            org,
            actor: Actor::Developer { user },
        }
    }

    /// A scope for a background job acting for one organization.
    ///
    /// Jobs carry the [`OrgId`] in their payload and rebuild their scope
    /// here, with a reason that says what the job is:
    ///
    /// ```
    /// # use tenancy_core::{OrgId, Scope};
    /// let scope = Scope::for_job(OrgId::new(42), "nightly stock expiry");
    /// assert_eq!(scope.org(), OrgId::new(42));
    /// ```
    #[must_use]
    pub const fn for_job(org: OrgId, reason: &'static str) -> Self {
        Self {
            org,
            actor: Actor::Job { reason },
        }
    }

    /// The organization this scope acts for.
    #[must_use]
    pub const fn org(&self) -> OrgId {
        self.org
    }

    /// Who acts through this scope.
    #[must_use]
    pub const fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Begins a transaction that acts for this scope's organization, for
    /// several operations that must commit together.
    ///
    /// On PostgreSQL the transaction names the organization in the
    /// transaction-local setting that row-level security reads
    /// ([`ddl::row_level_security`](crate::ddl::row_level_security)), in
    /// the same message as its `BEGIN`, so beginning costs one round trip
    /// and the statements inside none extra. The setting ends with the
    /// transaction: a pooled connection never carries it to its next user.
    /// On SQLite it is a plain transaction.
    ///
    /// Pass it as `&mut *tx` to the operations of this scope. A transaction
    /// begun otherwise (`pool.begin()`, or a raw `BEGIN`, which sqlx does
    /// not track) names no organization, so on tables with row-level
    /// security it sees no row and writes none: begin it here, on the
    /// app's pool (on the pool of the system role, raw SQL in it would see
    /// every organization). Give a [`SystemScope`]'s operations a
    /// transaction of [`SystemScope::begin`].
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when no connection is available or the
    /// transaction does not begin.
    pub async fn begin<DB: Backend>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> Result<sqlx::Transaction<'static, DB>> {
        exec::begin_on_pool(pool, Tenant::Org(self.org)).await
    }

    /// Runs `work` in a transaction for writing that acts for this scope's
    /// organization, commits it, and runs it again when concurrent work
    /// got in the way: the way to write read-modify-write steps that must
    /// all happen or none.
    ///
    /// On SQLite the transaction begins `BEGIN IMMEDIATE`: it takes the
    /// database's write lock at once, waiting for it up to the pool's busy
    /// timeout ([`pool::sqlite_options`](crate::pool::sqlite_options)), so
    /// writers queue instead of failing halfway. On PostgreSQL it is the
    /// transaction of [`Scope::begin`]. When the database answers
    /// [`Error::Busy`] (SQLite's busy timeout passed; PostgreSQL's
    /// serialization failure or deadlock), the transaction rolls back and
    /// `work` runs again in a new one, up to 5 times in all, after a short
    /// random pause; a `Busy` that persists is returned (answered `503`
    /// over HTTP). Any other error rolls back and is returned at once.
    ///
    /// `work` may run more than once, so it must not have effects outside
    /// the transaction (send mail after `write` returns); a run that
    /// failed wrote nothing.
    ///
    /// ```no_run
    /// # use tenancy_core::{Id, OrgId, Scope, Scoped};
    /// # #[derive(Scoped)]
    /// # #[tenancy(table = "lots")]
    /// # struct Lot { id: Id<Lot>, organization_id: OrgId, quantity: i64 }
    /// # #[cfg(feature = "sqlite")]
    /// # async fn demo(pool: sqlx::SqlitePool, scope: Scope, from: Id<Lot>, to: Id<Lot>) -> tenancy_core::Result<()> {
    /// // Move 5 from one lot to another: both or neither.
    /// let scope = &scope;
    /// scope
    ///     .write(&pool, |tx| {
    ///         Box::pin(async move {
    ///             Lot::update(scope, from)
    ///                 .subtract(Lot::QUANTITY, 5)
    ///                 .only_if(Lot::QUANTITY.gte(5))
    ///                 .execute(&mut **tx)
    ///                 .await?;
    ///             Lot::update(scope, to).add(Lot::QUANTITY, 5).execute(&mut **tx).await
    ///         })
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// # #[cfg(feature = "sqlite")]
    /// # fn spawned(pool: sqlx::SqlitePool, scope: Scope, from: Id<Lot>, to: Id<Lot>) {
    /// #     // The future is `Send`: it runs in a spawned task or an axum handler.
    /// #     tokio::spawn(demo(pool, scope, from, to));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The error of `work`, of beginning or of committing; [`Error::Busy`]
    /// when every run met concurrent work.
    pub async fn write<'a, DB, T, F>(&'a self, pool: &'a sqlx::Pool<DB>, work: F) -> Result<T>
    where
        DB: Backend,
        T: Send,
        F: for<'t> FnMut(&'t mut sqlx::Transaction<'a, DB>) -> BoxFuture<'t, Result<T>> + Send + 'a,
    {
        exec::write(pool, Tenant::Org(self.org), work).await
    }

    /// Checks that `row`, obtained by some other path than this scope (a
    /// cache, a join, a message), belongs to this scope's organization.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the row belongs to another organization:
    /// the same answer as for a row that does not exist.
    pub fn ensure_owns<M: OrgOwned>(&self, row: &M) -> Result<()> {
        if row.organization_id() == self.org {
            Ok(())
        } else {
            Err(Error::NotFound { table: M::TABLE })
        }
    }
}

/// Proof that the code does cross-organization work, and why.
///
/// Reports and billing runs that read several organizations at once take a
/// `SystemScope`. It is a different type from [`Scope`]: neither can be
/// passed where the other is required.
///
/// ```
/// # use tenancy_core::SystemScope;
/// let system = SystemScope::new("monthly usage report")?;
/// assert_eq!(system.reason(), "monthly usage report");
/// # Ok::<(), tenancy_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemScope {
    reason: &'static str,
}

impl SystemScope {
    /// A scope for cross-organization work, with the reason it is needed.
    ///
    /// The reason is what logs and audits show for every cross-organization
    /// operation, so one that says nothing is refused: a `SystemScope`
    /// reads every organization, and "why" must never be blank.
    ///
    /// ```
    /// # use tenancy_core::{Error, SystemScope};
    /// let refused = SystemScope::new("  ");
    /// assert!(matches!(refused, Err(Error::Invalid { ref field, .. }) if field == "reason"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `reason`) when `reason` is empty or only
    /// whitespace.
    pub fn new(reason: &'static str) -> Result<Self> {
        if reason.trim().is_empty() {
            return Err(Error::invalid(
                "reason",
                "a SystemScope needs a reason that says why it acts across organizations",
            ));
        }
        Ok(Self { reason })
    }

    /// Why this cross-organization work is done.
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        self.reason
    }

    /// Begins a transaction for cross-organization work, logged with the
    /// reason.
    ///
    /// On PostgreSQL with row-level security, work across organizations is
    /// a database role, not a setting: `pool` must connect as a login that
    /// is a member of the system role the policies let through
    /// ([`ddl::SYSTEM_ROLE`](crate::ddl::SYSTEM_ROLE)); the app's own pool
    /// is not, so that raw SQL on it can never read every organization. The
    /// role is checked when the transaction begins. On SQLite, or without
    /// policies, it is a plain transaction. Operations of a [`Scope`] in it
    /// still name their organization in every statement.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when no connection is available, the transaction
    /// does not begin, or `pool`'s role may not work across organizations
    /// (a configuration error, logged as such).
    pub async fn begin<DB: Backend>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> Result<sqlx::Transaction<'static, DB>> {
        tracing::info!(
            reason = self.reason,
            "tenancy: cross-organization transaction"
        );
        exec::begin_on_pool(pool, Tenant::System).await
    }

    /// [`Scope::write`] for cross-organization work: `work` runs in a
    /// transaction for writing on `pool` (of the system role, as for
    /// [`SystemScope::begin`]), committed, and run again when concurrent
    /// work got in the way.
    ///
    /// # Errors
    ///
    /// As [`Scope::write`], and as [`SystemScope::begin`] when `pool`'s role
    /// may not work across organizations.
    pub async fn write<'a, DB, T, F>(&'a self, pool: &'a sqlx::Pool<DB>, work: F) -> Result<T>
    where
        DB: Backend,
        T: Send,
        F: for<'t> FnMut(&'t mut sqlx::Transaction<'a, DB>) -> BoxFuture<'t, Result<T>> + Send + 'a,
    {
        tracing::info!(
            reason = self.reason,
            "tenancy: cross-organization write transaction"
        );
        exec::write(pool, Tenant::System, work).await
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Scope {}
    impl Sealed for super::SystemScope {}
}

/// Implemented by [`Scope`] only: what acts for exactly one organization.
///
/// It exists so that passing a [`SystemScope`] where one organization is
/// meant fails to compile with a message that says what to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot act for one organization",
    label = "expected a `Scope` here",
    note = "reads and writes of tenant rows take the `Scope` of one organization: \
            use the request's `Scope`, or `Scope::for_job(org, \"reason\")` in a background job"
)]
pub trait ActsForOrg: sealed::Sealed {
    /// The organization acted for.
    fn acting_org(&self) -> OrgId;
}

impl ActsForOrg for Scope {
    fn acting_org(&self) -> OrgId {
        self.org
    }
}

/// Implemented by [`SystemScope`] only: what may act across organizations.
///
/// It exists so that passing a tenant [`Scope`] to cross-organization work
/// fails to compile with a message that says what to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot act across organizations",
    label = "expected a `SystemScope` here",
    note = "cross-organization work (reports, billing runs) takes \
            `SystemScope::new(\"reason\")?`; a `Scope` only ever sees its own organization"
)]
pub trait ActsAcrossOrgs: sealed::Sealed {
    /// Why the cross-organization work is done.
    fn acting_reason(&self) -> &'static str;
}

impl ActsAcrossOrgs for SystemScope {
    fn acting_reason(&self) -> &'static str {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_system_scope_without_a_reason_is_refused() {
        for blank in ["", " ", "\t\n "] {
            assert!(
                matches!(SystemScope::new(blank), Err(Error::Invalid { ref field, .. }) if field == "reason"),
                "{blank:?} was accepted"
            );
        }
        let report = SystemScope::new(" monthly report ").map(|s| s.reason());
        assert_eq!(report.ok(), Some(" monthly report "));
    }

    #[test]
    fn constructors_record_the_actor() {
        let org = OrgId::new(3);
        assert_eq!(
            Scope::for_member(org, UserId::new(9)).actor(),
            &Actor::Member {
                user: UserId::new(9)
            }
        );
        assert_eq!(
            Scope::for_developer(org, UserId::new(1)).actor(),
            &Actor::Developer {
                user: UserId::new(1)
            }
        );
        assert_eq!(
            Scope::for_job(org, "expiry").actor(),
            &Actor::Job { reason: "expiry" }
        );
    }
}
