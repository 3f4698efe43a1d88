//! Row-level security measured: the library and hand-written statements on
//! a table with the policies of `ddl::row_level_security`, against the
//! same statements on a copy without them, on one connection.

use criterion::Criterion;
use sqlx::{Pool, Postgres};
use tenancy_core::{Id, OrgId, Scope, Scoped};

use super::{
    Item, ORG, POSTGRES_SCHEMA, ROWS_PER_ORG, RawRow, fill, paired, raw, report, runtime,
    some_id_of_org, to_item,
};

/// The transaction the library begins on PostgreSQL, written by hand: the
/// organization named in the same message as `BEGIN`.
fn begin_for_org() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("BEGIN; SET LOCAL tenancy.org_id = '{ORG}'"))
}

/// A hand-written find of `sql` in the library's transaction shape on
/// PostgreSQL.
pub(crate) async fn find_in_transaction(
    pool: &Pool<Postgres>,
    sql: &'static str,
    id: Id<Item>,
) -> Item {
    let mut tx = pool.begin_with(begin_for_org()).await.expect("begin");
    let row: Option<RawRow> = sqlx::query_as(sql)
        .bind(ORG)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .expect("find");
    tx.commit().await.expect("commit");
    row.map(to_item).expect("found")
}

/// A hand-written list of `sql` in the library's transaction shape on
/// PostgreSQL.
pub(crate) async fn list_in_transaction(pool: &Pool<Postgres>, sql: &'static str) -> Vec<Item> {
    let mut tx = pool.begin_with(begin_for_org()).await.expect("begin");
    let rows: Vec<RawRow> = sqlx::query_as(sql)
        .bind(ORG)
        .fetch_all(&mut *tx)
        .await
        .expect("list");
    tx.commit().await.expect("commit");
    let rows: Vec<Item> = rows.into_iter().map(to_item).collect();
    assert_eq!(rows.len(), ROWS_PER_ORG as usize);
    rows
}

/// `items` again, with the same rows and keys but no row-level security:
/// the baseline of [`postgres_rls`], on the same connection.
const PLAIN_TABLE: &str = "CREATE TABLE items_plain (LIKE items INCLUDING ALL)";
const FIND_PLAIN: &str =
    "SELECT id, organization_id, name, qty FROM items_plain WHERE organization_id = $1 AND id = $2";
const LIST_PLAIN: &str =
    "SELECT id, organization_id, name, qty FROM items_plain WHERE organization_id = $1 ORDER BY id";

/// Row-level security on: on one connection of a role the policies apply
/// to, the library (and the same statements by hand) on `items`, which has
/// the policies, against the same statements by hand on `items_plain`, a
/// copy without them, in the same transaction shape; and against a
/// hand-written autocommit statement, the price of the second wall.
///
/// One connection for both sides: two connections to the same server,
/// running the same statements, differ by up to 30% in paired timings on
/// these machines, which would drown what is measured.
pub(crate) fn postgres_rls(c: &mut Criterion) {
    let rt = runtime();
    let models = tenancy_core::ddl::Models::new().with::<Item>();
    let policies = tenancy_core::ddl::row_level_security(&models);
    let schema = format!("{POSTGRES_SCHEMA};\n{PLAIN_TABLE}");
    let Some(db) = rt.block_on(tenancy_tests::postgres_with_rls(&schema, &policies)) else {
        return;
    };
    let pool = rt.block_on(async {
        let options = db.pool().connect_options();
        let pool: Pool<Postgres> = sqlx::pool::PoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with((*options).clone())
            .await
            .expect("connect");
        fill(&pool).await;
        sqlx::raw_sql(
            "INSERT INTO items_plain OVERRIDING SYSTEM VALUE SELECT * FROM items;
             ANALYZE items; ANALYZE items_plain;",
        )
        .execute(db.admin())
        .await
        .expect("copy");
        pool
    });
    let pool = &pool;
    let scope = Scope::for_job(OrgId::new(ORG), "benchmark");
    let id = some_id_of_org();
    let mut group = c.benchmark_group("postgres_rls");
    let find = || async { Item::find(&scope, id).fetch_one(pool).await.expect("find") };
    let list = || async {
        let rows = Item::select(&scope).fetch_all(pool).await.expect("list");
        assert_eq!(rows.len(), ROWS_PER_ORG as usize);
    };
    paired(
        &mut group,
        &rt,
        "rls",
        "find vs by hand without RLS",
        find,
        || find_in_transaction(pool, FIND_PLAIN, id),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "list vs by hand without RLS",
        list,
        || list_in_transaction(pool, LIST_PLAIN),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "by hand: find with vs without RLS",
        || find_in_transaction(pool, raw::FIND_PG, id),
        || find_in_transaction(pool, FIND_PLAIN, id),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "by hand: list with vs without RLS",
        || list_in_transaction(pool, raw::LIST_PG),
        || list_in_transaction(pool, LIST_PLAIN),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "find vs by hand autocommit",
        find,
        || async {
            let row: Option<RawRow> = sqlx::query_as(FIND_PLAIN)
                .bind(ORG)
                .bind(id)
                .fetch_optional(pool)
                .await
                .expect("find");
            row.map(to_item).expect("found")
        },
    );
    group.finish();
    report("rls");
}
