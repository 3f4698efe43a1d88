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
//! On PostgreSQL every scoped statement names its organization in a
//! transaction-local setting, which the row-level security policies of
//! [`ddl::row_level_security`](crate::ddl::row_level_security) read: a lone
//! one through a call that names it in the same round trip (the `lone`
//! module), one in a transaction when the transaction begins (see
//! [`Tenant`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;
use sqlx::Executor;

use crate::error::{Error, Result};
use crate::query;

mod lone;
mod prepared;
mod tenant;

pub(crate) use lone::{Calls, Lent};
pub(crate) use prepared::{Binds, Prepared};
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

    /// The SQL of a rendered `SELECT`, as this backend best runs it again
    /// and again (on SQLite, a limit the planner does not read).
    #[doc(hidden)]
    fn __finish_select(sql: String) -> String;

    /// See [`pool::is_clean`](crate::pool::is_clean).
    #[doc(hidden)]
    fn __is_clean(connection: &mut Self::Connection) -> BoxFuture<'_, Result<bool, sqlx::Error>>;

    /// A copy of arguments, for a statement that may run twice.
    #[doc(hidden)]
    fn __clone_arguments(arguments: &Self::Arguments) -> Self::Arguments;

    /// Appends a text value to the arguments.
    #[doc(hidden)]
    fn __push_text(
        arguments: &mut Self::Arguments,
        value: String,
    ) -> Result<(), sqlx::error::BoxDynError>;

    /// Makes the function of a lone statement's call on this connection
    /// (PostgreSQL; see the `lone` module).
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn __make_call<'c>(
        connection: &'c mut Self::Connection,
        call: &'c lone::Call,
    ) -> BoxFuture<'c, Result<(), lone::MakeError>>;

    /// Whether the connection's role may work across organizations: a
    /// member of the role the bypass policies apply to, or any role where
    /// there are no policies.
    #[doc(hidden)]
    fn __acts_across_orgs(
        connection: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<bool, sqlx::Error>>;
}

/// A backend that decodes values of type `T`: the bound that code generic
/// over the backend names for what an aggregate answers (`Decodes<Amount>`
/// for a sum of amounts).
///
/// Implemented for every backend and every type sqlx decodes on it; like
/// [`Stores`](crate::Stores), it is a bound on the backend so that it can be
/// a supertrait of an app's own backend trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot decode `{T}`",
    note = "`{T}` must implement sqlx's `Type` and `Decode` for `{Self}`; in code generic over \
            the backend, add `Decodes<{T}>` to its bounds"
)]
pub trait Decodes<T>: Backend {
    /// Reads column `index` of `row` as a `T`.
    #[doc(hidden)]
    fn __decode_value(row: &Self::Row, index: usize) -> Result<T, sqlx::Error>;
}

impl<DB: Backend, T> Decodes<T> for DB
where
    T: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    fn __decode_value(row: &DB::Row, index: usize) -> Result<T, sqlx::Error> {
        DB::__get(row, index)
    }
}

/// Implements [`Backend`] for one sqlx database: the same code for each,
/// but for the sea-query dialect and the cache slot.
macro_rules! impl_backend {
    ($feature:literal, $database:ty, $dialect:ty, $slot:literal, $rls:literal, $binds:literal, $finish_select:path, $is_clean:path, $across:path, $bindable:path, $make_call:path) => {
        #[cfg(feature = $feature)]
        impl sealed::Sealed for $database {}

        #[cfg(feature = $feature)]
        #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
        impl Backend for $database {
            const SHAPE_SLOT: usize = $slot;

            const ROW_LEVEL_SECURITY: bool = $rls;

            const MAX_BINDS: usize = $binds;

            type Dialect = $dialect;

            fn __finish_select(sql: String) -> String {
                $finish_select(sql)
            }

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

            fn __clone_arguments(arguments: &Self::Arguments) -> Self::Arguments {
                arguments.clone()
            }

            fn __push_text(
                arguments: &mut Self::Arguments,
                value: String,
            ) -> Result<(), sqlx::error::BoxDynError> {
                sqlx::Arguments::add(arguments, value)
            }

            #[allow(private_interfaces)]
            fn __make_call<'c>(
                connection: &'c mut Self::Connection,
                call: &'c lone::Call,
            ) -> BoxFuture<'c, Result<(), lone::MakeError>> {
                $make_call(connection, call)
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
    crate::query::sqlite_select,
    crate::pool::sqlite_is_clean,
    tenant::sqlite_acts_across_orgs,
    sqlite_bindable,
    sqlite_make_call
);
impl_backend!(
    "postgres",
    sqlx::Postgres,
    sea_query::PostgresQueryBuilder,
    1,
    true,
    // The protocol counts parameters in 16 bits.
    65_535,
    std::convert::identity,
    crate::pool::postgres_is_clean,
    tenant::postgres_acts_across_orgs,
    Ok,
    lone::postgres_make_call
);

/// SQLite has no row-level security: no statement is ever called through
/// a function.
#[cfg(feature = "sqlite")]
fn sqlite_make_call<'c>(
    _: &'c mut sqlx::SqliteConnection,
    _: &'c lone::Call,
) -> BoxFuture<'c, Result<(), lone::MakeError>> {
    Box::pin(async { Err(lone::MakeError::Refused("SQLite has no functions".into())) })
}

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
        let kept = match cache.write() {
            Ok(mut cache) if !bounded || cache.len() < MAX_SHAPES => {
                cache.entry(key).or_insert_with(|| Arc::clone(&shape));
                true
            }
            _ => false,
        };
        if !kept {
            // Used once: a function per call would pile up on every
            // connection.
            shape.calls.refuse_all();
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
