//! Another organization's ids, wherever a service takes one: refused as
//! absent, nothing written on either side.

use batchtrack_ref::domain::batches::{self, Finish};
use batchtrack_ref::domain::inventory::{self, AdjustmentRequest, Receipt};
use batchtrack_ref::domain::models::{
    AdjustmentKind, Batch, Lot, NewRecipeIngredient, RecipeIngredient, SaleKind,
};
use batchtrack_ref::domain::products::{SaleRequest, record_sale};
use batchtrack_ref::domain::{DomainError, Store, stock, trace};
use tenancy_core::{Error, Scoped};

use crate::fixtures::{Db, amount, catalog, day, receive, shop, today, unit};

crate::both!(another_organizations_ids_are_not_found_and_nothing_is_written);

fn not_found(result: Result<impl std::fmt::Debug, DomainError>) {
    match result {
        Err(DomainError::Library(Error::NotFound { .. })) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn another_organizations_ids_are_not_found_and_nothing_is_written<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let birch = shop(db, "birch").await;
    let (a, b) = (acme.owner(), birch.owner());
    let theirs = catalog(db, &b).await;
    let mine = catalog(db, &a).await;
    let their_lot = receive(db, &b, &theirs.oil, "5000", "0.01", "2026-05-01", None).await;
    receive(db, &b, &theirs.lye, "5000", "0.005", "2026-05-01", None).await;
    receive(db, &a, &mine.oil, "5000", "0.01", "2026-05-01", None).await;
    receive(db, &a, &mine.lye, "5000", "0.005", "2026-05-01", None).await;
    let their_batch = batches::start(
        &db.pool,
        &b,
        &db.units,
        theirs.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    let my_batch = batches::start(&db.pool, &a, &db.units, mine.soap.id, amount("1"), today())
        .await
        .unwrap();
    let their_lots = Lot::select(&b).fetch_all(&db.pool).await.unwrap();
    let my_lots = Lot::select(&a).fetch_all(&db.pool).await.unwrap();

    not_found(
        batches::start(
            &db.pool,
            &a,
            &db.units,
            theirs.soap.id,
            amount("1"),
            today(),
        )
        .await,
    );
    not_found(
        stock::check(
            &db.pool,
            &a,
            &db.units,
            theirs.soap.id,
            amount("1"),
            today(),
        )
        .await,
    );
    let receipt = Receipt {
        ingredient_id: theirs.oil.id,
        lot_number: "X".into(),
        supplier: None,
        quantity: amount("1"),
        unit_id: unit(db, "g"),
        cost_per_unit: amount("1"),
        received_on: day("2026-06-01"),
        expires_on: None,
    };
    not_found(inventory::receive(&db.pool, &a, &db.units, receipt).await);
    let adjustment = AdjustmentRequest {
        lot_id: their_lot.id,
        kind: AdjustmentKind::Spoilage,
        quantity: amount("1"),
        reason: "theirs".into(),
    };
    not_found(inventory::adjust(&db.pool, &a, adjustment).await);
    let finish = |sku| Finish {
        sku_id: sku,
        yield_quantity: amount("1"),
        batch_code: None,
        expires_on: None,
    };
    not_found(
        batches::finish(
            &db.pool,
            &a,
            their_batch.batch.id,
            finish(mine.bar.id),
            today(),
        )
        .await,
    );
    not_found(
        batches::finish(
            &db.pool,
            &a,
            my_batch.batch.id,
            finish(theirs.bar.id),
            today(),
        )
        .await,
    );
    not_found(batches::cancel(&db.pool, &a, their_batch.batch.id).await);
    let sale = SaleRequest {
        sku_id: theirs.bar.id,
        kind: SaleKind::Sale,
        quantity: amount("1"),
        reference: None,
    };
    not_found(record_sale(&db.pool, &a, sale, today()).await);
    not_found(
        trace::forward(&db.pool, &a, their_lot.id)
            .await
            .map_err(DomainError::from),
    );
    not_found(
        trace::batch_back(&db.pool, &a, their_batch.batch.id)
            .await
            .map_err(DomainError::from),
    );
    // A recipe line naming their ingredient is refused by the checked reference.
    let line = NewRecipeIngredient {
        recipe_id: mine.soap.id,
        ingredient_id: theirs.lye.id,
        quantity: amount("1"),
        unit_id: unit(db, "g"),
    };
    let refused = RecipeIngredient::insert(&a, line)
        .execute(&db.pool)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Invalid { .. }), "{refused:?}");

    assert_eq!(
        Lot::select(&b).fetch_all(&db.pool).await.unwrap(),
        their_lots
    );
    assert_eq!(Lot::select(&a).fetch_all(&db.pool).await.unwrap(), my_lots);
    let statuses = |batches: Vec<Batch>| {
        batches
            .into_iter()
            .map(|b| (b.id, b.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(Batch::select(&a).fetch_all(&db.pool).await.unwrap()),
        vec![(my_batch.batch.id, my_batch.batch.status)]
    );
    assert_eq!(
        statuses(Batch::select(&b).fetch_all(&db.pool).await.unwrap()),
        vec![(their_batch.batch.id, their_batch.batch.status)]
    );
}
