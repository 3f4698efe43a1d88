//! Execution with sqlx: the backends, the statements built once per model,
//! and the one place where built SQL meets the driver.
//!
//! Scoped operations run on anything sqlx can execute on: a pool, a
//! connection, or a caller's transaction (`&mut *tx`). The statements of
//! each model (find, insert, delete, count, unfiltered lists, and updates by
//! the set of columns they set) are rendered by sea-query once per model and
//! backend, on first use, and then only bound; only selects with a filter or
//! an ordering, whose shape is the caller's, are rendered per call.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use futures_util::{StreamExt, TryStreamExt};
use sqlx::{Executor, SqlSafeStr, SqlStr};

use crate::error::{Error, Result};
use crate::model::{ModelInfo, RowCodec};
use crate::query;

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

    /// Reads a `COUNT(*)`.
    #[doc(hidden)]
    fn __get_count(row: &Self::Row) -> Result<i64, sqlx::Error>;

    /// How many rows a statement changed.
    #[doc(hidden)]
    fn __rows_affected(result: &Self::QueryResult) -> u64;
}

/// Implements [`Backend`] for one sqlx database: the same code for each,
/// but for the sea-query dialect and the cache slot.
macro_rules! impl_backend {
    ($feature:literal, $database:ty, $dialect:ty, $slot:literal) => {
        #[cfg(feature = $feature)]
        impl sealed::Sealed for $database {}

        #[cfg(feature = $feature)]
        #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
        impl Backend for $database {
            const SHAPE_SLOT: usize = $slot;

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

            fn __get<'r, T>(row: &'r Self::Row, index: usize) -> Result<T, sqlx::Error>
            where
                T: sqlx::Decode<'r, Self> + sqlx::Type<Self>,
            {
                sqlx::Row::try_get(row, index)
            }

            fn __get_count(row: &Self::Row) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(row, 0)
            }

            fn __rows_affected(result: &Self::QueryResult) -> u64 {
                result.rows_affected()
            }
        }
    };
}

impl_backend!("sqlite", sqlx::Sqlite, sea_query::SqliteQueryBuilder, 0);
impl_backend!(
    "postgres",
    sqlx::Postgres,
    sea_query::PostgresQueryBuilder,
    1
);

/// The fixed statements of one model on one backend, rendered once.
///
/// Parameters come in this order: the organization first, then the id
/// (find, delete) or the new values (insert), then limit and offset (lists).
/// Updates are the exception: the values set first, then organization and id.
#[derive(Debug)]
pub(crate) struct Shapes {
    /// Unfiltered lists: without paging, with a limit, with limit and offset.
    pub(crate) list: [String; 3],
    pub(crate) count: String,
    pub(crate) find: String,
    pub(crate) insert: String,
    pub(crate) delete: String,
    /// Updates, by the set of columns they set (bit `i`: column `i`),
    /// rendered the first time each set is used.
    updates: RwLock<BTreeMap<u64, Arc<str>>>,
}

impl Shapes {
    pub(crate) fn build<DB: Backend>(model: &'static ModelInfo) -> Self {
        let render = |statement: query::Statement| statement.render::<DB>().0;
        let paged = |limit, offset| query::Paging { limit, offset };
        Self {
            list: [
                render(query::list(
                    model,
                    Some(query::PLACEHOLDER_ORG),
                    None,
                    &[],
                    paged(None, None),
                )),
                render(query::list(
                    model,
                    Some(query::PLACEHOLDER_ORG),
                    None,
                    &[],
                    paged(Some(0), None),
                )),
                render(query::list(
                    model,
                    Some(query::PLACEHOLDER_ORG),
                    None,
                    &[],
                    paged(Some(0), Some(0)),
                )),
            ],
            count: render(query::count(model, Some(query::PLACEHOLDER_ORG), None)),
            find: render(query::find(model, query::PLACEHOLDER_ORG, 0)),
            insert: render(query::insert(model, query::PLACEHOLDER_ORG)),
            delete: render(query::delete(model, query::PLACEHOLDER_ORG, 0)),
            updates: RwLock::new(BTreeMap::new()),
        }
    }

    /// The update that sets the columns of `mask`, in column order.
    pub(crate) fn update<DB: Backend>(&self, model: &ModelInfo, mask: u64) -> Arc<str> {
        if let Ok(cache) = self.updates.read()
            && let Some(sql) = cache.get(&mask)
        {
            return Arc::clone(sql);
        }
        let sets = model
            .columns
            .iter()
            .enumerate()
            .filter(|(index, _)| mask & (1 << index) != 0)
            .map(|(_, column)| (*column, sea_query::Value::BigInt(Some(0))))
            .collect();
        let statement = query::update(model, query::PLACEHOLDER_ORG, 0, sets);
        let sql: Arc<str> = statement.render::<DB>().0.into();
        // A poisoned cache only costs a render per call.
        if let Ok(mut cache) = self.updates.write() {
            cache.entry(mask).or_insert_with(|| Arc::clone(&sql));
        }
        sql
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
}

impl<DB: Backend> Prepared<DB> {
    /// A statement from a model's cache, with its first arguments.
    pub(crate) fn cached(sql: &'static str, keys: &[i64]) -> Result<Self> {
        let mut arguments = DB::Arguments::default();
        for key in keys {
            DB::__push_i64(&mut arguments, *key).map_err(encode_error)?;
        }
        Ok(Self {
            sql: sql.into_sql_str(),
            arguments,
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
        // The one place where built SQL meets the driver: `sql` was rendered
        // by sea-query, which quotes every identifier and sends every value
        // as a bound parameter.
        Self::with_values(sqlx::AssertSqlSafe(sql).into_sql_str(), values, &[])
    }

    /// An update from the model's cache (see [`Shapes::update`]), with the
    /// values it sets, then the organization and the id.
    ///
    /// # Errors
    ///
    /// As [`Prepared::rendered`].
    pub(crate) fn cached_update(
        sql: Arc<str>,
        values: sea_query::Values,
        org: i64,
        id: i64,
    ) -> Result<Self> {
        Self::with_values(sqlx::AssertSqlSafe(sql).into_sql_str(), values, &[org, id])
    }

    /// Rendered SQL with the values sea-query collected, then `keys`.
    fn with_values(sql: SqlStr, values: sea_query::Values, keys: &[i64]) -> Result<Self> {
        check_bindable(&values)?;
        let mut arguments = DB::__arguments(values);
        for key in keys {
            DB::__push_i64(&mut arguments, *key).map_err(encode_error)?;
        }
        Ok(Self { sql, arguments })
    }

    pub(crate) fn arguments_mut(&mut self) -> &mut DB::Arguments {
        &mut self.arguments
    }

    fn into_query(self) -> sqlx::query::Query<'static, DB, BuiltArguments<DB>> {
        sqlx::query_with(self.sql, BuiltArguments(self.arguments))
    }

    /// Every row, decoded as `M`.
    pub(crate) async fn fetch_all<'c, M, E>(self, executor: E) -> Result<Vec<M>>
    where
        M: RowCodec<DB>,
        E: Executor<'c, Database = DB>,
    {
        // Decodes while the rows stream in, as `sqlx::query_as` does;
        // `Query::try_map` would add a layer of boxed streams per row.
        let rows = executor
            .fetch(self.into_query())
            .map(|row| M::__decode(&row?))
            .try_collect()
            .await?;
        Ok(rows)
    }

    /// The first row, if any, decoded as `M`.
    pub(crate) async fn fetch_optional<'c, M, E>(self, executor: E) -> Result<Option<M>>
    where
        M: RowCodec<DB>,
        E: Executor<'c, Database = DB>,
    {
        let row = self
            .into_query()
            .try_map(|row| M::__decode(&row))
            .fetch_optional(executor)
            .await?;
        Ok(row)
    }

    /// The value of a `COUNT(*)`.
    pub(crate) async fn fetch_count<'c, E>(self, executor: E) -> Result<u64>
    where
        E: Executor<'c, Database = DB>,
    {
        let count = self
            .into_query()
            .try_map(|row| DB::__get_count(&row))
            .fetch_one(executor)
            .await?;
        // COUNT(*) is never negative; saturate rather than trust the driver.
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// How many rows the statement changed.
    pub(crate) async fn execute<'c, E>(self, executor: E) -> Result<u64>
    where
        E: Executor<'c, Database = DB>,
    {
        let result = self.into_query().execute(executor).await?;
        Ok(DB::__rows_affected(&result))
    }
}

/// Refuses values that sea-query-sqlx would panic on while binding.
fn check_bindable(values: &sea_query::Values) -> Result<()> {
    for value in values.iter() {
        if let sea_query::Value::BigUnsigned(Some(n)) = value
            && i64::try_from(*n).is_err()
        {
            return Err(Error::invalid(
                "value",
                "an unsigned integer above 9223372036854775807 cannot be stored",
            ));
        }
    }
    Ok(())
}

/// A value the driver could not encode: an error of the program, not of
/// the database, but reported through the same opaque variant.
pub(crate) fn encode_error(error: sqlx::error::BoxDynError) -> Error {
    Error::Database(sqlx::Error::Encode(error))
}

#[cfg(all(test, feature = "derive"))]
mod tests {
    use super::*;
    use crate::id::{Id, OrgId};
    use crate::model::Scoped;
    use crate::query::{Paging, list};

    #[derive(tenancy_derive::Scoped)]
    #[tenancy(table = "recipes", crate = "crate")]
    #[allow(dead_code)] // only the shape of the table is used
    struct Recipe {
        id: Id<Recipe>,
        organization_id: OrgId,
        #[tenancy(column = "title")]
        name: String,
        #[tenancy(db_default)]
        revision: i64,
    }

    /// The cached statements are the ones the builders render for the same
    /// call, so a cached and a rendered select can never differ.
    fn cached_shapes_match_rendered_statements<DB: Backend>() {
        let model = Recipe::__model();
        let shapes = model.shapes::<DB>();
        let org = Some(OrgId::new(5));
        let pages = [(None, None), (Some(10), None), (Some(10), Some(20))];
        for (cached, (limit, offset)) in shapes.list.iter().zip(pages) {
            let rendered = list(model, org, None, &[], Paging { limit, offset });
            assert_eq!(&rendered.render::<DB>().0, cached);
        }
        assert_eq!(
            shapes.find,
            query::find(model, OrgId::new(5), 9).render::<DB>().0
        );
        assert_eq!(
            shapes.delete,
            query::delete(model, OrgId::new(5), 9).render::<DB>().0
        );
        assert_eq!(
            shapes.count,
            query::count(model, org, None).render::<DB>().0
        );
        assert_eq!(
            shapes.insert,
            query::insert(model, OrgId::new(5)).render::<DB>().0
        );
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_cached_shapes_match_rendered_statements() {
        cached_shapes_match_rendered_statements::<sqlx::Sqlite>();
        let shapes = Recipe::__model().shapes::<sqlx::Sqlite>();
        assert_eq!(
            shapes.list[2],
            r#"SELECT "id", "organization_id", "title", "revision" FROM "recipes" WHERE "organization_id" = ? ORDER BY "id" ASC LIMIT ? OFFSET ?"#
        );
        assert_eq!(
            shapes.insert,
            r#"INSERT INTO "recipes" ("organization_id", "title") VALUES (?, ?) RETURNING "id", "organization_id", "title", "revision""#
        );
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_cached_shapes_match_rendered_statements() {
        cached_shapes_match_rendered_statements::<sqlx::Postgres>();
        let shapes = Recipe::__model().shapes::<sqlx::Postgres>();
        assert_eq!(
            shapes.find,
            r#"SELECT "id", "organization_id", "title", "revision" FROM "recipes" WHERE "organization_id" = $1 AND "id" = $2"#
        );
        assert_eq!(
            shapes.delete,
            r#"DELETE FROM "recipes" WHERE "organization_id" = $1 AND "id" = $2"#
        );
        assert_eq!(
            shapes.count,
            r#"SELECT COUNT(*) FROM "recipes" WHERE "organization_id" = $1"#
        );
    }
}
