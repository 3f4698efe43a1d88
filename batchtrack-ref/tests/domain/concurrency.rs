//! Batch starts racing for the same lots.

use std::sync::Arc;

use batchtrack_ref::domain::models::BatchIngredient;
use batchtrack_ref::domain::{DomainError, Store, batches};
use tenancy_core::{Amount, Scoped};

use crate::fixtures::{Db, amount, assert_books_balance, catalog, receive, shop, today};

crate::both!(sixteen_tasks_starting_fifty_batches_each_never_overdraw_a_lot);

/// 16 tasks × 50 starts of a batch that needs 460 g of oil and 70 g of
/// lye, over three lots of oil and one of lye that cover about 100
/// batches: the starts that succeed took exactly what left the lots, no
/// lot went below zero, the history adds up, and every refusal was a
/// shortfall (a busy database is retried, never returned).
async fn sixteen_tasks_starting_fifty_batches_each_never_overdraw_a_lot<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    receive(db, &scope, &items.oil, "20000", "0.01", "2026-04-01", None).await;
    receive(db, &scope, &items.oil, "15000", "0.011", "2026-04-02", None).await;
    receive(db, &scope, &items.oil, "11000", "0.012", "2026-04-03", None).await;
    receive(db, &scope, &items.lye, "7000", "0.005", "2026-04-01", None).await;
    let shared = Arc::new((
        db.pool.clone(),
        db.units.clone(),
        scope.clone(),
        items.soap.id,
    ));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move {
            let (pool, units, scope, recipe) = &*shared;
            let (mut started, mut short) = (0_u32, 0_u32);
            for _ in 0..50 {
                match batches::start(
                    pool,
                    scope,
                    units,
                    *recipe,
                    Amount::from_units(1).unwrap(),
                    today(),
                )
                .await
                {
                    Ok(_) => started += 1,
                    Err(DomainError::ShortStock(_)) => short += 1,
                    Err(other) => panic!("a start failed with {other:?}"),
                }
            }
            (started, short)
        }));
    }
    let mut started = 0;
    for task in tasks {
        let (ok, short) = task.await.unwrap();
        assert_eq!(ok + short, 50);
        started += ok;
    }
    // 46 000 g of oil is 100 batches; 7000 g of lye is 100 batches.
    assert_eq!(started, 100);
    let lots = assert_books_balance(db, &scope).await;
    let left = lots.iter().fold(Amount::ZERO, |sum, lot| {
        sum.checked_add(lot.quantity).unwrap()
    });
    assert_eq!(left, Amount::ZERO);
    let used = BatchIngredient::select(&scope)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let taken = used.iter().fold(Amount::ZERO, |sum, row| {
        sum.checked_add(row.quantity_used).unwrap()
    });
    assert_eq!(taken, amount("53000"), "100 × (460 + 70) g");
}
