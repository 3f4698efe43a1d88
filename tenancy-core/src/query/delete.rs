//! Deletes: one row of the scope's organization, by id.

use std::fmt;

use sea_query::Values;
use sqlx::Executor;

use crate::error::{Error, Result};
use crate::exec::{Backend, Prepared};
use crate::id::{Id, OrgId};
use crate::model::Scoped;

/// The deletion of one row of the scope's organization, built by
/// [`Scoped::delete`].
#[must_use = "a delete does nothing until it is executed"]
pub struct Delete<M> {
    org: OrgId,
    id: Id<M>,
}

impl<M: Scoped> Delete<M> {
    pub(crate) fn new(org: OrgId, id: Id<M>) -> Self {
        Self { org, id }
    }

    /// The SQL this delete runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        super::delete(M::__model(), self.org, self.id.get()).render::<DB>()
    }

    /// Deletes the row.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no row has this id in the scope's
    /// organization (rows of other organizations are left alone and
    /// reported the same way); [`Error::Conflict`] when other rows still
    /// reference it; [`Error::Database`] when the statement fails.
    pub async fn execute<'c, E>(self, executor: E) -> Result<()>
    where
        E: Executor<'c>,
        E::Database: Backend,
    {
        let shapes = M::__model().shapes::<E::Database>();
        let deleted =
            Prepared::<E::Database>::cached(&shapes.delete, &[self.org.get(), self.id.get()])?
                .execute(executor)
                .await?;
        if deleted == 0 {
            return Err(Error::NotFound { table: M::TABLE });
        }
        Ok(())
    }
}

impl<M> fmt::Debug for Delete<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delete")
            .field("org", &self.org)
            .field("id", &self.id)
            .finish()
    }
}
