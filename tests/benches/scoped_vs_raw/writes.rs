//! The write path measured: a guarded decrement, a grouped sum and a
//! 100-row `insert_many`, each against the same statement written by hand.
//!
//! They act for organizations the other rows of the benchmark leave alone
//! (41 for the decrement and the sum, 43 for the inserts), so that the
//! tables the other rows read keep their size. On PostgreSQL the hand-
//! written decrement and sum run in autocommit, as the library's lone
//! operations do (one round trip each); the many-row insert, which the
//! library runs in a transaction that names the organization, is written
//! in the same transaction by hand.

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use sqlx::{Pool, Postgres, Sqlite};
use tenancy_core::{Id, OrgId, Scope, Scoped};
use tokio::runtime::Runtime;

use super::{Item, NewItem, ROWS_PER_ORG, RawRow, paired, to_item};

/// The organization of the decrement and the sum.
const READ_ORG: i64 = 41;
/// The organization the inserts grow.
const INSERT_ORG: i64 = 43;
/// Rows per `insert_many`.
const ROWS: usize = 100;
/// What the decremented row starts with: more than any run takes.
const PLENTY: i64 = 1_000_000_000_000;

/// The statements by hand, with `{p}` for each backend's placeholders.
const DECREMENT: &str = "UPDATE items SET qty = qty - {p} WHERE organization_id = {p} AND id = {p} AND qty >= {p} RETURNING id, organization_id, name, qty";
const GROUPED_SUM: &str = "SELECT name, CAST(COALESCE(SUM(qty), 0) AS BIGINT) FROM items WHERE organization_id = {p} GROUP BY name ORDER BY name";

/// `sql` with `?` (SQLite) or `$1, $2, ..` (PostgreSQL) for each `{p}`.
fn placeholders(sql: &str, numbered: bool) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    for (n, part) in sql.split("{p}").enumerate() {
        if n > 0 {
            if numbered {
                out.push_str(&format!("${n}"));
            } else {
                out.push('?');
            }
        }
        out.push_str(part);
    }
    out
}

/// `INSERT INTO items (organization_id, name, qty) VALUES (..), .. RETURNING ..`
/// for [`ROWS`] rows.
fn insert_rows(numbered: bool) -> String {
    let row = "({p}, {p}, {p})";
    let values = vec![row; ROWS].join(", ");
    placeholders(
        &format!(
            "INSERT INTO items (organization_id, name, qty) VALUES {values} RETURNING id, organization_id, name, qty"
        ),
        numbered,
    )
}

/// The three statements by hand, kept for the whole run as string
/// literals in code would be.
fn statements(numbered: bool) -> (&'static str, &'static str, &'static str) {
    let keep = |sql: String| -> &'static str { Box::leak(sql.into_boxed_str()) };
    (
        keep(placeholders(DECREMENT, numbered)),
        keep(placeholders(GROUPED_SUM, numbered)),
        keep(insert_rows(numbered)),
    )
}

fn new_rows() -> Vec<NewItem> {
    (0..ROWS)
        .map(|n| NewItem {
            name: format!("batch row {n}"),
            qty: 1,
        })
        .collect()
}

/// The row the decrements take from: one of [`READ_ORG`]'s, given plenty.
fn decremented_row() -> Id<Item> {
    Id::new((READ_ORG - 1) * ROWS_PER_ORG + 3)
}

async fn give_plenty<DB>(pool: &Pool<DB>)
where
    DB: tenancy_core::Backend,
    Item: tenancy_core::RowCodec<DB>,
{
    let scope = Scope::for_job(OrgId::new(READ_ORG), "benchmark set-up");
    Item::update(&scope, decremented_row())
        .set(Item::QTY, PLENTY)
        .execute(pool)
        .await
        .expect("set up the decremented row");
}

macro_rules! library_side {
    ($group:expr, $rt:expr, $backend:expr, $pool:expr, $decrement:expr, $grouped:expr, $insert:expr) => {{
        let pool = $pool;
        let reader = Scope::for_job(OrgId::new(READ_ORG), "benchmark");
        let inserter = Scope::for_job(OrgId::new(INSERT_ORG), "benchmark");
        let id = decremented_row();
        paired(
            $group,
            $rt,
            $backend,
            "guarded decrement",
            || async {
                Item::update(&reader, id)
                    .subtract(Item::QTY, 1)
                    .only_if(Item::QTY.gte(1))
                    .execute(pool)
                    .await
                    .expect("decrement")
            },
            $decrement,
        );
        paired(
            $group,
            $rt,
            $backend,
            "grouped sum",
            || async {
                let sums = Item::select(&reader)
                    .group_by(Item::NAME)
                    .sum(Item::QTY)
                    .fetch(pool)
                    .await
                    .expect("sum");
                assert_eq!(sums.len(), ROWS_PER_ORG as usize);
            },
            $grouped,
        );
        paired(
            $group,
            $rt,
            $backend,
            "insert_many 100",
            || async {
                let rows = Item::insert_many(&inserter, new_rows())
                    .execute(pool)
                    .await
                    .expect("insert_many");
                assert_eq!(rows.len(), ROWS);
            },
            $insert,
        );
    }};
}

/// Binds the hand-written many-row insert's values.
fn bind_rows<'q, DB: sqlx::Database>(
    mut query: sqlx::query::QueryAs<'q, DB, RawRow, <DB as sqlx::Database>::Arguments>,
) -> sqlx::query::QueryAs<'q, DB, RawRow, <DB as sqlx::Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for row in new_rows() {
        query = query.bind(INSERT_ORG).bind(row.name).bind(row.qty);
    }
    query
}

pub(crate) fn sqlite(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime, pool: &Pool<Sqlite>) {
    rt.block_on(give_plenty(pool));
    let (decrement, grouped, insert) = statements(false);
    let id = decremented_row();
    library_side!(
        group,
        rt,
        "sqlite",
        pool,
        || async move {
            let row: RawRow = sqlx::query_as(sqlx::AssertSqlSafe(decrement))
                .bind(1_i64)
                .bind(READ_ORG)
                .bind(id)
                .bind(1_i64)
                .fetch_one(pool)
                .await
                .expect("decrement");
            to_item(row)
        },
        || async move {
            let sums: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(grouped))
                .bind(READ_ORG)
                .fetch_all(pool)
                .await
                .expect("sum");
            assert_eq!(sums.len(), ROWS_PER_ORG as usize);
        },
        || async move {
            // All or nothing, as the library's: one transaction.
            let mut tx = pool.begin().await.expect("begin");
            let query = sqlx::query_as::<_, RawRow>(sqlx::AssertSqlSafe(insert));
            let rows: Vec<Item> = bind_rows(query)
                .fetch_all(&mut *tx)
                .await
                .expect("insert")
                .into_iter()
                .map(to_item)
                .collect();
            tx.commit().await.expect("commit");
            assert_eq!(rows.len(), ROWS);
        }
    );
}

/// The library's transaction on PostgreSQL, by hand.
fn begin_for(org: i64) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("BEGIN; SET LOCAL tenancy.org_id = '{org}'"))
}

pub(crate) fn postgres(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    pool: &Pool<Postgres>,
) {
    rt.block_on(give_plenty(pool));
    let (decrement, grouped, insert) = statements(true);
    let id = decremented_row();
    library_side!(
        group,
        rt,
        "postgres",
        pool,
        || async move {
            let row: RawRow = sqlx::query_as(sqlx::AssertSqlSafe(decrement))
                .bind(1_i64)
                .bind(READ_ORG)
                .bind(id)
                .bind(1_i64)
                .fetch_one(pool)
                .await
                .expect("decrement");
            to_item(row)
        },
        || async move {
            let sums: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(grouped))
                .bind(READ_ORG)
                .fetch_all(pool)
                .await
                .expect("sum");
            assert_eq!(sums.len(), ROWS_PER_ORG as usize);
        },
        || async move {
            let mut tx = pool.begin_with(begin_for(INSERT_ORG)).await.expect("begin");
            let query = sqlx::query_as::<_, RawRow>(sqlx::AssertSqlSafe(insert));
            let rows: Vec<Item> = bind_rows(query)
                .fetch_all(&mut *tx)
                .await
                .expect("insert")
                .into_iter()
                .map(to_item)
                .collect();
            tx.commit().await.expect("commit");
            assert_eq!(rows.len(), ROWS);
        }
    );
}
