//! The stock check, and batches along their states.

use batchtrack_ref::domain::batches::{self, Finish};
use batchtrack_ref::domain::catalog::{IngredientSpec, LineSpec, create_ingredient, create_recipe};
use batchtrack_ref::domain::inventory::{self, AdjustmentRequest, Receipt};
use batchtrack_ref::domain::models::{AdjustmentKind, Ingredient};
use batchtrack_ref::domain::models::{BatchStatus, Lot, Movement, MovementKind};
use batchtrack_ref::domain::{DomainError, Store, stock};
use tenancy_core::{Amount, Scoped};

use crate::fixtures::{Db, amount, assert_books_balance, catalog, receive, shop, today, unit};

crate::both!(
    the_stock_check_says_what_is_short_and_the_largest_scale,
    a_short_start_lists_every_shortfall_and_takes_nothing,
    finishing_makes_product_inventory_at_the_cost_of_the_lots_used,
    cancelling_gives_back_exactly_what_was_taken,
    a_batch_moves_only_along_its_states,
    a_deactivated_ingredients_lots_still_move,
    the_largest_scale_is_exact_across_units,
);

async fn the_stock_check_says_what_is_short_and_the_largest_scale<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    // 920 g of oil is 1000 ml; 100 g of lye.
    receive(db, &scope, &items.oil, "920", "0.01", "2026-05-01", None).await;
    receive(db, &scope, &items.lye, "100", "0.005", "2026-05-01", None).await;
    let check = stock::check(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("2"),
        today(),
    )
    .await
    .unwrap();
    assert!(!check.can_make);
    let line = |id| {
        check
            .lines
            .iter()
            .find(|line| line.ingredient_id == id)
            .unwrap()
    };
    let oil = line(items.oil.id);
    assert_eq!(
        (oil.unit_id, oil.needed, oil.available, oil.short_by),
        (unit(db, "ml"), amount("1000"), amount("1000"), Amount::ZERO)
    );
    let lye = line(items.lye.id);
    assert_eq!(
        (lye.needed, lye.available, lye.short_by),
        (amount("140"), amount("100"), amount("40"))
    );
    // Lye allows 100 / 70 = 1.42 batches; oil 2.
    assert_eq!(check.max_scale, Some(amount("1.42")));
    let check = stock::check(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1.42"),
        today(),
    )
    .await
    .unwrap();
    assert!(check.can_make);
    batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1.42"),
        today(),
    )
    .await
    .unwrap();
    let check = stock::check(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    assert_eq!(check.max_scale, Some(Amount::ZERO), "0.6 g of lye left");
    for scale in ["0", "-1", "1000000001"] {
        let error = stock::check(
            &db.pool,
            &scope,
            &db.units,
            items.soap.id,
            amount(scale),
            today(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { field: "scale", .. }),
            "{scale}: {error:?}"
        );
    }
}

async fn a_short_start_lists_every_shortfall_and_takes_nothing<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    receive(db, &scope, &items.oil, "400", "0.01", "2026-05-01", None).await;
    receive(db, &scope, &items.lye, "50", "0.005", "2026-05-01", None).await;
    let before = Lot::select(&scope).fetch_all(&db.pool).await.unwrap();
    let error = batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap_err();
    let DomainError::ShortStock(short) = error else {
        panic!("{error:?}")
    };
    assert_eq!(short.len(), 2, "{short:?}");
    assert_eq!(
        short
            .iter()
            .find(|s| s.ingredient_id == items.lye.id)
            .unwrap()
            .short_by,
        amount("20")
    );
    assert_eq!(
        Lot::select(&scope).fetch_all(&db.pool).await.unwrap(),
        before
    );
    assert!(
        batches::batches(&db.pool, &scope, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_books_balance(db, &scope).await;
}

async fn finishing_makes_product_inventory_at_the_cost_of_the_lots_used<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    receive(db, &scope, &items.oil, "1000", "0.01", "2026-05-01", None).await;
    receive(db, &scope, &items.lye, "1000", "0.005", "2026-05-01", None).await;
    let started = batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    // 460 × 0.01 + 70 × 0.005 = 4.95, over 6 bars.
    assert_eq!(started.batch.total_cost, amount("4.95"));
    let finish = Finish {
        sku_id: items.bar.id,
        yield_quantity: amount("6"),
        batch_code: None,
        expires_on: None,
    };
    let made = batches::finish(&db.pool, &scope, started.batch.id, finish, today())
        .await
        .unwrap();
    assert_eq!(
        (made.quantity, made.cost_per_unit),
        (amount("6"), amount("0.825"))
    );
    assert_eq!(
        made.batch_code,
        format!("B{}-20260615", started.batch.id.get())
    );
    let batch = batches::batches(&db.pool, &scope, Some(BatchStatus::Finished), 10)
        .await
        .unwrap();
    assert_eq!(batch.len(), 1);
    assert!(batch[0].ended_at.is_some());
}

async fn cancelling_gives_back_exactly_what_was_taken<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    receive(db, &scope, &items.oil, "300", "0.01", "2026-04-01", None).await;
    receive(db, &scope, &items.oil, "1000", "0.01", "2026-05-01", None).await;
    receive(db, &scope, &items.lye, "1000", "0.005", "2026-05-01", None).await;
    let before = Lot::select(&scope).fetch_all(&db.pool).await.unwrap();
    let started = batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1.5"),
        today(),
    )
    .await
    .unwrap();
    assert_eq!(started.used.len(), 3);
    let cancelled = batches::cancel(&db.pool, &scope, started.batch.id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, BatchStatus::Cancelled);
    assert_eq!(
        Lot::select(&scope).fetch_all(&db.pool).await.unwrap(),
        before
    );
    let returns = Movement::select(&scope)
        .filter(Movement::KIND.eq(MovementKind::BatchReturn))
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(returns.len(), 3);
    assert!(returns.iter().all(|m| m.batch_id == Some(started.batch.id)));
    assert_books_balance(db, &scope).await;
}

async fn a_batch_moves_only_along_its_states<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    receive(db, &scope, &items.oil, "5000", "0.01", "2026-05-01", None).await;
    receive(db, &scope, &items.lye, "5000", "0.005", "2026-05-01", None).await;
    let finish = |code: &str| Finish {
        sku_id: items.bar.id,
        yield_quantity: amount("6"),
        batch_code: Some(code.into()),
        expires_on: None,
    };
    let one = batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    batches::finish(&db.pool, &scope, one.batch.id, finish("A-1"), today())
        .await
        .unwrap();
    let again = batches::finish(&db.pool, &scope, one.batch.id, finish("A-2"), today())
        .await
        .unwrap_err();
    assert!(
        matches!(
            again,
            DomainError::BatchNotInProgress {
                status: BatchStatus::Finished
            }
        ),
        "{again:?}"
    );
    let cancel = batches::cancel(&db.pool, &scope, one.batch.id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            cancel,
            DomainError::BatchNotInProgress {
                status: BatchStatus::Finished
            }
        ),
        "{cancel:?}"
    );

    let two = batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    // A code already used is a conflict, and the batch stays in progress.
    let taken = batches::finish(&db.pool, &scope, two.batch.id, finish("A-1"), today())
        .await
        .unwrap_err();
    assert!(
        matches!(
            taken,
            DomainError::Library(tenancy_core::Error::Conflict { .. })
        ),
        "{taken:?}"
    );
    batches::cancel(&db.pool, &scope, two.batch.id)
        .await
        .unwrap();
    let twice = batches::cancel(&db.pool, &scope, two.batch.id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            twice,
            DomainError::BatchNotInProgress {
                status: BatchStatus::Cancelled
            }
        ),
        "{twice:?}"
    );
    let after = batches::finish(&db.pool, &scope, two.batch.id, finish("A-3"), today())
        .await
        .unwrap_err();
    assert!(
        matches!(
            after,
            DomainError::BatchNotInProgress {
                status: BatchStatus::Cancelled
            }
        ),
        "{after:?}"
    );
    assert_books_balance(db, &scope).await;
}

async fn a_deactivated_ingredients_lots_still_move<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    let lot = receive(db, &scope, &items.lye, "1000", "0.005", "2026-05-01", None).await;
    receive(db, &scope, &items.oil, "1000", "0.01", "2026-05-01", None).await;
    let started = batches::start(
        &db.pool,
        &scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    Ingredient::delete(&scope, items.lye.id)
        .execute(&db.pool)
        .await
        .unwrap();
    batches::cancel(&db.pool, &scope, started.batch.id)
        .await
        .unwrap();
    let request = AdjustmentRequest {
        lot_id: lot.id,
        kind: AdjustmentKind::Spoilage,
        quantity: amount("1000"),
        reason: "discontinued".into(),
    };
    inventory::adjust(&db.pool, &scope, request).await.unwrap();
    assert_books_balance(db, &scope).await;
}

async fn the_largest_scale_is_exact_across_units<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    // Stocked in gallons, used by the teaspoon: 55 gal is 42 240 tsp.
    let spec = IngredientSpec {
        name: "Glycerin".into(),
        category_id: None,
        stock_unit_id: unit(db, "gal"),
        density: None,
        unit_weight: None,
        low_stock_threshold: None,
    };
    let glycerin = create_ingredient(&db.pool, &scope, &db.units, spec)
        .await
        .unwrap();
    let line = LineSpec {
        ingredient_id: glycerin.id,
        quantity: amount("1"),
        unit_id: unit(db, "tsp"),
    };
    let (recipe, _) = create_recipe(&db.pool, &scope, &db.units, "Drops", None, vec![line])
        .await
        .unwrap();
    let receipt = Receipt {
        ingredient_id: glycerin.id,
        lot_number: "G-1".into(),
        supplier: None,
        quantity: amount("55"),
        unit_id: unit(db, "gal"),
        cost_per_unit: amount("20"),
        received_on: crate::fixtures::day("2026-05-01"),
        expires_on: None,
    };
    inventory::receive(&db.pool, &scope, &db.units, receipt.clone())
        .await
        .unwrap();
    let check = stock::check(&db.pool, &scope, &db.units, recipe.id, amount("1"), today())
        .await
        .unwrap();
    assert!(check.can_make);
    let max = check.max_scale.unwrap();
    assert!(
        max >= amount("42239.99") && max <= amount("42240.01"),
        "{max}"
    );
    // A start at the largest scale succeeds; a hundredth more is short.
    let over = max.checked_add(amount("0.01")).unwrap();
    assert!(matches!(
        batches::start(&db.pool, &scope, &db.units, recipe.id, over, today()).await,
        Err(DomainError::ShortStock(_))
    ));
    batches::start(&db.pool, &scope, &db.units, recipe.id, max, today())
        .await
        .unwrap();
    // Dates outside 2000–2199 are refused.
    let ancient = Receipt {
        received_on: crate::fixtures::day("1999-12-31"),
        ..receipt
    };
    assert!(matches!(
        inventory::receive(&db.pool, &scope, &db.units, ancient).await,
        Err(DomainError::Invalid {
            field: "received_on",
            ..
        })
    ));
}
