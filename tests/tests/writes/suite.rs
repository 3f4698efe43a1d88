//! The write path, compiled once per backend: `Db` and `db()` come from
//! the parent module.

use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::NaiveDate;
use sqlx::Pool;
use tenancy_core::{Amount, Error, Id, NullOrdering, Order, Scope, Scoped, SoftDelete, TextEnum};

use super::{Db, db};
use crate::models::{
    Counter, Ingredient, Lot, LotState, NewCounter, NewIngredient, NewLot, NewUsage, Usage, org_id,
};

fn scope(org: i64) -> Scope {
    Scope::for_job(org_id(org), "writes suite")
}

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn is_postgres() -> bool {
    TypeId::of::<Db>() == TypeId::of::<sqlx::Postgres>()
}

async fn ingredient(pool: &Pool<Db>, org: i64, name: &str) -> Ingredient {
    Ingredient::insert(&scope(org), NewIngredient { name: name.into() })
        .execute(pool)
        .await
        .unwrap()
}

fn new_lot(ingredient: &Ingredient, quantity: &str, expires_on: Option<&str>) -> NewLot {
    NewLot {
        ingredient_id: ingredient.id,
        quantity: amount(quantity),
        units: 0,
        expires_on: expires_on.map(date),
        state: LotState::Received,
    }
}

async fn lot(pool: &Pool<Db>, org: i64, new: NewLot) -> Lot {
    Lot::insert(&scope(org), new).execute(pool).await.unwrap()
}

async fn quantity(pool: &Pool<Db>, org: i64, id: Id<Lot>) -> Amount {
    Lot::find(&scope(org), id)
        .fetch_one(pool)
        .await
        .unwrap()
        .quantity
}

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

// --- Aggregates ---------------------------------------------------------------

#[tokio::test]
async fn aggregates_equal_what_rust_computes_and_see_one_organization() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let lye = ingredient(&db, 1, "lye").await;
    let wax = ingredient(&db, 2, "wax").await;
    let values = ["0.1", "0.2", "-0", "1e-6", "99999999.999999", "12.5", "3"];
    let mut lots = Vec::new();
    for (n, value) in values.iter().enumerate() {
        let target = if n % 2 == 0 { &oil } else { &lye };
        let expires = if n % 3 == 0 { Some("2026-01-01") } else { None };
        lots.push(lot(&db, 1, new_lot(target, value, expires)).await);
    }
    for value in ["1000", "2000"] {
        lot(&db, 2, new_lot(&wax, value, None)).await;
    }
    let deleted = lot(&db, 1, new_lot(&oil, "555", None)).await;
    Lot::delete(&scope(1), deleted.id)
        .execute(db.pool())
        .await
        .unwrap();

    let sum = |rows: &[&Lot]| {
        rows.iter()
            .try_fold(Amount::ZERO, |sum, lot| sum.checked_add(lot.quantity))
            .unwrap()
    };
    let all: Vec<&Lot> = lots.iter().collect();
    let scope = scope(1);
    let total = Lot::select(&scope)
        .sum(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(total, sum(&all));
    assert_eq!(total, amount("100000015.8"));

    let per_ingredient = Lot::select(&scope)
        .group_by(Lot::INGREDIENT_ID)
        .sum(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    let expected: Vec<(Id<Ingredient>, Amount)> = [&oil, &lye]
        .into_iter()
        .map(|ingredient| {
            let rows: Vec<&Lot> = lots
                .iter()
                .filter(|lot| lot.ingredient_id == ingredient.id)
                .collect();
            (ingredient.id, sum(&rows))
        })
        .collect();
    assert_eq!(per_ingredient, expected);

    // Available over lots that do not expire: a filter before grouping.
    let available = Lot::select(&scope)
        .filter(Lot::EXPIRES_ON.is_null())
        .group_by(Lot::INGREDIENT_ID)
        .sum(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    let expected: Vec<(Id<Ingredient>, Amount)> = [&oil, &lye]
        .into_iter()
        .map(|ingredient| {
            let rows: Vec<&Lot> = lots
                .iter()
                .filter(|lot| lot.ingredient_id == ingredient.id && lot.expires_on.is_none())
                .collect();
            (ingredient.id, sum(&rows))
        })
        .collect();
    assert_eq!(available, expected);

    let counts = Lot::select(&scope)
        .group_by(Lot::INGREDIENT_ID)
        .count()
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(counts, vec![(oil.id, 4), (lye.id, 3)]);

    let smallest = Lot::select(&scope)
        .min(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    let largest = Lot::select(&scope)
        .max(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(smallest, Some(Amount::ZERO));
    assert_eq!(largest, Some(amount("99999999.999999")));
    let above = Lot::select(&scope)
        .filter(Lot::QUANTITY.gt(amount("0.3")))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(above, 3);
    let ordered: Vec<Amount> = Lot::select(&scope)
        .order_by(Lot::QUANTITY, Order::Asc)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|lot| lot.quantity)
        .collect();
    let mut expected: Vec<Amount> = lots.iter().map(|lot| lot.quantity).collect();
    expected.sort();
    assert_eq!(ordered, expected);

    let units = Lot::select(&scope)
        .sum(Lot::UNITS)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(units, 0_i64);

    // Nothing matches: a sum of zero, no minimum, no group.
    let none = Lot::select(&scope).filter(Lot::UNITS.gt(5));
    assert_eq!(
        none.sum(Lot::QUANTITY).fetch(db.pool()).await.unwrap(),
        Amount::ZERO
    );
    let none = Lot::select(&scope).filter(Lot::UNITS.gt(5));
    assert_eq!(
        none.max(Lot::EXPIRES_ON).fetch(db.pool()).await.unwrap(),
        None
    );
    let none = Lot::select(&scope).filter(Lot::UNITS.gt(5));
    assert!(
        none.group_by(Lot::STATE)
            .count()
            .fetch(db.pool())
            .await
            .unwrap()
            .is_empty()
    );

    // The other organization sees its own two lots only.
    let theirs = Lot::select(&self::scope(2))
        .sum(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(theirs, amount("3000"));
}

#[tokio::test]
async fn aggregates_of_an_inherited_table_go_through_the_parent() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let wax = ingredient(&db, 2, "wax").await;
    let mine = lot(&db, 1, new_lot(&oil, "10", None)).await;
    let theirs = lot(&db, 2, new_lot(&wax, "10", None)).await;
    for (org, parent, used) in [
        (1, mine.id, "1.5"),
        (1, mine.id, "2.25"),
        (2, theirs.id, "7"),
    ] {
        let new = NewUsage {
            lot_id: parent,
            amount: amount(used),
        };
        Usage::insert(&scope(org), new)
            .execute(db.pool())
            .await
            .unwrap();
    }
    let per_lot = Usage::select(&scope(1))
        .group_by(Usage::LOT_ID)
        .sum(Usage::AMOUNT)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(per_lot, vec![(mine.id, amount("3.75"))]);
    let theirs_seen = Usage::select(&scope(1))
        .filter(Usage::LOT_ID.eq(theirs.id))
        .sum(Usage::AMOUNT)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(theirs_seen, Amount::ZERO);
}

// --- Many rows ----------------------------------------------------------------

#[tokio::test]
async fn insert_many_keeps_the_order_across_statements() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let rows = (0..1_201).map(|n| NewLot {
        units: n,
        ..new_lot(&oil, "1.5", None)
    });
    let stored = Lot::insert_many(&scope(1), rows)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1_201);
    assert!(
        stored
            .iter()
            .enumerate()
            .all(|(n, lot)| lot.units == n as i64)
    );
    assert!(
        stored
            .iter()
            .all(|lot| lot.organization_id == org_id(1) && lot.is_active)
    );
    let total = Lot::select(&scope(1))
        .sum(Lot::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(total, amount("1801.5"));

    let empty = Lot::insert_many(&scope(1), Vec::new())
        .execute(db.pool())
        .await
        .unwrap();
    assert!(empty.is_empty());
}

#[tokio::test]
async fn insert_many_refuses_another_organizations_reference_and_writes_nothing() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let wax = ingredient(&db, 2, "wax").await;
    let rows = (0..800).map(|n| {
        let target = if n == 700 { &wax } else { &oil };
        new_lot(target, "1", None)
    });
    let refused = Lot::insert_many(&scope(1), rows).execute(db.pool()).await;
    match refused {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "ingredient_id");
            assert!(reason.contains("index 700"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let count = Lot::select(&scope(1)).count(db.pool()).await.unwrap();
    assert_eq!(count, 0, "a refused row leaves no row written");
}

#[tokio::test]
async fn insert_many_inside_a_transaction_rolls_back_with_it() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let scope = scope(1);
    let mut tx = scope.begin(db.pool()).await.unwrap();
    let rows = (0..3).map(|_| new_lot(&oil, "1", None));
    let stored = Lot::insert_many(&scope, rows)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    tx.rollback().await.unwrap();
    assert_eq!(Lot::select(&scope).count(db.pool()).await.unwrap(), 0);
}

// --- Values -------------------------------------------------------------------

#[tokio::test]
async fn enums_are_stored_as_their_words() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let mine = lot(&db, 1, new_lot(&oil, "1", None)).await;
    let scope = scope(1);
    Lot::update(&scope, mine.id)
        .set(Lot::STATE, LotState::Expired)
        .execute(db.pool())
        .await
        .unwrap();
    let stored: String = sqlx::query_scalar("SELECT state FROM lots")
        .fetch_one(db.admin())
        .await
        .unwrap();
    assert_eq!(stored, "gone");
    assert_eq!(LotState::from_text(&stored), Some(LotState::Expired));
    let found = Lot::select(&scope)
        .filter(Lot::STATE.eq(LotState::Expired))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(found, 1);
    let guarded = Lot::update(&scope, mine.id)
        .set(Lot::STATE, LotState::InUse)
        .only_if(Lot::STATE.eq(LotState::Received))
        .execute(db.pool())
        .await;
    assert!(matches!(guarded, Err(Error::ConditionFailed { .. })));

    // A word written around the enum is a decode error that names it.
    sqlx::query("UPDATE lots SET state = 'lost'")
        .execute(db.admin())
        .await
        .unwrap();
    let error = Lot::find(&scope, mine.id)
        .fetch_one(db.pool())
        .await
        .unwrap_err();
    let mut source = std::error::Error::source(&error);
    let mut named = false;
    while let Some(cause) = source {
        named |= cause
            .to_string()
            .contains("`lost` is not a value of `LotState`");
        source = cause.source();
    }
    assert!(named, "{error:?}");
}

#[tokio::test]
async fn nulls_order_alike_on_both_backends() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    for expires in [Some("2027-01-01"), None, Some("2026-06-01")] {
        lot(&db, 1, new_lot(&oil, "1", expires)).await;
    }
    let scope = scope(1);
    let order = |select: tenancy_core::Select<Lot>| {
        let pool = db.pool().clone();
        async move {
            select
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .map(|lot| lot.expires_on.map(|d| d.to_string()))
                .collect::<Vec<_>>()
        }
    };
    let d = |text: &str| Some(text.to_owned());
    assert_eq!(
        order(Lot::select(&scope).order_by(Lot::EXPIRES_ON, Order::Asc)).await,
        [d("2026-06-01"), d("2027-01-01"), None]
    );
    assert_eq!(
        order(Lot::select(&scope).order_by(Lot::EXPIRES_ON, Order::Desc)).await,
        [None, d("2027-01-01"), d("2026-06-01")]
    );
    assert_eq!(
        order(Lot::select(&scope).order_by_nulls(Lot::EXPIRES_ON, Order::Asc, NullOrdering::First))
            .await,
        [None, d("2026-06-01"), d("2027-01-01")]
    );
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
