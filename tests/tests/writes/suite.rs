//! Guarded and relative updates, updates of many rows, write
//! transactions and row locks, compiled once per backend: `Db` and `db()`
//! come from the parent module.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tenancy_core::{Amount, Error, Id, Scoped, SoftDelete};

use super::helpers::{amount, date, ingredient, is_postgres, lot, new_lot, quantity, scope};
use super::{Db, db};
use crate::models::{Counter, Lot, LotState, NewCounter};

// --- Guarded and relative updates ----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guarded_decrements_never_go_below_zero_and_add_up() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let mut lots = Vec::new();
    for _ in 0..3 {
        lots.push(lot(&db, 1, new_lot(&oil, "50", None)).await.id);
    }
    let lots = Arc::new(lots);
    let mut tasks = Vec::new();
    for task in 0..16_i64 {
        let pool = db.pool().clone();
        let lots = Arc::clone(&lots);
        tasks.push(tokio::spawn(async move {
            let scope = scope(1);
            let mut taken = vec![Amount::ZERO; lots.len()];
            for k in 0..200_i64 {
                let at = usize::try_from((task + k) % 3).unwrap();
                // 0.1 to 0.5
                let take = Amount::from_micros(100_000 * ((task * 7 + k) % 5 + 1));
                let outcome = Lot::update(&scope, lots[at])
                    .subtract(Lot::QUANTITY, take)
                    .only_if(Lot::QUANTITY.gte(take))
                    .execute(&pool)
                    .await;
                match outcome {
                    Ok(row) => {
                        assert!(!row.quantity.is_negative(), "went below zero: {row:?}");
                        taken[at] = taken[at].checked_add(take).unwrap();
                    }
                    Err(Error::ConditionFailed { table: "lots" }) => {}
                    Err(other) => panic!("a decrement failed: {other:?}"),
                }
            }
            taken
        }));
    }
    let mut taken = [Amount::ZERO; 3];
    for task in tasks {
        for (total, part) in taken.iter_mut().zip(task.await.unwrap()) {
            *total = total.checked_add(part).unwrap();
        }
    }
    for (at, id) in lots.iter().enumerate() {
        let left = quantity(&db, 1, *id).await;
        assert!(!left.is_negative());
        assert_eq!(
            left.checked_add(taken[at]),
            Some(amount("50")),
            "lot {at}: {left} left after taking {}",
            taken[at]
        );
        // 16 × 200 decrements of at most 0.5 ask for far more than 150:
        // the guard, not the supply of requests, stopped them.
        assert!(left < amount("0.5"), "lot {at} kept {left}");
    }
}

#[tokio::test]
async fn relative_changes_refuse_what_they_cannot_do_and_write_nothing() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let mine = lot(&db, 1, new_lot(&oil, "2", None)).await;
    let scope = scope(1);

    for bad in [Amount::ZERO, amount("-1")] {
        let refused = Lot::update(&scope, mine.id)
            .subtract(Lot::QUANTITY, bad)
            .execute(db.pool())
            .await;
        assert!(
            matches!(&refused, Err(Error::Invalid { field, .. }) if field == "quantity"),
            "{refused:?}"
        );
        let refused = Lot::update(&scope, mine.id)
            .set(Lot::UNITS, 9)
            .add(Lot::QUANTITY, bad)
            .execute(db.pool())
            .await;
        assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    }

    let guard_fails = Lot::update(&scope, mine.id)
        .subtract(Lot::QUANTITY, amount("3"))
        .only_if(Lot::QUANTITY.gte(amount("3")))
        .execute(db.pool())
        .await;
    assert!(
        matches!(guard_fails, Err(Error::ConditionFailed { table: "lots" })),
        "{guard_fails:?}"
    );

    // Out of the type's range: refused by the statement, on both backends.
    let full = Lot::update(&scope, mine.id)
        .set(Lot::UNITS, i64::MAX - 1)
        .execute(db.pool())
        .await
        .unwrap();
    let overflow = Lot::update(&scope, full.id)
        .add(Lot::UNITS, 2)
        .execute(db.pool())
        .await;
    assert!(
        matches!(&overflow, Err(Error::Invalid { field, .. }) if field == "units"),
        "{overflow:?}"
    );
    let too_much = Lot::update(&scope, mine.id)
        .add(Lot::QUANTITY, Amount::MAX)
        .execute(db.pool())
        .await;
    assert!(
        matches!(&too_much, Err(Error::Invalid { field, .. }) if field == "quantity"),
        "{too_much:?}"
    );

    // Another organization's id, and a missing one: absent, not a failed
    // condition.
    for (org, id) in [(2, mine.id), (1, Id::new(999_999))] {
        let absent = Lot::update(&self::scope(org), id)
            .subtract(Lot::QUANTITY, amount("1"))
            .only_if(Lot::QUANTITY.gte(amount("1")))
            .execute(db.pool())
            .await;
        assert!(matches!(absent, Err(Error::NotFound { .. })), "{absent:?}");
    }

    let stored = Lot::find(&scope, mine.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored.quantity, amount("2"));
    assert_eq!(stored.units, i64::MAX - 1);

    // An unchanged row that fails the guard answers the same.
    let nothing = Lot::update(&scope, mine.id)
        .only_if(Lot::QUANTITY.gt(amount("5")))
        .execute(db.pool())
        .await;
    assert!(
        matches!(nothing, Err(Error::ConditionFailed { .. })),
        "{nothing:?}"
    );
    let as_is = Lot::update(&scope, mine.id)
        .only_if(Lot::QUANTITY.lt(amount("5")))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(as_is, stored);
}

#[tokio::test]
async fn relative_changes_are_exact_with_amounts() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let mine = lot(&db, 1, new_lot(&oil, "0", None)).await;
    let scope = scope(1);
    for step in ["0.1", "0.2"] {
        Lot::update(&scope, mine.id)
            .add(Lot::QUANTITY, amount(step))
            .execute(db.pool())
            .await
            .unwrap();
    }
    assert_eq!(quantity(&db, 1, mine.id).await, amount("0.3"));
    for _ in 0..3 {
        Lot::update(&scope, mine.id)
            .subtract(Lot::QUANTITY, amount("0.1"))
            .only_if(Lot::QUANTITY.gte(amount("0.1")))
            .execute(db.pool())
            .await
            .unwrap();
    }
    let left = quantity(&db, 1, mine.id).await;
    assert!(left.is_zero(), "{left}");
    let fourth = Lot::update(&scope, mine.id)
        .subtract(Lot::QUANTITY, amount("0.1"))
        .only_if(Lot::QUANTITY.gte(amount("0.1")))
        .execute(db.pool())
        .await;
    assert!(matches!(fourth, Err(Error::ConditionFailed { .. })));
    let tiny = Lot::update(&scope, mine.id)
        .add(Lot::QUANTITY, amount("1e-6"))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(tiny.quantity, Amount::from_micros(1));
}

#[tokio::test]
async fn update_matching_changes_the_scopes_active_rows_and_counts_them() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let theirs = ingredient(&db, 2, "wax").await;
    let old = lot(&db, 1, new_lot(&oil, "1", Some("2026-01-01"))).await;
    let older = lot(&db, 1, new_lot(&oil, "1", Some("2025-06-01"))).await;
    let fresh = lot(&db, 1, new_lot(&oil, "1", Some("2027-01-01"))).await;
    let deleted = lot(&db, 1, new_lot(&oil, "1", Some("2025-01-01"))).await;
    Lot::delete(&scope(1), deleted.id)
        .execute(db.pool())
        .await
        .unwrap();
    let other_org = lot(&db, 2, new_lot(&theirs, "1", Some("2025-01-01"))).await;

    let today = date("2026-12-01");
    let expired = Lot::update_matching(&scope(1), Lot::EXPIRES_ON.lt(today))
        .set(Lot::STATE, LotState::Expired)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(expired, 2);
    let state = |org, id| {
        let pool = db.pool().clone();
        async move {
            Lot::find(&self::scope(org), id)
                .include_inactive()
                .fetch_one(&pool)
                .await
                .unwrap()
                .state
        }
    };
    assert_eq!(state(1, old.id).await, LotState::Expired);
    assert_eq!(state(1, older.id).await, LotState::Expired);
    assert_eq!(state(1, fresh.id).await, LotState::Received);
    assert_eq!(state(1, deleted.id).await, LotState::Received);
    assert_eq!(state(2, other_org.id).await, LotState::Received);

    let none = Lot::update_matching(&scope(1), Lot::UNITS.gt(100))
        .set(Lot::UNITS, 1)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(none, 0);

    // A reference to another organization's row is refused, not ignored.
    let refused = Lot::update_matching(&scope(1), Lot::EXPIRES_ON.is_not_null())
        .set(Lot::INGREDIENT_ID, theirs.id)
        .execute(db.pool())
        .await;
    assert!(
        matches!(&refused, Err(Error::Invalid { field, .. }) if field == "ingredient_id"),
        "{refused:?}"
    );
    let unchanged = Lot::select(&scope(1))
        .filter(Lot::INGREDIENT_ID.eq(oil.id))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(unchanged, 3);
}

// --- Write transactions and row locks ---------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn write_transactions_under_contention_lose_nothing_and_never_answer_busy() {
    let Some(db) = db().await else { return };
    let counter = Counter::insert(&scope(1), NewCounter { value: 0 })
        .execute(db.pool())
        .await
        .unwrap()
        .id;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let pool = db.pool().clone();
        tasks.push(tokio::spawn(async move {
            let scope = &scope(1);
            for _ in 0..25 {
                // Read, then write what was read plus one: a lost update
                // unless the transaction serializes (SQLite's write lock)
                // or locks the row (PostgreSQL's `FOR UPDATE`).
                scope
                    .write(&pool, |tx| {
                        Box::pin(async move {
                            let current = Counter::select(scope)
                                .filter(Counter::ID.eq(counter))
                                .for_update()
                                .fetch_optional(tx)
                                .await?
                                .ok_or(Error::NotFound { table: "counters" })?;
                            Counter::update(scope, current.id)
                                .set(Counter::VALUE, current.value + 1)
                                .execute(&mut **tx)
                                .await
                        })
                    })
                    .await
                    .unwrap_or_else(|e| panic!("a write transaction failed: {e:?}"));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stored = Counter::find(&scope(1), counter)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored.value, 200);
}

#[tokio::test]
async fn a_failed_write_transaction_writes_nothing() {
    let Some(db) = db().await else { return };
    let counter = Counter::insert(&scope(1), NewCounter { value: 5 })
        .execute(db.pool())
        .await
        .unwrap();
    let scope = &scope(1);
    let runs = AtomicU32::new(0);
    let runs = &runs;
    let failed: Result<(), Error> = scope
        .write(db.pool(), |tx| {
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Counter::update(scope, counter.id)
                    .add(Counter::VALUE, 1)
                    .execute(&mut **tx)
                    .await?;
                Err(Error::invalid("value", "refused after the write"))
            })
        })
        .await;
    assert!(matches!(failed, Err(Error::Invalid { .. })));
    // Not retryable: run once.
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let stored = Counter::find(scope, counter.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored.value, 5);
}

/// Two transactions that lock two rows in opposite orders deadlock;
/// PostgreSQL aborts one (`40P01`), and `Scope::write` runs it again.
/// (SQLite's write transactions take the one lock up front and cannot
/// deadlock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_is_retried() {
    if !is_postgres() {
        return;
    }
    let Some(db) = db().await else { return };
    let first = Counter::insert(&scope(1), NewCounter { value: 0 })
        .execute(db.pool())
        .await
        .unwrap();
    let second = Counter::insert(&scope(1), NewCounter { value: 0 })
        .execute(db.pool())
        .await
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let runs = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for (a, b) in [(first.id, second.id), (second.id, first.id)] {
        let pool = db.pool().clone();
        let barrier = Arc::clone(&barrier);
        let runs = Arc::clone(&runs);
        tasks.push(tokio::spawn(async move {
            let scope = &scope(1);
            let (barrier, runs) = (&barrier, &runs);
            scope
                .write(&pool, |tx| {
                    Box::pin(async move {
                        let run = runs.fetch_add(1, Ordering::SeqCst);
                        Counter::update(scope, a)
                            .add(Counter::VALUE, 1)
                            .execute(&mut **tx)
                            .await?;
                        if run < 2 {
                            // Both hold their first row before either asks
                            // for its second.
                            barrier.wait().await;
                        }
                        Counter::update(scope, b)
                            .add(Counter::VALUE, 1)
                            .execute(&mut **tx)
                            .await
                    })
                })
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(runs.load(Ordering::SeqCst) >= 3, "no run was retried");
    for id in [first.id, second.id] {
        let stored = Counter::find(&scope(1), id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(stored.value, 2, "each write applied once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_row_is_skipped_or_waited_for() {
    let Some(db) = db().await else { return };
    let counter = Counter::insert(&scope(1), NewCounter { value: 0 })
        .execute(db.pool())
        .await
        .unwrap();
    let scope = scope(1);
    let mut holder = scope.begin(db.pool()).await.unwrap();
    let held = Counter::select(&scope)
        .for_update()
        .fetch_all(&mut holder)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    if !is_postgres() {
        // SQLite: no lock clause; the write transaction is the lock.
        let (sql, _) = Counter::select(&scope).for_update().to_sql::<Db>();
        assert!(!sql.contains("FOR UPDATE"), "{sql}");
        holder.commit().await.unwrap();
        return;
    }
    let mut other = scope.begin(db.pool()).await.unwrap();
    let skipped = Counter::select(&scope)
        .for_update()
        .skip_locked()
        .fetch_all(&mut other)
        .await
        .unwrap();
    assert!(skipped.is_empty());
    let waiting = tokio::spawn(async move {
        let row = Counter::select(&self::scope(1))
            .for_update()
            .fetch_optional(&mut other)
            .await
            .unwrap();
        other.commit().await.unwrap();
        row
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "the second lock did not wait");
    Counter::update(&scope, counter.id)
        .set(Counter::VALUE, 7)
        .execute(&mut *holder)
        .await
        .unwrap();
    holder.commit().await.unwrap();
    let seen = waiting.await.unwrap().unwrap();
    assert_eq!(seen.value, 7, "the waiter reads the committed row");
}

#[tokio::test]
async fn a_soft_deleted_lot_takes_no_relative_change() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let mine = lot(&db, 1, new_lot(&oil, "5", None)).await;
    let scope = scope(1);
    Lot::delete(&scope, mine.id)
        .execute(db.pool())
        .await
        .unwrap();
    let refused = Lot::update(&scope, mine.id)
        .subtract(Lot::QUANTITY, amount("1"))
        .execute(db.pool())
        .await;
    assert!(
        matches!(refused, Err(Error::NotFound { .. })),
        "{refused:?}"
    );
    let restored = Lot::restore(&scope, mine.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(restored.quantity, amount("5"));
}

/// A pool whose connections all stay busy past its acquire timeout is an
/// overloaded service: `Error::Busy` (a 503), not a database failure.
#[tokio::test]
async fn an_exhausted_pool_is_busy() {
    let Some(db) = db().await else { return };
    let options = (*db.pool().connect_options()).clone();
    let pool = tenancy_core::pool::options::<Db>()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_millis(200))
        .connect_with(options)
        .await
        .unwrap();
    let held = pool.acquire().await.unwrap();
    let scope = &scope(1);
    let lone = Counter::select(scope).count(&pool).await;
    assert!(matches!(lone, Err(Error::Busy(_))), "{lone:?}");
    let written: Result<(), Error> = scope.write(&pool, |_| Box::pin(async { Ok(()) })).await;
    assert!(matches!(written, Err(Error::Busy(_))), "{written:?}");
    drop(held);
    assert_eq!(Counter::select(scope).count(&pool).await.unwrap(), 0);
}
