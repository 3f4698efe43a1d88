//! Updates: chosen columns of one row.

use std::fmt;

use sea_query::{Value, Values};
use sqlx::Acquire;

use super::insert::Writer;
use super::plan::ShapeKey;
use super::select::key_access;
use super::{refusal, sentinel};
use crate::column::{Column, Settable};
use crate::error::Result;
use crate::exec::{self, Backend, Binds, Prepared};
use crate::id::{Id, OrgId};
use crate::model::{RowCodec, Table};

/// Changes to chosen columns of one row, built by
/// [`Scoped::update`](crate::Scoped::update).
///
/// Only data columns can be set: the id and the organization of a row are
/// fixed when it is inserted, and naming them does not compile. A column
/// that references another tenant row is checked in the same statement.
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
    writer: Writer,
    id: Id<M>,
    /// Column index in the model, name, value; in column order.
    sets: Vec<(usize, &'static str, Value)>,
}

impl<M: Table> Update<M> {
    pub(crate) fn for_org(org: OrgId, id: Id<M>) -> Self {
        Self::new(Writer::Org(org), id)
    }

    pub(crate) fn system(id: Id<M>) -> Self {
        Self::new(Writer::SystemRows, id)
    }

    pub(crate) fn global(id: Id<M>) -> Self {
        Self::new(Writer::All, id)
    }

    fn new(writer: Writer, id: Id<M>) -> Self {
        Self {
            writer,
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
        let sets = self
            .sets
            .iter()
            .map(|(_, name, value)| (*name, value.clone()))
            .collect();
        let id = Value::BigInt(Some(self.id.get()));
        super::update(M::__model(), &self.writer.access(), id, sets).render::<DB>()
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

    /// Applies the changes and returns the row as stored. With nothing set,
    /// returns the row unchanged, as [`Scoped::find`](crate::Scoped::find)
    /// would.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when no row has this id
    /// in the scope's organization (rows of other organizations are left
    /// alone and reported the same way); [`Error::Forbidden`](crate::Error::Forbidden)
    /// for a system row of a shared table; [`Error::Invalid`](crate::Error::Invalid)
    /// naming the field when a reference names a row the organization
    /// cannot see, or when a constraint refuses a value;
    /// [`Error::Conflict`](crate::Error::Conflict) when a unique key does;
    /// [`Error::Database`](crate::Error::Database) when the statement fails.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<M>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: RowCodec<DB>,
    {
        let model = M::__model();
        let access = self.writer.access();
        let id = self.id.get();
        let tenant = self.writer.tenant(model);
        if self.sets.is_empty() {
            // Nothing to set: the row as it is, as a find would read it.
            let find = super::find(model, &access, false, Value::BigInt(Some(id)));
            let prepared = Prepared::<DB>::rendered(find)?;
            return exec::run(connection, tenant, move |conn| {
                Box::pin(async move {
                    prepared
                        .fetch_optional(DB::__executor(conn))
                        .await?
                        .ok_or(crate::Error::NotFound { table: model.table })
                })
            })
            .await;
        }
        let prepared = match self.column_mask() {
            Some(columns) => {
                let key = ShapeKey::Update {
                    access: self.writer.kind(),
                    columns,
                };
                let shape = model.shapes::<DB>().get::<DB>(key, || {
                    let sets = self
                        .sets
                        .iter()
                        .enumerate()
                        .map(|(n, (_, name, _))| (*name, sentinel::set(n)))
                        .collect();
                    super::update(model, &key_access(key), sentinel::id(), sets)
                })?;
                let values: Vec<Value> = self.sets.iter().map(|(_, _, v)| v.clone()).collect();
                let binds = Binds::<M> {
                    org: self.writer.org(),
                    id: Some(id),
                    sets: &values,
                    ..Binds::default()
                };
                Prepared::<DB>::cached(&shape, &binds)?
            }
            None => {
                let sets = self
                    .sets
                    .iter()
                    .map(|(_, name, value)| (*name, value.clone()))
                    .collect();
                let statement = super::update(model, &access, Value::BigInt(Some(id)), sets);
                Prepared::<DB>::rendered(statement)?
            }
        };
        let references: Vec<(&'static str, Option<i64>)> = self
            .sets
            .iter()
            .map(|(_, name, value)| (*name, refusal::key_of(value)))
            .collect();
        let writer = self.writer;
        exec::run(connection, tenant, move |conn| {
            Box::pin(async move {
                if let Some(row) = prepared.fetch_optional(DB::__executor(&mut *conn)).await? {
                    return Ok(row);
                }
                Err(refusal::explain::<DB>(conn, model, writer, Some(id), false, &references).await)
            })
        })
        .await
    }
}

impl<M> fmt::Debug for Update<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Update")
            .field("writer", &self.writer)
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
