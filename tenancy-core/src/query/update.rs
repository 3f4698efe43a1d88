//! Updates: chosen columns of one row of the scope's organization.

use std::fmt;

use sea_query::{Value, Values};
use sqlx::Executor;

use super::Find;
use crate::column::{Column, Settable};
use crate::error::{Error, Result};
use crate::exec::{Backend, Prepared};
use crate::id::{Id, OrgId};
use crate::model::{RowCodec, Scoped};

/// Changes to chosen columns of one row, built by [`Scoped::update`].
///
/// Only data columns can be set: the id and the organization of a row are
/// fixed when it is inserted, and naming them does not compile.
///
/// ```compile_fail
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// # #[derive(Scoped)]
/// # #[tenancy(table = "recipes")]
/// # struct Recipe { id: Id<Recipe>, organization_id: OrgId, name: String }
/// # let scope = Scope::for_job(OrgId::new(1), "doc example");
/// // error: an update cannot set this column
/// Recipe::update(&scope, Id::new(1)).set(Recipe::ORGANIZATION_ID, OrgId::new(2));
/// ```
#[must_use = "an update does nothing until it is executed"]
pub struct Update<M> {
    org: OrgId,
    id: Id<M>,
    /// Column index in the model, name, value; in column order.
    sets: Vec<(usize, &'static str, Value)>,
}

impl<M: Scoped> Update<M> {
    pub(crate) fn new(org: OrgId, id: Id<M>) -> Self {
        Self {
            org,
            id,
            sets: Vec::new(),
        }
    }

    /// Sets `column` to `value`; setting a column twice keeps the last value.
    pub fn set<T, K>(mut self, column: Column<M, T, K>, value: impl Into<T>) -> Self
    where
        T: Into<Value>,
        K: Settable,
    {
        let value = value.into().into();
        let name = column.name();
        // A column the model does not list (impossible through the derive)
        // sorts last and is never cached.
        let index = M::__model()
            .columns
            .iter()
            .position(|column| *column == name)
            .unwrap_or(usize::MAX);
        match self.sets.binary_search_by_key(&index, |(i, _, _)| *i) {
            Ok(at) => self.sets[at].2 = value,
            Err(at) => self.sets.insert(at, (index, name, value)),
        }
        self
    }

    fn named_sets(sets: Vec<(usize, &'static str, Value)>) -> Vec<(&'static str, Value)> {
        sets.into_iter()
            .map(|(_, name, value)| (name, value))
            .collect()
    }

    /// The columns set, as the bits of their indexes; `None` past 64
    /// columns, whose updates are rendered per call.
    fn column_mask(&self) -> Option<u64> {
        self.sets.iter().try_fold(0_u64, |mask, (index, _, _)| {
            u32::try_from(*index)
                .ok()
                .and_then(|index| 1_u64.checked_shl(index))
                .map(|bit| mask | bit)
        })
    }

    /// Applies `f` with the value when there is one: the fields of a
    /// partial update without breaking the chain.
    pub fn apply_if<V>(self, value: Option<V>, f: impl FnOnce(Self, V) -> Self) -> Self {
        match value {
            Some(value) => f(self, value),
            None => self,
        }
    }

    /// The SQL this update runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let sets = Self::named_sets(self.sets.clone());
        super::update(M::__model(), self.org, self.id.get(), sets).render::<DB>()
    }

    /// Applies the changes and returns the row as stored. With nothing set,
    /// returns the row unchanged.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no row has this id in the scope's
    /// organization (rows of other organizations are left alone and
    /// reported the same way); [`Error::Conflict`] or [`Error::Invalid`]
    /// when a constraint refuses the change; [`Error::Database`] when the
    /// statement fails.
    pub async fn execute<'c, E>(self, executor: E) -> Result<M>
    where
        E: Executor<'c>,
        E::Database: Backend,
        M: RowCodec<E::Database>,
    {
        if self.sets.is_empty() {
            return Find::new(self.org, self.id).fetch_one(executor).await;
        }
        let model = M::__model();
        let prepared = match self.column_mask() {
            Some(mask) => {
                let sql = model
                    .shapes::<E::Database>()
                    .update::<E::Database>(model, mask);
                let values = Values(self.sets.into_iter().map(|(_, _, value)| value).collect());
                Prepared::cached_update(sql, values, self.org.get(), self.id.get())?
            }
            None => {
                let sets = Self::named_sets(self.sets);
                Prepared::rendered(super::update(model, self.org, self.id.get(), sets))?
            }
        };
        prepared
            .fetch_optional(executor)
            .await?
            .ok_or(Error::NotFound { table: M::TABLE })
    }
}

impl<M> fmt::Debug for Update<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Update")
            .field("org", &self.org)
            .field("id", &self.id)
            // Names only: values may be secrets.
            .field(
                "columns",
                &self
                    .sets
                    .iter()
                    .map(|(_, name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}
