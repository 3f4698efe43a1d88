//! Raw SQL, which the library's filters never see: inside a transaction
//! that names an organization it touches that organization's rows only;
//! with none named it sees and changes nothing; a row of another
//! organization is refused by `WITH CHECK`.

use sqlx::PgPool;

use crate::models::org_id;
use crate::setup::{count, rls, scope, seed, sqlstate};

/// Every tenant table of the schema, with a column a raw update can set.
const TENANT_TABLES: [(&str, &str); 5] = [
    ("recipes", "name"),
    ("ingredients", "name"),
    ("recipe_ingredients", "quantity"),
    ("batches", "label"),
    ("roles", "name"),
];

async fn orgs_of(tx: &mut sqlx::PgConnection, table: &str) -> Vec<Option<i64>> {
    // `table` is one of the suite's table names.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT organization_id FROM {table} ORDER BY 1 NULLS FIRST"
    )))
    .fetch_all(tx)
    .await
    .unwrap()
}

#[tokio::test]
async fn raw_statements_in_a_scoped_transaction_touch_one_organization() {
    let Some(db) = rls().await else { return };
    let (system_role, [_, theirs]) = seed(&db).await;
    let one = Some(org_id(1).get());

    let mut tx = scope(1).begin(&db.app).await.unwrap();
    for table in ["recipes", "ingredients", "batches"] {
        assert_eq!(orgs_of(&mut tx, table).await, [one], "{table}");
    }
    // System roles are every organization's to read.
    assert_eq!(orgs_of(&mut tx, "roles").await, [None, one]);
    // Inherited rows: through their recipe.
    assert_eq!(count(&mut *tx, "recipe_ingredients").await, 1);

    let changed = |sql: &'static str| sqlx::query(sql);
    let updated = changed("UPDATE recipes SET name = name || ' (edited)'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    let updated = changed("UPDATE recipe_ingredients SET quantity = '9'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    let deleted = changed("DELETE FROM batches")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1);
    // An organization deletes its own roles, never a system role.
    let deleted = changed("DELETE FROM roles")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1);
    tx.commit().await.unwrap();

    // The other organization's rows and the system role are untouched.
    let name: String = sqlx::query_scalar("SELECT name FROM recipes WHERE id = $1")
        .bind(theirs.recipe)
        .fetch_one(&db.admin)
        .await
        .unwrap();
    assert_eq!(name, "Soap 2");
    let quantities: Vec<String> =
        sqlx::query_scalar("SELECT quantity FROM recipe_ingredients ORDER BY id")
            .fetch_all(&db.admin)
            .await
            .unwrap();
    assert_eq!(quantities, ["9", "1"]);
    assert_eq!(count(&db.admin, "batches").await, 1);
    let roles: Vec<i64> = sqlx::query_scalar("SELECT id FROM roles ORDER BY id")
        .fetch_all(&db.admin)
        .await
        .unwrap();
    assert_eq!(roles, [system_role.get(), theirs.role.get()]);
}

/// Raw reads and writes on `pool`, outside and inside a transaction that
/// names no organization, see and change nothing.
async fn nothing_without_a_tenant(pool: &PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    for (table, column) in TENANT_TABLES {
        assert_eq!(count(&mut *conn, table).await, 0, "{table}, autocommit");
        assert_eq!(count(&mut *tx, table).await, 0, "{table}, transaction");
        for sql in [
            format!("UPDATE {table} SET {column} = {column}"),
            format!("DELETE FROM {table}"),
        ] {
            let done = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await
                .unwrap();
            assert_eq!(done.rows_affected(), 0, "{sql}");
        }
    }
    tx.rollback().await.unwrap();
    for sql in [
        "INSERT INTO recipes (organization_id, name, is_active) VALUES (101, 'x', TRUE)",
        "INSERT INTO roles (organization_id, name) VALUES (101, 'x')",
        "INSERT INTO roles (organization_id, name) VALUES (NULL, 'x')",
    ] {
        let error = sqlx::query(sql).execute(&mut *conn).await.unwrap_err();
        assert_eq!(sqlstate(&error).as_deref(), Some("42501"), "{sql}: {error}");
    }
}

#[tokio::test]
async fn with_no_organization_named_raw_sql_sees_and_changes_nothing() {
    let Some(db) = rls().await else { return };
    seed(&db).await;
    nothing_without_a_tenant(&db.app).await;
    assert_eq!(count(&db.admin, "recipes").await, 2, "nothing was deleted");
    assert_eq!(count(&db.admin, "roles").await, 3, "nothing was deleted");
}

#[tokio::test]
async fn force_holds_the_tables_owner_to_the_policies_too() {
    let Some(db) = rls().await else { return };
    seed(&db).await;
    nothing_without_a_tenant(&db.owner).await;
    let mut tx = scope(2).begin(&db.owner).await.unwrap();
    assert_eq!(orgs_of(&mut tx, "recipes").await, [Some(org_id(2).get())]);
}

#[tokio::test]
async fn with_check_refuses_rows_of_another_organization() {
    let Some(db) = rls().await else { return };
    let (system_role, [_, theirs]) = seed(&db).await;
    let refusals = [
        "INSERT INTO recipes (organization_id, name, is_active) VALUES (102, 'x', TRUE)".to_owned(),
        "UPDATE recipes SET organization_id = 102".to_owned(),
        // A system row is not an organization's to write.
        "INSERT INTO roles (organization_id, name) VALUES (NULL, 'x')".to_owned(),
        format!(
            "UPDATE roles SET name = 'x' WHERE id = {}",
            system_role.get()
        ),
        // Nor to claim: that would take it from every other organization.
        format!(
            "UPDATE roles SET organization_id = 101 WHERE id = {}",
            system_role.get()
        ),
        // An inherited row under another organization's recipe.
        format!(
            "INSERT INTO recipe_ingredients \
             (recipe_id, ingredient_id, quantity, is_active, deactivated_with_parent) \
             VALUES ({}, {}, '1', TRUE, FALSE)",
            theirs.recipe.get(),
            theirs.ingredient.get()
        ),
    ];
    for sql in refusals {
        let mut tx = scope(1).begin(&db.app).await.unwrap();
        let error = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *tx)
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&error).as_deref(), Some("42501"), "{sql}: {error}");
    }
    assert_eq!(count(&db.admin, "recipes").await, 2);
    assert_eq!(count(&db.admin, "roles").await, 3);
    assert_eq!(count(&db.admin, "recipe_ingredients").await, 2);

    // A system scope's transaction writes system rows.
    let mut tx = crate::setup::system().begin(&db.system).await.unwrap();
    let renamed = sqlx::query("UPDATE roles SET name = 'Owners' WHERE id = $1")
        .bind(system_role)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(renamed.rows_affected(), 1);
    tx.commit().await.unwrap();
    let owner: Option<i64> = sqlx::query_scalar("SELECT organization_id FROM roles WHERE id = $1")
        .bind(system_role)
        .fetch_one(&db.admin)
        .await
        .unwrap();
    assert_eq!(owner, None, "the system role is still everyone's");
}

#[tokio::test]
async fn the_library_in_a_transaction_that_names_no_organization_fails_closed() {
    use tenancy_core::{Error, Scoped};

    use crate::models::{NewRecipe, Recipe};

    let Some(db) = rls().await else { return };
    let (_, [mine, _]) = seed(&db).await;
    let mut tx = db.app.begin().await.unwrap();
    let found = Recipe::find(&scope(1), mine.recipe)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        found, None,
        "a transaction begun without Scope::begin sees nothing"
    );
    let error = Recipe::insert(&scope(1), NewRecipe { name: "x".into() })
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Database(_)), "{error:?}");
    assert_eq!(error.to_string(), "database error", "no driver text");
}
