//! Inserts: a new row in the scope's organization.

use std::fmt;

use sea_query::Values;
use sqlx::Executor;

use crate::error::{Error, Result};
use crate::exec::{Backend, Prepared, encode_error};
use crate::id::OrgId;
use crate::model::{RowCodec, Scoped};

/// A new row of the scope's organization, built by [`Scoped::insert`].
///
/// The organization comes from the scope: the values (`M::New`) have no
/// organization field, so a row cannot be inserted into another
/// organization by mistake or by a client's payload.
#[must_use = "an insert does nothing until it is executed"]
pub struct Insert<M: Scoped> {
    org: OrgId,
    new: M::New,
}

impl<M: Scoped> Insert<M> {
    pub(crate) fn new(org: OrgId, new: M::New) -> Self {
        Self { org, new }
    }

    /// The SQL this insert runs on `DB`. The values list has the
    /// organization; the new values are bound when it runs.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        super::insert(M::__model(), self.org).render::<DB>()
    }

    /// Inserts the row and returns it as stored, with its id and any
    /// values the database filled in.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when a unique key or foreign key refuses the row,
    /// [`Error::Invalid`] when a check or not-null constraint does,
    /// [`Error::Database`] when the statement fails otherwise.
    pub async fn execute<'c, E>(self, executor: E) -> Result<M>
    where
        E: Executor<'c>,
        E::Database: Backend,
        M: RowCodec<E::Database>,
    {
        let shapes = M::__model().shapes::<E::Database>();
        let mut prepared = Prepared::<E::Database>::cached(&shapes.insert, &[self.org.get()])?;
        M::__bind_new(self.new, prepared.arguments_mut()).map_err(encode_error)?;
        prepared
            .fetch_optional(executor)
            .await?
            // `RETURNING` yields the inserted row; no row means the driver failed.
            .ok_or(Error::Database(sqlx::Error::RowNotFound))
    }
}

impl<M: Scoped> fmt::Debug for Insert<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Insert")
            .field("table", &M::TABLE)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}
