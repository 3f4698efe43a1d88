//! What naming the organization costs, counted in round trips: a proxy
//! between the pool and PostgreSQL counts each time the client speaks
//! after the server did.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::postgres::PgPoolOptions;
use tenancy_core::{Id, Scoped};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::models::{NewRecipe, Recipe, org_id};
use crate::setup::{rls, scope};

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

#[tokio::test]
async fn a_scoped_read_costs_three_round_trips_and_none_extra_in_a_transaction() {
    let Some(db) = rls().await else { return };
    let proxy = Proxy::start(tenancy_tests::pg::cluster().unwrap().port()).await;
    let options = (*db.app.connect_options()).clone().port(proxy.port);
    // Without the ping sqlx sends on each checkout by default: the count is
    // of what the library sends.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .unwrap();
    let recipe = Recipe::insert(
        &scope(1),
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
    let find = async |conn: &mut sqlx::PgConnection| {
        let found = Recipe::find(&scope(1), recipe.id)
            .fetch_one(conn)
            .await
            .unwrap();
        assert_eq!(found, recipe);
    };

    // Warm up: the first use of a statement on a connection prepares it.
    find(&mut conn).await;
    hand_written_find(&mut conn, recipe.id).await;
    proxy.take();

    hand_written_find(&mut conn, recipe.id).await;
    assert_eq!(proxy.take(), 1, "the counter counts one statement as one");
    find(&mut conn).await;
    assert_eq!(
        proxy.take(),
        3,
        "BEGIN with the setting, the statement, COMMIT"
    );

    drop(conn);
    proxy.settle().await;
    let mut tx = scope(1).begin(&pool).await.unwrap();
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
        let mut tx = scope(1).begin(&pool).await.unwrap();
        assert_eq!(proxy.take(), 1);
        Recipe::delete(&scope(1), recipe.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        in_transaction = proxy.take();
        tx.rollback().await.unwrap();
        proxy.settle().await;
    }
    let mut conn = pool.acquire().await.unwrap();
    proxy.take();
    Recipe::delete(&scope(1), recipe.id)
        .execute(&mut *conn)
        .await
        .unwrap();
    let alone = proxy.take();
    assert_eq!(in_transaction, alone, "{in_transaction} and {alone}");
    assert_eq!(alone, 4);
}
