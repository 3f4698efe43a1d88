//! Finds: the one row with an id.

use std::fmt;

use sea_query::{Value, Values};
use sqlx::Acquire;

use super::key_access;
use crate::error::{Error, Result};
use crate::exec::{self, Backend, Binds, Prepared};
use crate::id::{Id, OrgId};
use crate::model::{SoftDelete, Stores, Table};
use crate::query::{Reach, ShapeKey};

/// The row with one id, if the scope's organization may see it, built by
/// [`Scoped::find`](crate::Scoped::find).
#[must_use = "a find does nothing until it is fetched"]
pub struct Find<M> {
    reach: Reach,
    id: Id<M>,
    inactive: bool,
}

impl<M: Table> Find<M> {
    pub(crate) fn for_org(org: OrgId, id: Id<M>) -> Self {
        Self {
            reach: Reach::Org(org),
            id,
            inactive: false,
        }
    }

    pub(crate) fn global(id: Id<M>) -> Self {
        Self {
            reach: Reach::All,
            id,
            inactive: false,
        }
    }

    /// The SQL this find runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let id = Value::BigInt(Some(self.id.get()));
        crate::query::find(M::__model(), &self.reach.access(), self.inactive, id).render::<DB>()
    }

    /// The row.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no row has this id among those the scope's
    /// organization may see (rows of other organizations included);
    /// [`Error::Database`] when the statement fails.
    pub async fn fetch_one<'c, A, DB>(self, connection: A) -> Result<M>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let table = M::__model().table;
        self.fetch_optional(connection)
            .await?
            .ok_or(Error::NotFound { table })
    }

    /// The row, or `None` when no row has this id among those the scope's
    /// organization may see.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the statement fails.
    pub async fn fetch_optional<'c, A, DB>(self, connection: A) -> Result<Option<M>>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let key = ShapeKey::Find {
            access: self.reach.kind(),
            inactive: self.inactive,
        };
        let binds = Binds::<M> {
            org: self.reach.org(),
            id: Some(self.id.get()),
            ..Binds::default()
        };
        let prepared = Prepared::<DB>::from_cache(
            key,
            || {
                crate::query::find(
                    model,
                    &key_access(key),
                    self.inactive,
                    crate::query::sentinel::id(),
                )
            },
            &binds,
        )?;
        exec::run(connection, self.reach.tenant(model), move |mut lent| {
            Box::pin(async move { prepared.fetch_optional(&mut lent).await })
        })
        .await
    }
}

impl<M: SoftDelete> Find<M> {
    /// Finds the row even if soft delete deactivated it.
    pub fn include_inactive(mut self) -> Self {
        self.inactive = true;
        self
    }
}

impl<M> fmt::Debug for Find<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Find")
            .field("reach", &self.reach)
            .field("id", &self.id)
            .field("inactive", &self.inactive)
            .finish()
    }
}
