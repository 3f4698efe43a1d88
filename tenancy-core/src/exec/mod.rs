//! Execution with sqlx: the backends, the statements built once per model,
//! and the one place where built SQL meets the driver.
//!
//! Scoped operations run on anything sqlx can execute on: a pool, a
//! connection, or a caller's transaction (`&mut *tx`). The statements of
//! each model (find, insert, delete, restore, count, unfiltered lists, and
//! updates by the set of columns they set) are rendered by sea-query once
//! per model and backend, on first use, and then only bound; only selects
//! with a filter or an ordering, whose shape is the caller's, are rendered
//! per call.
//!
//! On PostgreSQL every scoped operation runs inside a transaction that names
//! its organization in a transaction-local setting, which the row-level
//! security policies of [`ddl::row_level_security`](crate::ddl::row_level_security)
//! read (see [`Tenant`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{Executor, SqlSafeStr, SqlStr};

use crate::error::{Error, Result};
use crate::model::RowCodec;
use crate::query;

mod tenant;

pub(crate) use tenant::{Tenant, begin_on_pool, run, run_atomic, write};

mod sealed {
    pub trait Sealed {}
}

/// A database that scoped operations execute on: `sqlx::Sqlite` (feature
/// `sqlite`) and `sqlx::Postgres` (feature `postgres`).
#[diagnostic::on_unimplemented(
    message = "tenancy cannot execute on `{Self}`",
    note = "scoped operations run on `sqlx::Sqlite` and `sqlx::Postgres`: enable the `sqlite` \
            or `postgres` feature of `tenancy-core`"
)]
pub trait Backend: sqlx::Database + sealed::Sealed {
    /// Which of [`ModelInfo`]'s statement caches is this backend's.
    #[doc(hidden)]
    const SHAPE_SLOT: usize;

    /// sea-query's SQL dialect for this backend.
    #[doc(hidden)]
    type Dialect: sea_query::QueryBuilder + Default;

    /// Turns the values sea-query collected while rendering into arguments.
    #[doc(hidden)]
    fn __arguments(values: sea_query::Values) -> Self::Arguments;

    /// A value in the form this backend stores it (on SQLite, an
    /// [`Amount`](crate::Amount)'s decimal as millionths).
    #[doc(hidden)]
    fn __bindable(value: sea_query::Value) -> Result<sea_query::Value>;

    /// Appends a key (organization id, row id, limit) to the arguments.
    #[doc(hidden)]
    fn __push_i64(
        arguments: &mut Self::Arguments,
        value: i64,
    ) -> Result<(), sqlx::error::BoxDynError>;

    /// Reads column `index` of `row`.
    #[doc(hidden)]
    fn __get<'r, T>(row: &'r Self::Row, index: usize) -> Result<T, sqlx::Error>
    where
        T: sqlx::Decode<'r, Self> + sqlx::Type<Self>;

    /// Reads a key (or a `COUNT(*)`) from column `index`; `None` for null.
    #[doc(hidden)]
    fn __get_key(row: &Self::Row, index: usize) -> Result<Option<i64>, sqlx::Error>;

    /// How many rows a statement changed.
    #[doc(hidden)]
    fn __rows_affected(result: &Self::QueryResult) -> u64;

    /// A connection as an executor: what generic code cannot prove of
    /// `&mut Self::Connection` by itself.
    #[doc(hidden)]
    fn __executor(connection: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    /// Whether the backend has row-level security, so that a transaction
    /// must say whom it acts for.
    #[doc(hidden)]
    const ROW_LEVEL_SECURITY: bool;

    /// The most parameters one statement may bind.
    #[doc(hidden)]
    const MAX_BINDS: usize;

    /// See [`pool::is_clean`](crate::pool::is_clean).
    #[doc(hidden)]
    fn __is_clean(connection: &mut Self::Connection) -> BoxFuture<'_, Result<bool, sqlx::Error>>;

    /// Whether the connection's role may work across organizations: a
    /// member of the role the bypass policies apply to, or any role where
    /// there are no policies.
    #[doc(hidden)]
    fn __acts_across_orgs(
        connection: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<bool, sqlx::Error>>;
}

/// Implements [`Backend`] for one sqlx database: the same code for each,
/// but for the sea-query dialect and the cache slot.
macro_rules! impl_backend {
    ($feature:literal, $database:ty, $dialect:ty, $slot:literal, $rls:literal, $binds:literal, $is_clean:path, $across:path, $bindable:path) => {
        #[cfg(feature = $feature)]
        impl sealed::Sealed for $database {}

        #[cfg(feature = $feature)]
        #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
        impl Backend for $database {
            const SHAPE_SLOT: usize = $slot;

            const ROW_LEVEL_SECURITY: bool = $rls;

            const MAX_BINDS: usize = $binds;

            type Dialect = $dialect;

            fn __arguments(values: sea_query::Values) -> Self::Arguments {
                sqlx::IntoArguments::<Self>::into_arguments(sea_query_sqlx::SqlxValues(values))
            }

            fn __push_i64(
                arguments: &mut Self::Arguments,
                value: i64,
            ) -> Result<(), sqlx::error::BoxDynError> {
                sqlx::Arguments::add(arguments, value)
            }

            fn __bindable(value: sea_query::Value) -> Result<sea_query::Value> {
                $bindable(value)
            }

            fn __get<'r, T>(row: &'r Self::Row, index: usize) -> Result<T, sqlx::Error>
            where
                T: sqlx::Decode<'r, Self> + sqlx::Type<Self>,
            {
                sqlx::Row::try_get(row, index)
            }

            fn __get_key(row: &Self::Row, index: usize) -> Result<Option<i64>, sqlx::Error> {
                sqlx::Row::try_get(row, index)
            }

            fn __rows_affected(result: &Self::QueryResult) -> u64 {
                result.rows_affected()
            }

            fn __executor(connection: &mut Self::Connection) -> impl Executor<'_, Database = Self> {
                connection
            }

            fn __is_clean(
                connection: &mut Self::Connection,
            ) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
                $is_clean(connection)
            }

            fn __acts_across_orgs(
                connection: &mut Self::Connection,
            ) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
                $across(connection)
            }
        }
    };
}

impl_backend!(
    "sqlite",
    sqlx::Sqlite,
    sea_query::SqliteQueryBuilder,
    0,
    false,
    // SQLITE_MAX_VARIABLE_NUMBER of the SQLite that sqlx builds (3.32 on).
    32_766,
    crate::pool::sqlite_is_clean,
    tenant::sqlite_acts_across_orgs,
    sqlite_bindable
);
impl_backend!(
    "postgres",
    sqlx::Postgres,
    sea_query::PostgresQueryBuilder,
    1,
    true,
    // The protocol counts parameters in 16 bits.
    65_535,
    crate::pool::postgres_is_clean,
    tenant::postgres_acts_across_orgs,
    Ok
);

/// SQLite has no exact decimal: an [`Amount`](crate::Amount) column holds
/// millionths in an `INTEGER`, so decimal values are bound as such.
#[cfg(feature = "sqlite")]
fn sqlite_bindable(value: sea_query::Value) -> Result<sea_query::Value> {
    match value {
        #[cfg(feature = "rust_decimal")]
        sea_query::Value::Decimal(decimal) => {
            let micros = decimal
                .map(crate::Amount::new)
                .transpose()
                .map_err(|e| Error::invalid("value", e.to_string()))?
                .map(crate::Amount::to_micros);
            Ok(sea_query::Value::BigInt(micros))
        }
        other => Ok(other),
    }
}

/// How many statements of one model the cache keeps before it stops
/// keeping those of many-row inserts.
const MAX_SHAPES: usize = 256;

/// The statements of one model on one backend, each rendered the first
/// time it is used (see [`query::Shape`] for how they are bound).
#[derive(Debug, Default)]
pub(crate) struct Shapes {
    cache: RwLock<HashMap<query::ShapeKey, Arc<query::Shape>>>,
    /// Statements with the caller's filter or ordering, whose shapes are
    /// as many as the app's call sites (and lengths of `IN` lists): kept
    /// up to [`MAX_SHAPES`], then rendered per call.
    filtered: RwLock<HashMap<query::CacheKey, Arc<query::Shape>>>,
}

impl Shapes {
    /// The statement `key`, rendered by `build` with sentinels on first use.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] if `build` binds a value that is not a sentinel:
    /// a bug of this crate, reported rather than run with a wrong plan.
    pub(crate) fn get<DB: Backend>(
        &self,
        key: impl Into<query::CacheKey>,
        build: impl FnOnce() -> query::Statement,
    ) -> Result<Arc<query::Shape>> {
        let key = key.into();
        if key.filter.is_some() || !key.order.is_empty() {
            return Self::lookup::<DB, _>(&self.filtered, key, build, true);
        }
        // Many-row inserts have a statement per number of rows: past a
        // bound, the odd sizes are rendered per call rather than kept.
        let bounded = matches!(key.base, query::ShapeKey::InsertRows { .. });
        Self::lookup::<DB, _>(&self.cache, key.base, build, bounded)
    }

    fn lookup<DB: Backend, K: std::hash::Hash + Eq + std::fmt::Debug>(
        cache: &RwLock<HashMap<K, Arc<query::Shape>>>,
        key: K,
        build: impl FnOnce() -> query::Statement,
        bounded: bool,
    ) -> Result<Arc<query::Shape>> {
        if let Ok(cache) = cache.read()
            && let Some(shape) = cache.get(&key)
        {
            return Ok(Arc::clone(shape));
        }
        let shape = plan::<DB>(&key, build)?;
        // A poisoned cache only costs a render per call.
        if let Ok(mut cache) = cache.write()
            && (!bounded || cache.len() < MAX_SHAPES)
        {
            cache.entry(key).or_insert_with(|| Arc::clone(&shape));
        }
        Ok(shape)
    }
}

/// Renders a statement with sentinels and reads its binding plan.
fn plan<DB: Backend>(
    key: &impl std::fmt::Debug,
    build: impl FnOnce() -> query::Statement,
) -> Result<Arc<query::Shape>> {
    let (sql, values) = build().render::<DB>();
    query::Shape::from_rendered(sql, &values.0)
        .map(Arc::new)
        .ok_or_else(|| {
            Error::Database(sqlx::Error::Protocol(format!(
                "tenancy could not plan the parameters of {key:?}"
            )))
        })
}

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

/// A borrowed connection whose type no longer says where it came from.
pub(crate) type Connection<'c, DB> =
    Box<dyn std::ops::DerefMut<Target = <DB as sqlx::Database>::Connection> + Send + 'c>;

/// Borrows a connection from anything that lends one (a pool, a
/// connection, a transaction) and hides its type.
///
/// Why: a future that holds an `A::Connection` across an `.await` is not
/// `Send` when `A` is `&mut SqliteConnection`, as far as the compiler can
/// prove (it forgets the lifetimes that tie `A` to its connection). Holding
/// this box instead keeps every write's future `Send`, so it runs in a
/// spawned task or an axum handler whatever it was given.
pub(crate) fn acquire<'c, A, DB>(lender: A) -> BoxFuture<'c, Result<Connection<'c, DB>>>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: sqlx::Database,
{
    Box::pin(async move {
        let connection = lender.acquire().await?;
        Ok(Box::new(connection) as Connection<'c, DB>)
    })
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
}

impl<DB: Backend> Prepared<DB> {
    /// The statement `key` of `M` from the model's cache (rendered by
    /// `build` on first use), bound with the values of this call: the one
    /// way from a cached statement to the driver.
    ///
    /// # Errors
    ///
    /// As [`Shapes::get`] and [`cached`](Self::cached).
    pub(crate) fn from_cache<M: RowCodec<DB>>(
        key: impl Into<query::CacheKey>,
        build: impl FnOnce() -> query::Statement,
        binds: &Binds<'_, M>,
    ) -> Result<Self> {
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
    pub(crate) fn cached<M: RowCodec<DB>>(
        shape: &query::Shape,
        binds: &Binds<'_, M>,
    ) -> Result<Self> {
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
                    M::__bind_field(binds.new.ok_or_else(missing)?, n, &mut arguments)
                }
                query::Param::Row { row, field } => M::__bind_field(
                    binds.rows.get(row).ok_or_else(missing)?,
                    field,
                    &mut arguments,
                ),
                query::Param::Set(_) | query::Param::Filter(_) => return Err(missing()),
            };
            pushed.map_err(encode_error)?;
        }
        Ok(Self { sql, arguments })
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
        })
    }

    /// Every row, each handed to `each` as it streams in.
    pub(crate) async fn for_each_row<'e, 'c: 'e, E>(
        self,
        executor: E,
        mut each: impl FnMut(&DB::Row) -> Result<()> + Send,
    ) -> Result<()>
    where
        E: 'e + Executor<'c, Database = DB>,
    {
        let mut rows = executor.fetch(self.into_query());
        while let Some(row) = rows.try_next().await? {
            each(&row)?;
        }
        Ok(())
    }

    fn into_query(self) -> sqlx::query::Query<'static, DB, BuiltArguments<DB>> {
        sqlx::query_with(self.sql, BuiltArguments(self.arguments))
    }

    /// Every row, decoded as `M`.
    pub(crate) async fn fetch_all<'e, 'c: 'e, M, E>(self, executor: E) -> Result<Vec<M>>
    where
        M: RowCodec<DB>,
        E: 'e + Executor<'c, Database = DB>,
    {
        // Decodes while the rows stream in, as `sqlx::query_as` does;
        // `Query::try_map` would add a layer of boxed streams per row.
        let rows = executor
            .fetch(self.into_query())
            .map(|row| M::__decode(&row?, 0))
            .try_collect()
            .await?;
        Ok(rows)
    }

    /// The first row, if any, decoded as `M`.
    pub(crate) async fn fetch_optional<'e, 'c: 'e, M, E>(self, executor: E) -> Result<Option<M>>
    where
        M: RowCodec<DB>,
        E: 'e + Executor<'c, Database = DB>,
    {
        let row = self
            .into_query()
            .try_map(|row| M::__decode(&row, 0))
            .fetch_optional(executor)
            .await?;
        Ok(row)
    }

    /// The value of a `COUNT(*)`.
    pub(crate) async fn fetch_count<'e, 'c: 'e, E>(self, executor: E) -> Result<u64>
    where
        E: 'e + Executor<'c, Database = DB>,
    {
        let count = self
            .into_query()
            .try_map(|row| DB::__get_key(&row, 0).map(Option::unwrap_or_default))
            .fetch_one(executor)
            .await?;
        // COUNT(*) is never negative; saturate rather than trust the driver.
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// How many rows the statement changed.
    pub(crate) async fn execute<'e, 'c: 'e, E>(self, executor: E) -> Result<u64>
    where
        E: 'e + Executor<'c, Database = DB>,
    {
        let result = self.into_query().execute(executor).await?;
        Ok(DB::__rows_affected(&result))
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
pub(crate) fn encode_error(error: sqlx::error::BoxDynError) -> Error {
    Error::Database(sqlx::Error::Encode(error))
}
