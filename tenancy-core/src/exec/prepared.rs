//! The one place where built SQL meets the driver: a statement (cached
//! or rendered for one call) with the values of the call, bound for one
//! backend, and how its rows come back.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{Executor, SqlSafeStr, SqlStr};

use super::Backend;
use super::lone::{self, Call, Fetch, Lent, Returns};
use crate::error::{Error, Result};
use crate::id::OrgId;
use crate::model::{Stores, Table};
use crate::query;

/// The values of one call, for the parameters of a cached statement.
pub(crate) struct Binds<'a, M: crate::model::Table> {
    pub(crate) org: Option<i64>,
    pub(crate) id: Option<i64>,
    pub(crate) limit: Option<i64>,
    pub(crate) offset: Option<i64>,
    pub(crate) new: Option<&'a M::New>,
    pub(crate) sets: &'a [sea_query::Value],
    /// The new rows of a many-row insert.
    pub(crate) rows: &'a [M::New],
    /// The values of the filter or guard.
    pub(crate) filter: &'a [sea_query::Value],
}

impl<M: crate::model::Table> Default for Binds<'_, M> {
    fn default() -> Self {
        Self {
            org: None,
            id: None,
            limit: None,
            offset: None,
            new: None,
            sets: &[],
            rows: &[],
            filter: &[],
        }
    }
}

/// Hands arguments built for one backend to sqlx, which only accepts
/// arguments through `IntoArguments`.
struct BuiltArguments<DB: sqlx::Database>(DB::Arguments);

impl<DB: sqlx::Database> sqlx::IntoArguments<DB> for BuiltArguments<DB> {
    fn into_arguments(self) -> DB::Arguments {
        self.0
    }
}

/// A statement ready for the driver: SQL and its arguments.
pub(crate) struct Prepared<DB: Backend> {
    sql: SqlStr,
    arguments: DB::Arguments,
    /// The cached statement this is, if it is one: what a lone
    /// operation's call is made of.
    shape: Option<Arc<query::Shape>>,
    /// Whether the statement is a call whose one row is the count of rows
    /// its write changed.
    counts_in_row: bool,
}

impl<DB: Backend> Prepared<DB> {
    /// The statement `key` of `M` from the model's cache (rendered by
    /// `build` on first use), bound with the values of this call: the one
    /// way from a cached statement to the driver.
    ///
    /// # Errors
    ///
    /// As [`Shapes::get`](super::Shapes::get) and [`cached`](Self::cached).
    pub(crate) fn from_cache<M: Table>(
        key: impl Into<query::CacheKey>,
        build: impl FnOnce() -> query::Statement,
        binds: &Binds<'_, M>,
    ) -> Result<Self>
    where
        DB: Stores<M>,
    {
        let shape = M::__model().shapes::<DB>().get::<DB>(key, build)?;
        Self::cached(&shape, binds)
    }

    /// A cached statement with the values of this call.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when a value cannot be bound;
    /// [`Error::Database`] when a value the plan needs is missing (a bug of
    /// this crate) or does not encode.
    pub(crate) fn cached<M: Table>(shape: &Arc<query::Shape>, binds: &Binds<'_, M>) -> Result<Self>
    where
        DB: Stores<M>,
    {
        let sql = sqlx::AssertSqlSafe(Arc::clone(&shape.sql)).into_sql_str();
        let missing = || {
            Error::Database(sqlx::Error::Protocol(
                "tenancy: a parameter has no value".into(),
            ))
        };
        let key = |value: Option<i64>| value.ok_or_else(missing);
        if shape.binds_values() {
            // Update and filter values are sea-query values: bind
            // everything as such.
            let mut values = Vec::with_capacity(shape.params.len());
            for param in shape.params.iter() {
                values.push(match *param {
                    query::Param::Org => sea_query::Value::BigInt(Some(key(binds.org)?)),
                    query::Param::Id => sea_query::Value::BigInt(Some(key(binds.id)?)),
                    query::Param::Set(n) => binds.sets.get(n).cloned().ok_or_else(missing)?,
                    query::Param::Filter(n) => binds.filter.get(n).cloned().ok_or_else(missing)?,
                    query::Param::Limit => sea_query::Value::BigInt(Some(key(binds.limit)?)),
                    query::Param::Offset => sea_query::Value::BigInt(Some(key(binds.offset)?)),
                    query::Param::New(_) | query::Param::Row { .. } => {
                        return Err(missing());
                    }
                });
            }
            let values = bindable::<DB>(sea_query::Values(values))?;
            return Ok(Self {
                sql,
                arguments: DB::__arguments(values),
                shape: Some(Arc::clone(shape)),
                counts_in_row: false,
            });
        }
        let mut arguments = DB::Arguments::default();
        for param in shape.params.iter() {
            let pushed = match *param {
                query::Param::Org => DB::__push_i64(&mut arguments, key(binds.org)?),
                query::Param::Id => DB::__push_i64(&mut arguments, key(binds.id)?),
                query::Param::Limit => DB::__push_i64(&mut arguments, key(binds.limit)?),
                query::Param::Offset => DB::__push_i64(&mut arguments, key(binds.offset)?),
                query::Param::New(n) => {
                    <DB as Stores<M>>::__bind_new(binds.new.ok_or_else(missing)?, n, &mut arguments)
                }
                query::Param::Row { row, field } => <DB as Stores<M>>::__bind_new(
                    binds.rows.get(row).ok_or_else(missing)?,
                    field,
                    &mut arguments,
                ),
                query::Param::Set(_) | query::Param::Filter(_) => return Err(missing()),
            };
            pushed.map_err(encode_error)?;
        }
        Ok(Self {
            sql,
            arguments,
            shape: Some(Arc::clone(shape)),
            counts_in_row: false,
        })
    }

    /// A statement rendered for this call.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when a value cannot be bound (an unsigned integer
    /// beyond `i64::MAX`, which the drivers would otherwise panic on).
    pub(crate) fn rendered(statement: query::Statement) -> Result<Self> {
        let (sql, values) = statement.render::<DB>();
        let values = bindable::<DB>(values)?;
        Ok(Self {
            // The one place where built SQL meets the driver: `sql` was
            // rendered by sea-query, which quotes every identifier and sends
            // every value as a bound parameter.
            sql: sqlx::AssertSqlSafe(sql).into_sql_str(),
            arguments: DB::__arguments(values),
            shape: None,
            counts_in_row: false,
        })
    }

    /// The cached statement this is, if it is one.
    pub(crate) fn shape(&self) -> Option<Arc<query::Shape>> {
        self.shape.clone()
    }

    /// The call of `call`'s function with these values and, last, the
    /// organization it names.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the organization does not encode (it
    /// always does).
    pub(crate) fn to_call(&self, call: &Call, org: OrgId) -> Result<Self> {
        let mut arguments = DB::__clone_arguments(&self.arguments);
        DB::__push_text(&mut arguments, org.get().to_string()).map_err(encode_error)?;
        Ok(Self {
            sql: sqlx::AssertSqlSafe(Arc::clone(&call.sql)).into_sql_str(),
            arguments,
            shape: None,
            counts_in_row: call.returns == Returns::Count,
        })
    }

    /// Runs this statement with `fetch` on what `lent` lends: as is, or,
    /// where it must name the organization itself, through [`lone::named`].
    async fn route<F: Fetch<DB>>(self, lent: &mut Lent<'_, DB>, mut fetch: F) -> Result<F::Out> {
        match lent.names() {
            None => fetch.run(self, &mut *lent.connection).await,
            Some(org) => lone::named(self, &mut *lent.connection, org, &mut fetch).await,
        }
    }

    /// Every row, each handed to `each` as it streams in.
    pub(crate) async fn for_each_row(
        self,
        lent: &mut Lent<'_, DB>,
        each: impl FnMut(&DB::Row) -> Result<()> + Send,
    ) -> Result<()> {
        self.route(lent, EachRow(each)).await
    }

    /// Every row, decoded as `M`.
    pub(crate) async fn fetch_all<M: Table>(self, lent: &mut Lent<'_, DB>) -> Result<Vec<M>>
    where
        DB: Stores<M>,
    {
        self.route(lent, All(std::marker::PhantomData)).await
    }

    /// The first row, if any, decoded as `M`.
    pub(crate) async fn fetch_optional<M: Table>(self, lent: &mut Lent<'_, DB>) -> Result<Option<M>>
    where
        DB: Stores<M>,
    {
        self.route(lent, Optional(std::marker::PhantomData)).await
    }

    /// The value of a `COUNT(*)`.
    pub(crate) async fn fetch_count(self, lent: &mut Lent<'_, DB>) -> Result<u64> {
        self.route(lent, CountStar).await
    }

    /// How many rows the statement changed.
    pub(crate) async fn execute(self, lent: &mut Lent<'_, DB>) -> Result<u64> {
        self.route(lent, Affected).await
    }

    fn into_query(self) -> sqlx::query::Query<'static, DB, BuiltArguments<DB>> {
        sqlx::query_with(self.sql, BuiltArguments(self.arguments))
    }
}

/// The first column of the one row as a count (a `COUNT(*)`, or what a
/// write's call says it changed).
async fn count_in_row<DB: Backend>(
    prepared: Prepared<DB>,
    connection: &mut DB::Connection,
) -> Result<u64> {
    let count = prepared
        .into_query()
        .try_map(|row| DB::__get_key(&row, 0).map(Option::unwrap_or_default))
        .fetch_one(DB::__executor(connection))
        .await?;
    // Never negative; saturate rather than trust the driver.
    Ok(u64::try_from(count).unwrap_or(0))
}

struct EachRow<F>(F);

impl<DB: Backend, F: FnMut(&DB::Row) -> Result<()> + Send> Fetch<DB> for EachRow<F> {
    type Out = ();

    fn returns(&self) -> Returns {
        Returns::Rows
    }

    fn run<'a>(
        &'a mut self,
        prepared: Prepared<DB>,
        connection: &'a mut DB::Connection,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut rows = DB::__executor(connection).fetch(prepared.into_query());
            while let Some(row) = rows.try_next().await? {
                (self.0)(&row)?;
            }
            Ok(())
        })
    }
}

struct All<M>(std::marker::PhantomData<fn() -> M>);

impl<DB: Stores<M>, M: Table> Fetch<DB> for All<M> {
    type Out = Vec<M>;

    fn returns(&self) -> Returns {
        Returns::Rows
    }

    fn run<'a>(
        &'a mut self,
        prepared: Prepared<DB>,
        connection: &'a mut DB::Connection,
    ) -> BoxFuture<'a, Result<Vec<M>>> {
        Box::pin(async move {
            // Decodes while the rows stream in, as `sqlx::query_as` does;
            // `Query::try_map` would add a layer of boxed streams per row.
            let rows = DB::__executor(connection)
                .fetch(prepared.into_query())
                .map(|row| <DB as Stores<M>>::__decode_row(&row?, 0))
                .try_collect()
                .await?;
            Ok(rows)
        })
    }
}

struct Optional<M>(std::marker::PhantomData<fn() -> M>);

impl<DB: Stores<M>, M: Table> Fetch<DB> for Optional<M> {
    type Out = Option<M>;

    fn returns(&self) -> Returns {
        Returns::Rows
    }

    fn run<'a>(
        &'a mut self,
        prepared: Prepared<DB>,
        connection: &'a mut DB::Connection,
    ) -> BoxFuture<'a, Result<Option<M>>> {
        Box::pin(async move {
            let row = prepared
                .into_query()
                .try_map(|row| <DB as Stores<M>>::__decode_row(&row, 0))
                .fetch_optional(DB::__executor(connection))
                .await?;
            Ok(row)
        })
    }
}

struct CountStar;

impl<DB: Backend> Fetch<DB> for CountStar {
    type Out = u64;

    fn returns(&self) -> Returns {
        Returns::Rows
    }

    fn run<'a>(
        &'a mut self,
        prepared: Prepared<DB>,
        connection: &'a mut DB::Connection,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(count_in_row(prepared, connection))
    }
}

struct Affected;

impl<DB: Backend> Fetch<DB> for Affected {
    type Out = u64;

    fn returns(&self) -> Returns {
        Returns::Count
    }

    fn run<'a>(
        &'a mut self,
        prepared: Prepared<DB>,
        connection: &'a mut DB::Connection,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            if prepared.counts_in_row {
                return count_in_row(prepared, connection).await;
            }
            let result = prepared
                .into_query()
                .execute(DB::__executor(connection))
                .await?;
            Ok(DB::__rows_affected(&result))
        })
    }
}

/// The values in the form the backend stores them; refuses those that
/// sea-query-sqlx would panic on while binding.
fn bindable<DB: Backend>(values: sea_query::Values) -> Result<sea_query::Values> {
    values
        .0
        .into_iter()
        .map(|value| {
            if let sea_query::Value::BigUnsigned(Some(n)) = value
                && i64::try_from(n).is_err()
            {
                return Err(Error::invalid(
                    "value",
                    "an unsigned integer above 9223372036854775807 cannot be stored",
                ));
            }
            DB::__bindable(value)
        })
        .collect::<Result<_>>()
        .map(sea_query::Values)
}

/// A value the driver could not encode: an error of the program, not of
/// the database, but reported through the same opaque variant.
fn encode_error(error: sqlx::error::BoxDynError) -> Error {
    Error::Database(sqlx::Error::Encode(error))
}
