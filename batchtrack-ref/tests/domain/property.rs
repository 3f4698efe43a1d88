//! Any sequence of receive, start, finish, cancel, adjust and sell across
//! two organizations keeps every lot at zero or more, every lot's history
//! equal to its stock, every product inventory equal to what its batch
//! made less what was sold, and leaves each organization's numbers as
//! they were whenever the other acts.

use std::sync::atomic::{AtomicUsize, Ordering};

use batchtrack_ref::domain::batches::{self, Finish};
use batchtrack_ref::domain::inventory::{self, AdjustmentRequest};
use batchtrack_ref::domain::models::{
    AdjustmentKind, Batch, Lot, ProductStock, SaleAllocation, SaleKind,
};
use batchtrack_ref::domain::products::{SaleRequest, record_sale};
use batchtrack_ref::domain::{DomainError, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tenancy_core::{Amount, Scope, Scoped};

use crate::fixtures::{Catalog, Db, assert_books_balance, catalog, receive, shop, today};

#[derive(Debug, Clone)]
enum Op {
    Receive {
        org: usize,
        lye: bool,
        grams: u32,
        expired: bool,
    },
    Start {
        org: usize,
        hundredths: u32,
    },
    Finish {
        org: usize,
        nth: usize,
        pieces: u32,
    },
    Cancel {
        org: usize,
        nth: usize,
    },
    Adjust {
        org: usize,
        nth: usize,
        kind: u8,
        grams: i32,
    },
    Sell {
        org: usize,
        pieces: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let org = 0..2_usize;
    prop_oneof![
        (
            org.clone(),
            any::<bool>(),
            1..3000_u32,
            proptest::bool::weighted(0.2)
        )
            .prop_map(|(org, lye, grams, expired)| Op::Receive {
                org,
                lye,
                grams,
                expired
            }),
        (org.clone(), 1..300_u32).prop_map(|(org, hundredths)| Op::Start { org, hundredths }),
        (org.clone(), 0..4_usize, 1..20_u32).prop_map(|(org, nth, pieces)| Op::Finish {
            org,
            nth,
            pieces
        }),
        (org.clone(), 0..4_usize).prop_map(|(org, nth)| Op::Cancel { org, nth }),
        (org.clone(), 0..4_usize, 0..3_u8, -500..500_i32).prop_map(|(org, nth, kind, grams)| {
            Op::Adjust {
                org,
                nth,
                kind,
                grams,
            }
        }),
        (org, 1..30_u32).prop_map(|(org, pieces)| Op::Sell { org, pieces }),
    ]
}

/// What one organization holds, compared before and after the other acts.
#[derive(Debug, PartialEq)]
struct Numbers {
    lots: Vec<Lot>,
    batches: Vec<Batch>,
    goods: Vec<ProductStock>,
}

async fn numbers<DB: Store>(db: &Db<DB>, scope: &Scope) -> Numbers {
    Numbers {
        lots: Lot::select(scope).fetch_all(&db.pool).await.unwrap(),
        batches: Batch::select(scope).fetch_all(&db.pool).await.unwrap(),
        goods: ProductStock::select(scope)
            .fetch_all(&db.pool)
            .await
            .unwrap(),
    }
}

async fn assert_goods_balance<DB: Store>(db: &Db<DB>, scope: &Scope) {
    let goods = ProductStock::select(scope)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let allocations = SaleAllocation::select(scope)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    for stock in goods {
        let sold = allocations
            .iter()
            .filter(|a| a.product_inventory_id == stock.id)
            .fold(Amount::ZERO, |sum, a| sum.checked_add(a.quantity).unwrap());
        assert!(!stock.quantity.is_negative());
        assert_eq!(
            stock.produced_quantity.checked_sub(sold),
            Some(stock.quantity)
        );
    }
}

fn amount_of(n: i64) -> Amount {
    Amount::from_units(n).unwrap()
}

async fn apply<DB: Store>(
    db: &Db<DB>,
    scope: &Scope,
    items: &Catalog,
    op: &Op,
) -> Result<(), DomainError> {
    let nth_batch = |nth: usize| async move {
        let all = Batch::select(scope).fetch_all(&db.pool).await.unwrap();
        all.get(nth % all.len().max(1)).map(|b| b.id)
    };
    match *op {
        Op::Receive {
            lye,
            grams,
            expired,
            ..
        } => {
            let ingredient = if lye { &items.lye } else { &items.oil };
            let expiry = expired.then_some("2026-06-01");
            receive(
                db,
                scope,
                ingredient,
                &grams.to_string(),
                "0.01",
                "2026-05-01",
                expiry,
            )
            .await;
            Ok(())
        }
        Op::Start { hundredths, .. } => {
            let scale = Amount::from_micros(i64::from(hundredths) * 10_000);
            batches::start(&db.pool, scope, &db.units, items.soap.id, scale, today())
                .await
                .map(drop)
        }
        Op::Finish { nth, pieces, .. } => {
            let Some(batch) = nth_batch(nth).await else {
                return Ok(());
            };
            let finish = Finish {
                sku_id: items.bar.id,
                yield_quantity: amount_of(pieces.into()),
                batch_code: None,
                expires_on: None,
            };
            batches::finish(&db.pool, scope, batch, finish, today())
                .await
                .map(drop)
        }
        Op::Cancel { nth, .. } => {
            let Some(batch) = nth_batch(nth).await else {
                return Ok(());
            };
            batches::cancel(&db.pool, scope, batch).await.map(drop)
        }
        Op::Adjust {
            nth, kind, grams, ..
        } => {
            let lots = Lot::select(scope).fetch_all(&db.pool).await.unwrap();
            let Some(lot) = lots.get(nth % lots.len().max(1)) else {
                return Ok(());
            };
            let kind = [
                AdjustmentKind::Spoilage,
                AdjustmentKind::Recount,
                AdjustmentKind::Correction,
            ][usize::from(kind)];
            let quantity = match kind {
                AdjustmentKind::Correction => amount_of(grams.into()),
                _ => amount_of(grams.unsigned_abs().into()),
            };
            let request = AdjustmentRequest {
                lot_id: lot.id,
                kind,
                quantity,
                reason: "property".into(),
            };
            inventory::adjust(&db.pool, scope, request).await.map(drop)
        }
        Op::Sell { pieces, .. } => {
            let sale = SaleRequest {
                sku_id: items.bar.id,
                kind: SaleKind::Sale,
                quantity: amount_of(pieces.into()),
                reference: None,
            };
            record_sale(&db.pool, scope, sale, today()).await.map(drop)
        }
    }
}

fn org_of(op: &Op) -> usize {
    match *op {
        Op::Receive { org, .. }
        | Op::Start { org, .. }
        | Op::Finish { org, .. }
        | Op::Cancel { org, .. }
        | Op::Adjust { org, .. }
        | Op::Sell { org, .. } => org,
    }
}

static CASE: AtomicUsize = AtomicUsize::new(0);
/// Operations that changed something, so that the property is not
/// vacuously held by sequences every step of which is refused.
static DONE: AtomicUsize = AtomicUsize::new(0);

async fn run_case<DB: Store>(db: &Db<DB>, ops: &[Op]) {
    let case = CASE.fetch_add(1, Ordering::Relaxed);
    let shops = [
        shop(db, &format!("a{case}")).await,
        shop(db, &format!("b{case}")).await,
    ];
    let scopes = [shops[0].owner(), shops[1].owner()];
    let items = [catalog(db, &scopes[0]).await, catalog(db, &scopes[1]).await];
    for op in ops {
        let org = org_of(op);
        let other = 1 - org;
        let before = numbers(db, &scopes[other]).await;
        match apply(db, &scopes[org], &items[org], op).await {
            Ok(()) => {
                if !matches!(op, Op::Receive { .. }) {
                    DONE.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(
                DomainError::ShortStock(_)
                | DomainError::NotEnoughGoods { .. }
                | DomainError::BatchNotInProgress { .. }
                | DomainError::Invalid { .. },
            ) => {}
            Err(other) => panic!("{op:?} failed: {other:?}"),
        }
        assert_eq!(
            numbers(db, &scopes[other]).await,
            before,
            "{op:?} changed the other organization"
        );
        assert_books_balance(db, &scopes[org]).await;
        assert_goods_balance(db, &scopes[org]).await;
    }
}

fn property<DB: Store>(db: &Db<DB>, runtime: &tokio::runtime::Runtime, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            runtime.block_on(run_case(db, &ops));
            Ok(())
        })
        .unwrap();
    assert!(
        DONE.load(Ordering::Relaxed) > 0,
        "some starts, finishes, adjustments or sales succeeded"
    );
}

#[test]
fn sequences_keep_stock_balanced_and_organizations_apart_on_sqlite() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(Db::sqlite());
    property(&db, &runtime, 24);
}

#[test]
fn sequences_keep_stock_balanced_and_organizations_apart_on_postgres() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(Db::postgres()) else {
        return;
    };
    property(&db, &runtime, 16);
}
