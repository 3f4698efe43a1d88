//! Row-level security measured: the library and hand-written statements on
//! a table with the policies of `ddl::row_level_security`, against the
//! same statements on a copy without them, on one connection.

use criterion::Criterion;
use sqlx::{Pool, Postgres};
use tenancy_core::{Id, OrgId, Scope, Scoped};

use super::{
    Item, NewItem, ORG, POSTGRES_SCHEMA, ROWS_PER_ORG, RawRow, fill, next_name, paired, raw,
    report, runtime, some_id_of_org, to_item,
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
const UPDATE_PLAIN: &str = "UPDATE items_plain SET qty = $1 WHERE organization_id = $2 AND id = $3 RETURNING id, organization_id, name, qty";
const INSERT_PLAIN: &str = "INSERT INTO items_plain (organization_id, name, qty) VALUES ($1, $2, $3) RETURNING id, organization_id, name, qty";

/// The rows of `items_plain` as a model the app declares without
/// row-level security: its lone operations are plain statements.
#[derive(Debug, Scoped)]
#[tenancy(table = "items_plain")]
#[allow(dead_code)] // decoded, never read: decoding is what is measured
pub(crate) struct PlainItem {
    id: Id<PlainItem>,
    organization_id: OrgId,
    name: String,
    qty: i64,
}

/// The hand-written statements on `items_plain`, in autocommit: what a
/// developer writes without row-level security.
mod by_hand {
    use sqlx::{Pool, Postgres};
    use tenancy_core::Id;

    use super::super::{Item, ORG, ROWS_PER_ORG, RawRow, next_name, to_item};
    use super::{FIND_PLAIN, INSERT_PLAIN, LIST_PLAIN, UPDATE_PLAIN};

    pub(crate) async fn find(pool: &Pool<Postgres>, id: Id<Item>) -> Item {
        let row: Option<RawRow> = sqlx::query_as(FIND_PLAIN)
            .bind(ORG)
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("find");
        row.map(to_item).expect("found")
    }

    pub(crate) async fn list(pool: &Pool<Postgres>) -> Vec<Item> {
        let rows: Vec<Item> = sqlx::query_as::<_, RawRow>(LIST_PLAIN)
            .bind(ORG)
            .fetch_all(pool)
            .await
            .expect("list")
            .into_iter()
            .map(to_item)
            .collect();
        assert_eq!(rows.len(), ROWS_PER_ORG as usize);
        rows
    }

    pub(crate) async fn update(pool: &Pool<Postgres>, id: Id<Item>) -> Item {
        let row: RawRow = sqlx::query_as(UPDATE_PLAIN)
            .bind(7_i64)
            .bind(ORG)
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("update");
        to_item(row)
    }

    pub(crate) async fn insert(pool: &Pool<Postgres>) -> Item {
        let row: RawRow = sqlx::query_as(INSERT_PLAIN)
            .bind(ORG)
            .bind(next_name())
            .bind(1_i64)
            .fetch_one(pool)
            .await
            .expect("insert");
        to_item(row)
    }
}

/// Row-level security on: on one connection of a role the policies apply
/// to, the library's lone operations on `items`, which has the policies,
/// against the same statements by hand in autocommit on `items_plain`, a
/// copy without them (what row-level security costs a lone operation, all
/// told); the library on `items_plain` declared without row-level security
/// against the same by hand (what the library costs); and the policies
/// themselves, the same statements by hand on both tables in the same
/// transaction.
///
/// One connection for both sides: two connections to the same server,
/// running the same statements, differ by up to 30% in paired timings on
/// these machines, which would drown what is measured.
pub(crate) fn postgres_rls(c: &mut Criterion) {
    let rt = runtime();
    let models = tenancy_core::ddl::Models::new().with::<Item>();
    let policies = tenancy_core::ddl::row_level_security(&models);
    tenancy_core::ddl::Models::new()
        .with::<PlainItem>()
        .declare_without_row_level_security();
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
             SELECT setval(pg_get_serial_sequence('items_plain', 'id'), (SELECT max(id) FROM items));
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
    let plain_id = Id::<PlainItem>::new(id.get());
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
        "find with RLS vs by hand in autocommit without RLS",
        find,
        || by_hand::find(pool, id),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "list with RLS vs by hand in autocommit without RLS",
        list,
        || by_hand::list(pool),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "update with RLS vs by hand in autocommit without RLS",
        || async {
            Item::update(&scope, id)
                .set(Item::QTY, 7)
                .execute(pool)
                .await
                .expect("update")
        },
        || by_hand::update(pool, id),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "declared without RLS: find vs by hand",
        || async {
            PlainItem::find(&scope, plain_id)
                .fetch_one(pool)
                .await
                .expect("find")
        },
        || by_hand::find(pool, id),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "declared without RLS: list vs by hand",
        || async {
            let rows = PlainItem::select(&scope)
                .fetch_all(pool)
                .await
                .expect("list");
            assert_eq!(rows.len(), ROWS_PER_ORG as usize);
        },
        || by_hand::list(pool),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "declared without RLS: update vs by hand",
        || async {
            PlainItem::update(&scope, plain_id)
                .set(PlainItem::QTY, 7)
                .execute(pool)
                .await
                .expect("update")
        },
        || by_hand::update(pool, id),
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
    // Last: inserts grow the organization the lists read.
    paired(
        &mut group,
        &rt,
        "rls",
        "insert with RLS vs by hand in autocommit without RLS",
        || async {
            let new = NewItem {
                name: next_name(),
                qty: 1,
            };
            Item::insert(&scope, new)
                .execute(pool)
                .await
                .expect("insert")
        },
        || by_hand::insert(pool),
    );
    paired(
        &mut group,
        &rt,
        "rls",
        "declared without RLS: insert vs by hand",
        || async {
            let new = NewPlainItem {
                name: next_name(),
                qty: 1,
            };
            PlainItem::insert(&scope, new)
                .execute(pool)
                .await
                .expect("insert")
        },
        || by_hand::insert(pool),
    );
    group.finish();
    report("rls");
}
