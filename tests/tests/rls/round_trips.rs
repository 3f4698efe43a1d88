//! What naming the organization costs, counted in round trips: a proxy
//! between the pool and PostgreSQL counts each time the client speaks
//! after the server did. A lone operation costs one, as the same statement
//! by hand does; a transaction one for its `BEGIN` and the setting, and
//! none extra per statement.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};
use tenancy_core::{Global, Id, OrgId, Scoped};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::models::{
    Batch, Ingredient, NewBatch, NewIngredient, NewRecipe, NewUnit, Recipe, Unit, org_id,
};
use crate::setup::{Rls, rls, scope};

/// A TCP proxy to PostgreSQL that counts the client's turns.
struct Proxy {
    port: u16,
    turns: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let turns = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&turns);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(("127.0.0.1", upstream)).await.unwrap();
                tokio::spawn(relay(client, server, Arc::clone(&counter)));
            }
        });
        Self { port, turns }
    }

    /// The client's turns since the last call.
    fn take(&self) -> usize {
        self.turns.swap(0, Ordering::SeqCst)
    }

    /// Waits until the connection has been quiet for 100 ms, and forgets
    /// what it sent: after a transaction ends, its `COMMIT` or `ROLLBACK`
    /// and the message sqlx's pool sends, in the background, when the
    /// connection goes back to it, which would otherwise land in the next
    /// count.
    async fn settle(&self) {
        let mut last = usize::MAX;
        for _ in 0..30 {
            let now = self.turns.load(Ordering::SeqCst);
            if now == last {
                break;
            }
            last = now;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.take();
    }
}

/// Copies both ways; a read from the client after the server has spoken
/// starts a new round trip.
async fn relay(client: TcpStream, server: TcpStream, turns: Arc<AtomicUsize>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let server_spoke = Arc::new(AtomicBool::new(true));
    let spoke = Arc::clone(&server_spoke);
    let upstream = async move {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = client_read.read(&mut buf).await {
            if server_spoke.swap(false, Ordering::SeqCst) {
                turns.fetch_add(1, Ordering::SeqCst);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let downstream = async move {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = server_read.read(&mut buf).await {
            spoke.store(true, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(upstream, downstream);
}

/// A pool of one connection to `db`'s app role through `proxy`, without
/// the ping sqlx sends on each checkout by default: the count is of what
/// the library sends.
async fn through(db: &Rls, proxy: &Proxy) -> PgPool {
    let options = (*db.app.connect_options()).clone().port(proxy.port);
    PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .unwrap()
}

async fn hand_written_find(conn: &mut sqlx::PgConnection, id: Id<Recipe>) {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM recipes WHERE organization_id = $1 AND id = $2")
            .bind(org_id(1))
            .bind(id)
            .fetch_optional(conn)
            .await
            .unwrap();
    assert!(
        row.is_none(),
        "no organization is named: nothing is visible"
    );
}

/// The round trips of `op` on `conn` once its statements are ready: the
/// first run on a connection makes the statement's function, the second
/// prepares its call.
async fn settled_cost<F>(proxy: &Proxy, conn: &mut sqlx::PgConnection, mut op: F) -> usize
where
    F: AsyncFnMut(&mut sqlx::PgConnection),
{
    op(conn).await;
    op(conn).await;
    proxy.take();
    op(conn).await;
    proxy.take()
}

#[tokio::test]
async fn a_lone_scoped_operation_costs_one_round_trip_and_none_extra_in_a_transaction() {
    let Some(db) = rls().await else { return };
    let proxy = Proxy::start(tenancy_tests::pg::cluster().unwrap().port()).await;
    let pool = through(&db, &proxy).await;
    let scope = scope(1);
    let recipe = Recipe::insert(
        &scope,
        NewRecipe {
            name: "Soap".into(),
        },
    )
    .execute(&pool)
    .await
    .unwrap();
    // One connection, held: the pool's own checkout traffic is not the
    // library's.
    let mut conn = pool.acquire().await.unwrap();

    hand_written_find(&mut conn, recipe.id).await;
    proxy.take();
    hand_written_find(&mut conn, recipe.id).await;
    assert_eq!(proxy.take(), 1, "the counter counts one statement as one");

    let find = async |conn: &mut sqlx::PgConnection| {
        let found = Recipe::find(&scope, recipe.id)
            .fetch_one(conn)
            .await
            .unwrap();
        assert_eq!(found.name, "Soap");
    };
    let list = async |conn: &mut sqlx::PgConnection| {
        let rows = Recipe::select(&scope).fetch_all(conn).await.unwrap();
        assert_eq!(rows.len(), 1);
    };
    let filtered = async |conn: &mut sqlx::PgConnection| {
        let rows = Recipe::select(&scope)
            .filter(Recipe::NAME.eq("Soap"))
            .order_by(Recipe::NAME, tenancy_core::Order::Asc)
            .fetch_all(conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
    };
    let count = async |conn: &mut sqlx::PgConnection| {
        assert_eq!(Recipe::select(&scope).count(conn).await.unwrap(), 1);
    };
    let insert = async |conn: &mut sqlx::PgConnection| {
        let batch = Batch::insert(
            &scope,
            NewBatch {
                recipe_id: recipe.id,
                parent_batch_id: None,
                label: "B-1".into(),
            },
        )
        .execute(conn)
        .await
        .unwrap();
        assert_eq!(batch.organization_id, org_id(1));
    };
    let update = async |conn: &mut sqlx::PgConnection| {
        let updated = Recipe::update(&scope, recipe.id)
            .set(Recipe::NAME, "Soap")
            .execute(conn)
            .await
            .unwrap();
        assert_eq!(updated.name, "Soap");
    };
    let guarded = async |conn: &mut sqlx::PgConnection| {
        Recipe::update(&scope, recipe.id)
            .set(Recipe::NAME, "Soap")
            .only_if(Recipe::NAME.eq("Soap"))
            .execute(conn)
            .await
            .unwrap();
    };
    let matching = async |conn: &mut sqlx::PgConnection| {
        let changed = Recipe::update_matching(&scope, Recipe::NAME.eq("Soap"))
            .set(Recipe::NAME, "Soap")
            .execute(conn)
            .await
            .unwrap();
        assert_eq!(changed, 1);
    };
    let grouped = async |conn: &mut sqlx::PgConnection| {
        let counts = Recipe::select(&scope)
            .group_by(Recipe::NAME)
            .count()
            .fetch(conn)
            .await
            .unwrap();
        assert_eq!(counts.len(), 1);
    };
    // Rendered per call: a join has no cached statement to call.
    let joined = async |conn: &mut sqlx::PgConnection| {
        let recipes = Recipe::select(&scope)
            .with_children::<crate::models::RecipeIngredient>()
            .fetch_all(conn)
            .await
            .unwrap();
        assert_eq!(recipes.len(), 1);
    };
    assert_eq!(
        settled_cost(&proxy, &mut conn, joined).await,
        3,
        "a statement rendered per call: BEGIN with the setting, the statement, COMMIT"
    );
    for (name, cost) in [
        ("find", settled_cost(&proxy, &mut conn, find).await),
        ("list", settled_cost(&proxy, &mut conn, list).await),
        (
            "filtered list",
            settled_cost(&proxy, &mut conn, filtered).await,
        ),
        ("count", settled_cost(&proxy, &mut conn, count).await),
        (
            "grouped count",
            settled_cost(&proxy, &mut conn, grouped).await,
        ),
        ("insert", settled_cost(&proxy, &mut conn, insert).await),
        ("update", settled_cost(&proxy, &mut conn, update).await),
        (
            "guarded update",
            settled_cost(&proxy, &mut conn, guarded).await,
        ),
        (
            "update of matching rows",
            settled_cost(&proxy, &mut conn, matching).await,
        ),
    ] {
        assert_eq!(cost, 1, "{name}: one round trip, as by hand");
    }
    // The inserts left three batches: a hard delete for each run.
    let mut batches: Vec<Id<Batch>> = Batch::select(&scope)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .map(|batch| batch.id)
        .collect();
    assert_eq!(batches.len(), 3);
    let delete = async |conn: &mut sqlx::PgConnection| {
        let batch = batches.pop().unwrap();
        Batch::delete(&scope, batch).execute(conn).await.unwrap();
    };
    assert_eq!(settled_cost(&proxy, &mut conn, delete).await, 1, "delete");
    drop(conn);
    proxy.settle().await;

    let mut tx = scope.begin(&pool).await.unwrap();
    assert_eq!(
        proxy.take(),
        1,
        "Scope::begin: BEGIN and the setting in one message"
    );
    for _ in 0..3 {
        find(&mut tx).await;
        assert_eq!(
            proxy.take(),
            1,
            "a statement in the transaction costs nothing extra"
        );
    }
    tx.commit().await.unwrap();
    proxy.settle().await;

    // A soft delete with its cascade: in the caller's transaction a
    // savepoint, the delete, the cascade and the savepoint's release;
    // alone, the transaction that names the organization in place of the
    // savepoint: no more.
    let mut in_transaction = 0;
    // The second time, with the statements prepared.
    for _ in 0..2 {
        let mut tx = scope.begin(&pool).await.unwrap();
        assert_eq!(proxy.take(), 1);
        Recipe::delete(&scope, recipe.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        in_transaction = proxy.take();
        tx.rollback().await.unwrap();
        proxy.settle().await;
    }
    let mut conn = pool.acquire().await.unwrap();
    proxy.take();
    Recipe::delete(&scope, recipe.id)
        .execute(&mut *conn)
        .await
        .unwrap();
    let alone = proxy.take();
    assert_eq!(in_transaction, alone, "{in_transaction} and {alone}");
    assert_eq!(alone, 4);
}

#[tokio::test]
async fn a_connection_makes_a_statements_function_on_first_use_and_again_after_a_discard() {
    let Some(db) = rls().await else { return };
    let proxy = Proxy::start(tenancy_tests::pg::cluster().unwrap().port()).await;
    let pool = through(&db, &proxy).await;
    let scope = scope(1);
    let recipe = Recipe::insert(
        &scope,
        NewRecipe {
            name: "Balm".into(),
        },
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let find = async |conn: &mut sqlx::PgConnection| {
        let found = Recipe::find(&scope, recipe.id)
            .fetch_one(conn)
            .await
            .unwrap();
        assert_eq!(found, recipe);
    };
    assert_eq!(settled_cost(&proxy, &mut conn, find).await, 1);

    // Temporary objects gone: the call fails, the statement runs in its
    // transaction, and the function is made again.
    sqlx::raw_sql("DISCARD TEMP")
        .execute(&mut *conn)
        .await
        .unwrap();
    find(&mut conn).await;
    assert!(proxy.take() > 3, "the call, the transaction, the function");
    find(&mut conn).await;
    proxy.take();
    find(&mut conn).await;
    assert_eq!(proxy.take(), 1);
    let functions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_proc WHERE pronamespace = pg_my_temp_schema() \
         AND proname LIKE 'tenancy\\_%'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert!(functions >= 1, "{functions}");

    // Another organization's row, by its id: not found, through the call
    // as through the transaction.
    let other = Recipe::find(&crate::setup::scope(2), recipe.id)
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
    assert!(other.is_none());
}

#[tokio::test]
async fn a_call_leaves_no_setting_inside_a_transaction_sqlx_does_not_know_of() {
    let Some(db) = rls().await else { return };
    let scope = scope(1);
    let recipe = Recipe::insert(&scope, NewRecipe { name: "Wax".into() })
        .execute(&db.app)
        .await
        .unwrap();
    let mut conn = db.app.acquire().await.unwrap();
    // Where the function is not made yet, the failed call fails such a
    // transaction, and the operation returns the error: nothing acts for
    // the organization after it.
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await.unwrap();
    Recipe::find(&scope, recipe.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap_err();
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
    // Made outside it.
    Recipe::find(&scope, recipe.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    for _ in 0..3 {
        // A raw `BEGIN`, which sqlx does not track: the library sees a
        // connection outside a transaction and calls the function in it.
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await.unwrap();
        let found = Recipe::find(&scope, recipe.id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(found, recipe);
        let row = sqlx::raw_sql(
            "SELECT coalesce(current_setting('tenancy.org_id', true), ''), \
                    (SELECT count(*) FROM recipes)",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let setting: String = row.get(0);
        let visible: i64 = row.get(1);
        assert_eq!(setting, "", "the setting is put back as the call found it");
        assert_eq!(visible, 0, "raw SQL after the call acts for nobody");
        sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
    }
}

#[tokio::test]
async fn without_temporary_functions_a_lone_operation_names_its_organization_in_a_transaction() {
    let Some(db) = rls().await else { return };
    // Ingredients only: the statements that meet the refusal keep the
    // transaction for the rest of the process, which the other tests of
    // this file must not count.
    let unit = Unit::insert(&crate::setup::system(), NewUnit { name: "kg".into() })
        .execute(&db.app)
        .await
        .unwrap();
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&db.admin)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "REVOKE TEMPORARY ON DATABASE \"{database}\" FROM PUBLIC"
    )))
    .execute(&db.admin)
    .await
    .unwrap();
    let proxy = Proxy::start(tenancy_tests::pg::cluster().unwrap().port()).await;
    let pool = through(&db, &proxy).await;
    let scope = scope(1);
    let mut conn = pool.acquire().await.unwrap();
    let mut names = 0;
    let insert_and_find = async |conn: &mut sqlx::PgConnection| {
        names += 1;
        let ingredient = Ingredient::insert(
            &scope,
            NewIngredient {
                name: format!("Lye {names}"),
                unit_id: unit.id,
            },
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        assert_eq!(ingredient.organization_id, org_id(1));
        let found = Ingredient::find(&scope, ingredient.id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(found, ingredient);
        let other = Ingredient::find(&crate::setup::scope(2), ingredient.id)
            .fetch_optional(&mut *conn)
            .await
            .unwrap();
        assert!(other.is_none());
    };
    assert_eq!(
        settled_cost(&proxy, &mut conn, insert_and_find).await,
        9,
        "three lone operations, each BEGIN with the setting, the statement, COMMIT"
    );
    let temporary: bool = sqlx::query_scalar("SELECT pg_my_temp_schema() <> 0")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(!temporary, "nothing temporary was made");
}

/// Creates, as the tables' owner, a scoped table `table` with `columns`
/// beside its keys, which the app's role may read and write.
async fn create_table(db: &Rls, table: &str, columns: &str) {
    let app_role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&db.app)
        .await
        .unwrap();
    // Names and columns are this file's constants.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {table} (
             id BIGINT GENERATED ALWAYS AS IDENTITY,
             organization_id BIGINT NOT NULL REFERENCES organizations (id),
             {columns},
             PRIMARY KEY (organization_id, id)
         );
         GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO \"{app_role}\";
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \"{app_role}\";"
    )))
    .execute(&db.owner)
    .await
    .unwrap();
}

/// A model whose table the app declares without row-level security.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "notes")]
struct Note {
    id: Id<Note>,
    organization_id: OrgId,
    text: String,
}

#[tokio::test]
async fn a_model_declared_without_row_level_security_costs_what_sqlx_by_hand_does() {
    let Some(db) = rls().await else { return };
    create_table(&db, "notes", "text TEXT NOT NULL").await;
    let models = tenancy_core::ddl::Models::new().with::<Note>();
    models.declare_without_row_level_security();
    assert_eq!(
        tenancy_core::ddl::row_level_security(&models).len(),
        1,
        "no policy to write"
    );

    let proxy = Proxy::start(tenancy_tests::pg::cluster().unwrap().port()).await;
    let pool = through(&db, &proxy).await;
    let scope = scope(1);
    let mut conn = pool.acquire().await.unwrap();
    let insert = async |conn: &mut sqlx::PgConnection| {
        let note = Note::insert(&scope, NewNote { text: "hi".into() })
            .execute(conn)
            .await
            .unwrap();
        assert_eq!(note.organization_id, org_id(1));
    };
    assert_eq!(settled_cost(&proxy, &mut conn, insert).await, 1, "insert");
    let notes = Note::select(&scope).fetch_all(&mut *conn).await.unwrap();
    assert_eq!(notes.len(), 3);
    let id = notes[0].id;
    let find = async |conn: &mut sqlx::PgConnection| {
        let note = Note::find(&scope, id).fetch_one(conn).await.unwrap();
        assert_eq!(note.text, "hi");
    };
    let list = async |conn: &mut sqlx::PgConnection| {
        assert_eq!(Note::select(&scope).fetch_all(conn).await.unwrap().len(), 3);
    };
    let update = async |conn: &mut sqlx::PgConnection| {
        Note::update(&scope, id)
            .set(Note::TEXT, "hi")
            .execute(conn)
            .await
            .unwrap();
    };
    assert_eq!(settled_cost(&proxy, &mut conn, find).await, 1, "find");
    assert_eq!(settled_cost(&proxy, &mut conn, list).await, 1, "list");
    assert_eq!(settled_cost(&proxy, &mut conn, update).await, 1, "update");
    let temporary: bool = sqlx::query_scalar("SELECT pg_my_temp_schema() <> 0")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(!temporary, "plain statements: no function");
    // The library's filter stays.
    let other = Note::find(&crate::setup::scope(2), id)
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
    assert!(other.is_none());
    drop(conn);

    // The audit reports the choice, and a table that has row-level
    // security all the same.
    use tenancy_core::audit::{Finding, audit};
    let report = audit(&db.app, &models).await.unwrap();
    let declared = Finding::DeclaredWithoutRowLevelSecurity {
        table: "notes".into(),
    };
    assert!(report.findings().contains(&declared), "{report}");
    assert!(!declared.is_defect());
    assert!(
        !report
            .findings()
            .iter()
            .any(|finding| matches!(finding, Finding::RowLevelSecurityDisabled { .. })),
        "{report}"
    );
    sqlx::raw_sql("ALTER TABLE notes ENABLE ROW LEVEL SECURITY")
        .execute(&db.owner)
        .await
        .unwrap();
    let report = audit(&db.app, &models).await.unwrap();
    assert!(
        report
            .findings()
            .contains(&Finding::RowLevelSecurityDespiteDeclaration {
                table: "notes".into()
            }),
        "{report}"
    );
}

/// A model with a column of a domain type, which the statement's
/// description gives as its base type.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "tags")]
struct Tag {
    id: Id<Tag>,
    organization_id: OrgId,
    label: String,
}

#[tokio::test]
async fn a_statement_whose_function_does_not_fit_its_result_keeps_the_transaction() {
    let Some(db) = rls().await else { return };
    sqlx::raw_sql("CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 40)")
        .execute(&db.owner)
        .await
        .unwrap();
    create_table(&db, "tags", "label short_text NOT NULL").await;
    let models = tenancy_core::ddl::Models::new().with::<Tag>();
    for statement in tenancy_core::ddl::row_level_security(&models)
        .into_iter()
        .skip(1)
    {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&db.owner)
            .await
            .unwrap();
    }
    let proxy = Proxy::start(tenancy_tests::pg::cluster().unwrap().port()).await;
    let pool = through(&db, &proxy).await;
    let scope = scope(1);
    let mut conn = pool.acquire().await.unwrap();
    let tag = Tag::insert(
        &scope,
        NewTag {
            label: "lavender".into(),
        },
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let find = async |conn: &mut sqlx::PgConnection| {
        let found = Tag::find(&scope, tag.id).fetch_one(conn).await.unwrap();
        assert_eq!(found, tag);
    };
    // The first runs find out (the call fails, the statement runs in its
    // transaction, no function is made again); then the transaction.
    assert_eq!(settled_cost(&proxy, &mut conn, find).await, 3);
    let other = Tag::find(&crate::setup::scope(2), tag.id)
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
    assert!(other.is_none());
}
