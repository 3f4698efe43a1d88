//! Every scoped operation, and what it must never do across organizations.
//! Compiled once per backend: `Db` and `db()` come from the parent module.

use sqlx::Pool;
use tenancy_core::sea_query::{Expr, ExprTrait, Value};
use tenancy_core::{Error, Filter, Id, Order, Scope, Scoped, SystemScope};

use super::{Db, db};
use crate::models::{Item, Misread, NewItem, NewMisread, ORGS, org_id};

/// The scope of organization number `org`.
fn scope(org: i64) -> Scope {
    Scope::for_job(org_id(org), "scoped suite")
}

fn new_item(name: &str, quantity: i64) -> NewItem {
    NewItem {
        name: name.to_owned(),
        quantity,
        note: None,
    }
}

/// Inserts `per_org` items into every organization, with the same names in
/// each, so that a filter on a name matches rows of every organization.
async fn seed(pool: &Pool<Db>, per_org: i64) -> Vec<Item> {
    let mut rows = Vec::new();
    for org in ORGS {
        for n in 0..per_org {
            let item = Item::insert(&scope(org), new_item(&format!("item-{n}"), 10 * n + org))
                .execute(pool)
                .await
                .unwrap();
            rows.push(item);
        }
    }
    rows
}

async fn raw_count(pool: &Pool<Db>) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM items")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The row as stored, read around the library.
async fn raw_row(pool: &Pool<Db>, id: Id<Item>) -> Option<(i64, String, i64)> {
    sqlx::query_as("SELECT organization_id, name, qty FROM items WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
}

fn of_org(rows: &[Item], org: i64) -> Vec<Item> {
    rows.iter()
        .filter(|row| row.organization_id == org_id(org))
        .cloned()
        .collect()
}

fn of_other_org(rows: &[Item], org: i64) -> Item {
    rows.iter()
        .find(|row| row.organization_id != org_id(org))
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn each_org_lists_and_counts_only_its_own_rows() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 5).await;
    assert_eq!(raw_count(&db).await, 15);

    for org in ORGS {
        let listed = Item::select(&scope(org))
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(
            listed,
            of_org(&rows, org),
            "org {org} sees its rows, in id order"
        );
        assert_eq!(Item::select(&scope(org)).count(db.pool()).await.unwrap(), 5);
    }
    let stranger = Item::select(&scope(4)).fetch_all(db.pool()).await.unwrap();
    assert!(
        stranger.is_empty(),
        "an organization without rows sees none"
    );
}

#[tokio::test]
async fn filters_never_reach_other_orgs() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 3).await;
    let org = 2;
    let foreign = of_other_org(&rows, org);
    let all_ids: Vec<Id<Item>> = rows.iter().map(|row| row.id).collect();

    let by_name = Item::select(&scope(org))
        .filter(Item::NAME.eq("item-1"))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        by_name.len(),
        1,
        "every org has an item-1; org {org} sees its own"
    );
    assert_eq!(by_name[0].organization_id, org_id(org));

    let foreign_id = Item::select(&scope(org))
        .filter(Item::ID.eq(foreign.id))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(
        foreign_id.is_empty(),
        "a filter on another org's id finds nothing"
    );

    let any_id = Item::select(&scope(org))
        .filter(Item::ID.is_in(all_ids.clone()))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(any_id, of_org(&rows, org));

    let widened = Item::select(&scope(org))
        .filter(Item::ID.eq(foreign.id).or(Item::NAME.ne("nothing")))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        widened,
        of_org(&rows, org),
        "an OR in a filter cannot widen the scope"
    );

    let negated = Item::select(&scope(org))
        .filter(!Item::NAME.eq("item-0"))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(negated, 2);

    let none = Item::select(&scope(org))
        .filter(Item::ID.is_in(Vec::<Id<Item>>::new()))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(none, 0, "an empty IN list matches nothing");
}

#[tokio::test]
async fn typed_filters_compare_with_the_column_type() {
    let Some(db) = db().await else { return };
    seed(&db, 4).await;
    let s = scope(1);
    let noted = Item::insert(
        &s,
        NewItem {
            name: "lavender".into(),
            quantity: 7,
            note: Some("keep dry".into()),
        },
    )
    .execute(db.pool())
    .await
    .unwrap();

    let with_note = Item::select(&s)
        .filter(Item::NOTE.is_not_null())
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(with_note, vec![noted.clone()]);
    let without = Item::select(&s)
        .filter(Item::NOTE.is_null())
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(without, 4);
    let like = Item::select(&s)
        .filter(Item::NAME.like("lav%"))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(like, vec![noted]);
    let ranged = Item::select(&s)
        .filter(Item::QUANTITY.gte(11).and(Item::QUANTITY.lt(31)))
        .fetch_all(db.pool())
        .await
        .unwrap();
    let quantities: Vec<i64> = ranged.iter().map(|i| i.quantity).collect();
    assert_eq!(quantities, vec![11, 21]);
}

#[tokio::test]
async fn order_limit_and_offset_page_through_one_org() {
    let Some(db) = db().await else { return };
    seed(&db, 7).await;
    let s = scope(3);
    let all = Item::select(&s)
        .order_by(Item::QUANTITY, Order::Desc)
        .fetch_all(db.pool())
        .await
        .unwrap();
    let quantities: Vec<i64> = all.iter().map(|i| i.quantity).collect();
    assert_eq!(quantities, vec![63, 53, 43, 33, 23, 13, 3]);

    let mut paged = Vec::new();
    for page in 0..3 {
        let rows = Item::select(&s)
            .order_by(Item::QUANTITY, Order::Desc)
            .limit(3)
            .offset(page * 3)
            .fetch_all(db.pool())
            .await
            .unwrap();
        paged.extend(rows);
    }
    assert_eq!(paged, all, "pages cover the list exactly once");

    // The cached, unordered statement pages the same way.
    let first = Item::select(&s)
        .limit(2)
        .fetch_all(db.pool())
        .await
        .unwrap();
    let rest = Item::select(&s)
        .offset(2)
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), 7);
    assert!(first.iter().all(|a| rest.iter().all(|b| a.id < b.id)));

    let huge = Item::select(&s)
        .limit(u64::MAX)
        .offset(u64::MAX)
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(
        huge.is_empty(),
        "limits beyond i64 are clamped, not a panic"
    );

    let first = Item::select(&s)
        .order_by(Item::NAME, Order::Desc)
        .fetch_optional(db.pool())
        .await
        .unwrap();
    assert_eq!(first.map(|i| i.name), Some("item-6".to_owned()));
}

#[tokio::test]
async fn finding_another_orgs_id_looks_exactly_like_absence() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 2).await;
    let org = 1;
    let own = of_org(&rows, org)[0].clone();
    let foreign = of_other_org(&rows, org);
    let absent: Id<Item> = Id::new(999_999);

    let found = Item::find(&scope(org), own.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(found, own);

    let cross = Item::find(&scope(org), foreign.id)
        .fetch_one(db.pool())
        .await
        .unwrap_err();
    let missing = Item::find(&scope(org), absent)
        .fetch_one(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(cross, Error::NotFound { table: "items" }));
    assert_eq!(format!("{cross:?}"), format!("{missing:?}"));
    assert_eq!(cross.to_string(), missing.to_string());

    let optional = Item::find(&scope(org), foreign.id)
        .fetch_optional(db.pool())
        .await
        .unwrap();
    assert_eq!(optional, None);
}

#[tokio::test]
async fn insert_takes_the_org_from_the_scope() {
    let Some(db) = db().await else { return };
    let item = Item::insert(&scope(2), new_item("beeswax", 4))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(item.organization_id, org_id(2));
    assert_eq!(item.name, "beeswax");
    assert_eq!(item.quantity, 4);
    assert_eq!(
        item.revision, 1,
        "db_default columns come from the database"
    );
    assert_eq!(
        raw_row(&db, item.id).await,
        Some((102, "beeswax".into(), 4))
    );
}

#[tokio::test]
async fn insert_refusals_are_typed_and_write_nothing() {
    let Some(db) = db().await else { return };
    Item::insert(&scope(1), new_item("shea", 1))
        .execute(db.pool())
        .await
        .unwrap();

    let duplicate = Item::insert(&scope(1), new_item("shea", 2))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(duplicate, Error::Conflict { .. }), "{duplicate:?}");
    assert_eq!(duplicate.to_string(), "conflicts with existing data");

    let negative = Item::insert(&scope(1), new_item("cocoa", -1))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(negative, Error::Invalid { .. }), "{negative:?}");

    let no_such_org = Item::insert(&scope(99), new_item("ghost", 1))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(
        matches!(no_such_org, Error::Conflict { .. }),
        "{no_such_org:?}"
    );

    assert_eq!(raw_count(&db).await, 1, "refused inserts write nothing");

    let same_name_elsewhere = Item::insert(&scope(2), new_item("shea", 3))
        .execute(db.pool())
        .await;
    assert!(
        same_name_elsewhere.is_ok(),
        "unique keys are per organization"
    );
}

#[tokio::test]
async fn values_are_bound_never_spliced() {
    let Some(db) = db().await else { return };
    let nasty = "x'); DELETE FROM items; --\"\\ ünïcødé";
    let item = Item::insert(&scope(1), new_item(nasty, 1))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(item.name, nasty);
    let found = Item::select(&scope(1))
        .filter(Item::NAME.eq(nasty))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(found, vec![item]);
}

#[tokio::test]
async fn update_changes_own_rows_only() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 2).await;
    let org = 3;
    let own = of_org(&rows, org)[0].clone();
    let foreign = of_other_org(&rows, org);

    let updated = Item::update(&scope(org), own.id)
        .set(Item::NAME, "renamed")
        .set(Item::QUANTITY, 5)
        .set(Item::QUANTITY, 6)
        .set(Item::NOTE, Some("fragile".to_owned()))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.quantity, 6, "the last value set wins");
    assert_eq!(updated.note.as_deref(), Some("fragile"));
    assert_eq!(updated.organization_id, org_id(org));

    let cleared = Item::update(&scope(org), own.id)
        .set(Item::NOTE, None)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(cleared.note, None);

    let cross = Item::update(&scope(org), foreign.id)
        .set(Item::NAME, "stolen")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(cross, Error::NotFound { table: "items" }));
    assert_eq!(
        raw_row(&db, foreign.id).await,
        Some((
            foreign.organization_id.get(),
            foreign.name.clone(),
            foreign.quantity
        )),
        "another org's row is untouched"
    );

    let absent = Item::update(&scope(org), Id::new(424_242))
        .set(Item::NAME, "nobody")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(absent.to_string(), cross.to_string());

    let unchanged = Item::update(&scope(org), own.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        unchanged, cleared,
        "an update that sets nothing returns the row"
    );
    let unchanged_foreign = Item::update(&scope(org), foreign.id)
        .execute(db.pool())
        .await;
    assert!(matches!(unchanged_foreign, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn update_refusals_are_typed_and_change_nothing() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 2).await;
    let [first, second] = [of_org(&rows, 1)[0].clone(), of_org(&rows, 1)[1].clone()];

    let clash = Item::update(&scope(1), second.id)
        .set(Item::NAME, first.name.clone())
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(clash, Error::Conflict { .. }), "{clash:?}");
    let negative = Item::update(&scope(1), second.id)
        .set(Item::QUANTITY, -5)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(negative, Error::Invalid { .. }), "{negative:?}");
    assert_eq!(
        raw_row(&db, second.id).await,
        Some((101, second.name.clone(), second.quantity))
    );
}

#[tokio::test]
async fn optional_fields_of_a_partial_update() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 1).await;
    let own = of_org(&rows, 1)[0].clone();
    let name: Option<&str> = None;
    let quantity = Some(99);
    let updated = Item::update(&scope(1), own.id)
        .apply_if(name, |u, n| u.set(Item::NAME, n))
        .apply_if(quantity, |u, q| u.set(Item::QUANTITY, q))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.quantity),
        (own.name.as_str(), 99)
    );
}

#[tokio::test]
async fn delete_removes_own_rows_only() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 2).await;
    let org = 2;
    let own = of_org(&rows, org)[0].clone();
    let foreign = of_other_org(&rows, org);

    let cross = Item::delete(&scope(org), foreign.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(cross, Error::NotFound { table: "items" }));
    assert!(
        raw_row(&db, foreign.id).await.is_some(),
        "another org's row survives"
    );

    Item::delete(&scope(org), own.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(raw_row(&db, own.id).await.is_none());
    let again = Item::delete(&scope(org), own.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(again.to_string(), cross.to_string());
    assert_eq!(raw_count(&db).await, 5);
}

#[tokio::test]
async fn ensure_owns_treats_foreign_rows_as_absent() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 1).await;
    let own = of_org(&rows, 1)[0].clone();
    let foreign = of_other_org(&rows, 1);
    assert!(scope(1).ensure_owns(&own).is_ok());
    let err = scope(1).ensure_owns(&foreign).unwrap_err();
    assert!(matches!(err, Error::NotFound { table: "items" }));
}

#[tokio::test]
async fn runs_on_a_connection_and_in_a_callers_transaction() {
    let Some(db) = db().await else { return };
    let s = scope(1);

    let mut conn = db.acquire().await.unwrap();
    let on_conn = Item::insert(&s, new_item("on a connection", 1))
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(Item::select(&s).count(&mut *conn).await.unwrap(), 1);
    drop(conn);

    let mut tx = db.begin().await.unwrap();
    let rolled_back = Item::insert(&s, new_item("rolled back", 1))
        .execute(&mut *tx)
        .await
        .unwrap();
    Item::update(&s, on_conn.id)
        .set(Item::QUANTITY, 50)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(Item::select(&s).count(&mut *tx).await.unwrap(), 2);
    tx.rollback().await.unwrap();
    assert!(
        Item::find(&s, rolled_back.id)
            .fetch_optional(db.pool())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        Item::find(&s, on_conn.id)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .quantity,
        1
    );

    let mut tx = db.begin().await.unwrap();
    let kept = Item::insert(&s, new_item("committed", 1))
        .execute(&mut *tx)
        .await
        .unwrap();
    Item::delete(&s, on_conn.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let listed = Item::select(&s).fetch_all(db.pool()).await.unwrap();
    assert_eq!(listed, vec![kept]);
}

#[tokio::test]
async fn only_a_system_scope_reads_across_orgs() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 2).await;
    let system = SystemScope::new("scoped suite report").expect("a reason");
    let all = Item::select_across_orgs(&system)
        .fetch_all(db.pool())
        .await
        .unwrap();
    let mut expected = rows.clone();
    expected.sort_by_key(|row| row.id);
    assert_eq!(all, expected);
    let count = Item::select_across_orgs(&system)
        .filter(Item::NAME.eq("item-0"))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(count, 3);
}

/// The value bound to the placeholder right after `needle` in `sql`:
/// `$n` on PostgreSQL, the n-th `?` on SQLite.
fn bound_after<'v>(sql: &str, values: &'v [Value], needle: &str) -> Option<&'v Value> {
    let at = sql.find(needle)? + needle.len();
    let rest = &sql[at..];
    let index = match rest.strip_prefix('$') {
        Some(digits) => {
            let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()?.checked_sub(1)?
        }
        None if rest.starts_with('?') => sql[..at].matches('?').count(),
        None => return None,
    };
    values.get(index)
}

#[tokio::test]
async fn every_generated_statement_binds_the_scopes_org_to_its_org_predicate() {
    let s = scope(7);
    let id: Id<Item> = Id::new(5);
    let org = Value::BigInt(Some(org_id(7).get()));
    let statements = [
        ("select", Item::select(&s).to_sql::<Db>()),
        (
            "filtered select",
            Item::select(&s)
                .filter(Item::NAME.eq("x").or(Item::ID.eq(id)))
                .order_by(Item::NAME, Order::Asc)
                .limit(3)
                .offset(1)
                .to_sql::<Db>(),
        ),
        ("find", Item::find(&s, id).to_sql::<Db>()),
        (
            "update",
            Item::update(&s, id).set(Item::NAME, "y").to_sql::<Db>(),
        ),
        ("delete", Item::delete(&s, id).to_sql::<Db>()),
    ];
    for (operation, (sql, values)) in statements {
        let bound = bound_after(&sql, &values.0, r#"WHERE "items"."organization_id" = "#);
        assert_eq!(bound, Some(&org), "{operation}: {sql} with {values:?}");
    }
    let (insert, values) = Item::insert(&s, new_item("z", 1)).to_sql::<Db>();
    assert!(
        insert.starts_with(r#"INSERT INTO "items" ("organization_id", "name", "qty", "note")"#),
        "{insert}"
    );
    assert_eq!(values.0.first(), Some(&org));
}

#[tokio::test]
async fn custom_filters_cannot_widen_the_scope() {
    let Some(db) = db().await else { return };
    let rows = seed(&db, 2).await;
    let always = Filter::custom(Expr::cust("1 = 1 OR 1 = 1"));
    let listed = Item::select(&scope(2))
        .filter(always)
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(listed, of_org(&rows, 2));
}

#[tokio::test]
async fn unsigned_values_beyond_i64_are_refused_without_a_panic() {
    let Some(db) = db().await else { return };
    let huge = Filter::custom(Expr::col("qty").lt(u64::MAX));
    let err = Item::select(&scope(1))
        .filter(huge)
        .fetch_all(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
}

#[tokio::test]
async fn a_row_that_does_not_decode_is_a_database_error() {
    let Some(db) = db().await else { return };
    Item::insert(&scope(1), new_item("text, not a number", 1))
        .execute(db.pool())
        .await
        .unwrap();
    let err = Misread::select(&scope(1))
        .fetch_all(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    assert_eq!(err.to_string(), "database error");
    let _unused = NewMisread { name: 0 };
}

#[tokio::test]
async fn a_closed_pool_is_a_database_error() {
    let Some(db) = db().await else { return };
    db.close().await;
    let err = Item::select(&scope(1))
        .fetch_all(db.pool())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Database(sqlx::Error::PoolClosed)),
        "{err:?}"
    );
    let err = Item::insert(&scope(1), new_item("late", 1))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
}

/// Compile-time check: every operation's future is `Send`, so it can be
/// awaited in an axum handler or a spawned task.
#[allow(dead_code)]
fn operations_are_send(pool: Pool<Db>) {
    fn assert_send<T: Send>(_: T) {}
    async fn all_operations(pool: Pool<Db>) {
        let s = scope(1);
        let id: Id<Item> = Id::new(1);
        let _ = Item::select(&s)
            .filter(Item::NAME.eq("a"))
            .fetch_all(&pool)
            .await;
        let _ = Item::select(&s).count(&pool).await;
        let _ = Item::find(&s, id).fetch_one(&pool).await;
        let _ = Item::insert(&s, new_item("a", 1)).execute(&pool).await;
        let _ = Item::update(&s, id)
            .set(Item::NAME, "b")
            .execute(&pool)
            .await;
        let _ = Item::delete(&s, id).execute(&pool).await;
    }
    async fn in_a_transaction(pool: Pool<Db>) {
        let s = scope(1);
        let id: Id<Item> = Id::new(1);
        let mut tx = pool.begin().await.unwrap();
        let _ = Item::select(&s).fetch_all(&mut *tx).await;
        let _ = Item::find(&s, id).fetch_one(&mut *tx).await;
        let _ = Item::insert(&s, new_item("a", 1)).execute(&mut *tx).await;
        let _ = Item::update(&s, id)
            .set(Item::NAME, "b")
            .execute(&mut *tx)
            .await;
        let _ = Item::delete(&s, id).execute(&mut *tx).await;
        let _ = tx.commit().await;
    }
    assert_send(all_operations(pool.clone()));
    assert_send(in_a_transaction(pool));
}
