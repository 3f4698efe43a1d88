//! Deletes and restores: one row by id, with the children a soft delete
//! cascades to.

use std::fmt;

use futures_util::future::BoxFuture;
use sea_query::{Value, Values};
use sqlx::Acquire;

use super::plan::ShapeKey;
use super::select::key_access;
use super::{Cascade, Reach, cascade, refusal, sentinel};
use crate::error::Result;
use crate::exec::{self, Backend, Binds, Lent, Prepared};
use crate::id::{Id, OrgId};
use crate::model::{Stores, Table};

/// The deletion of one row, built by [`Scoped::delete`](crate::Scoped::delete).
///
/// With soft delete the row is deactivated instead, and so are the active
/// children of the cascades the model declares, in one transaction.
#[must_use = "a delete does nothing until it is executed"]
pub struct Delete<M> {
    reach: Reach,
    id: Id<M>,
}

impl<M: Table> Delete<M> {
    pub(crate) fn for_org(org: OrgId, id: Id<M>) -> Self {
        Self {
            reach: Reach::Org(org),
            id,
        }
    }

    pub(crate) fn system(id: Id<M>) -> Self {
        Self {
            reach: Reach::SystemRows,
            id,
        }
    }

    pub(crate) fn global(id: Id<M>) -> Self {
        Self {
            reach: Reach::All,
            id,
        }
    }

    /// The SQL this delete runs on `DB` (without its cascades), with the
    /// values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let id = Value::BigInt(Some(self.id.get()));
        super::delete(M::__model(), &self.reach.access(), id).render::<DB>()
    }

    /// Deletes (or deactivates) the row.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`); cascades
    /// run in a transaction of their own (a savepoint inside the caller's).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when no (active) row has this id in the scope's
    /// organization (rows of other organizations are left alone and
    /// reported the same way); [`Error::Forbidden`](crate::Error::Forbidden) for a system row of a
    /// shared table; [`Error::Conflict`](crate::Error::Conflict) when other rows still reference
    /// it; [`Error::Database`](crate::Error::Database) when a statement fails.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<()>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let key = ShapeKey::Delete {
            access: self.reach.kind(),
        };
        let binds = Binds::<M> {
            org: self.reach.org(),
            id: Some(self.id.get()),
            ..Binds::default()
        };
        let prepared = Prepared::<DB>::from_cache(
            key,
            || super::delete(model, &key_access(key), sentinel::id()),
            &binds,
        )?;
        let (reach, id) = (self.reach, self.id.get());
        with_cascades::<M, DB, _, _>(
            connection,
            reach,
            id,
            Cascade::Deactivate,
            move |mut lent| {
                Box::pin(async move {
                    let deleted = prepared.execute(&mut lent).await?;
                    if deleted == 0 {
                        let model = M::__model();
                        return Err(refusal::explain::<DB>(
                            &mut lent,
                            model,
                            reach,
                            Some(id),
                            false,
                            &[],
                            Vec::new(),
                        )
                        .await);
                    }
                    Ok(())
                })
            },
        )
        .await
    }
}

/// Runs `step` on the row `id` of `M`, then `action` on its cascade
/// children, in one transaction (a savepoint inside the caller's); without
/// cascades, just `step`, in no more of a transaction than naming the
/// tenant needs.
async fn with_cascades<'c, M, DB, A, T>(
    connection: A,
    reach: Reach,
    id: i64,
    action: Cascade,
    step: impl for<'a> FnOnce(Lent<'a, DB>) -> BoxFuture<'a, Result<T>> + Send + 'static,
) -> Result<T>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    M: Table,
    DB: Stores<M>,
    DB: Backend,
    T: Send + 'static,
{
    let model = M::__model();
    let tenant = reach.tenant(model);
    if model.cascades.is_empty() {
        return exec::run(connection, tenant, step).await;
    }
    exec::run_atomic(connection, tenant, move |mut lent| {
        Box::pin(async move {
            let out = step(lent.reborrow()).await?;
            cascade::<M, DB>(&mut lent, reach, id, action).await?;
            Ok(out)
        })
    })
    .await
}

/// Runs `action` on every row the cascades of `M` reach from the row
/// `parent_id`, one statement per chain of declared cascades, parents
/// first.
async fn cascade<M, DB>(
    connection: &mut Lent<'_, DB>,
    reach: Reach,
    parent_id: i64,
    action: Cascade,
) -> Result<()>
where
    M: Table,
    DB: Stores<M>,
    DB: Backend,
{
    let model = M::__model();
    for (step, chain) in cascade::chains(model).iter().enumerate() {
        let key = ShapeKey::Cascade {
            access: reach.kind(),
            step,
            action,
        };
        let binds = Binds::<M> {
            org: reach.org(),
            id: Some(parent_id),
            ..Binds::default()
        };
        Prepared::<DB>::from_cache(
            key,
            || cascade::statement(chain, &key_access(key), sentinel::id(), action),
            &binds,
        )?
        .execute(connection)
        .await?;
    }
    Ok(())
}

impl<M> fmt::Debug for Delete<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delete")
            .field("reach", &self.reach)
            .field("id", &self.id)
            .finish()
    }
}

/// The restoration of one soft-deleted row, with the children its deletion
/// deactivated, built by [`SoftDelete::restore`](crate::SoftDelete::restore).
#[must_use = "a restore does nothing until it is executed"]
pub struct Restore<M> {
    reach: Reach,
    id: Id<M>,
}

impl<M: Table> Restore<M> {
    pub(crate) fn for_org(org: OrgId, id: Id<M>) -> Self {
        Self {
            reach: Reach::Org(org),
            id,
        }
    }

    /// The SQL this restore runs on `DB` (without its cascades), with the
    /// values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let id = Value::BigInt(Some(self.id.get()));
        super::restore(M::__model(), &self.reach.access(), id).render::<DB>()
    }

    /// Reactivates the row (an active row stays as it is) and the children
    /// its deletion deactivated, and returns it as stored.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when no row has this id in the scope's
    /// organization; [`Error::Database`](crate::Error::Database) when a statement fails.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<M>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let key = ShapeKey::Restore {
            access: self.reach.kind(),
        };
        let binds = Binds::<M> {
            org: self.reach.org(),
            id: Some(self.id.get()),
            ..Binds::default()
        };
        let prepared = Prepared::<DB>::from_cache(
            key,
            || super::restore(model, &key_access(key), sentinel::id()),
            &binds,
        )?;
        let (reach, id) = (self.reach, self.id.get());
        with_cascades::<M, DB, _, _>(connection, reach, id, Cascade::Restore, move |mut lent| {
            Box::pin(async move {
                match prepared.fetch_optional(&mut lent).await? {
                    Some(row) => Ok(row),
                    None => {
                        let model = M::__model();
                        Err(refusal::explain::<DB>(
                            &mut lent,
                            model,
                            reach,
                            Some(id),
                            true,
                            &[],
                            Vec::new(),
                        )
                        .await)
                    }
                }
            })
        })
        .await
    }
}

impl<M> fmt::Debug for Restore<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Restore")
            .field("reach", &self.reach)
            .field("id", &self.id)
            .finish()
    }
}
