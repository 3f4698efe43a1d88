//! Receiving, FIFO order, expiry, adjustments and low stock.

use batchtrack_ref::domain::inventory::{
    self, AdjustmentRequest, Receipt, expired_lots, low_stock, set_consumption_order,
};
use batchtrack_ref::domain::models::{AdjustmentKind, ConsumptionOrder, MovementKind};
use batchtrack_ref::domain::{DomainError, Store, batches};
use tenancy_core::Error;

use crate::fixtures::{Db, amount, assert_books_balance, catalog, day, receive, shop, today, unit};

crate::both!(
    a_lot_bought_in_another_unit_is_stocked_in_the_ingredients,
    batches_take_the_oldest_usable_lot_first_and_never_an_expired_one,
    expiring_first_is_an_organization_setting,
    adjustments_need_the_permission_a_reason_and_stock,
    low_stock_lists_what_is_below_its_threshold,
    the_schema_audit_is_clean,
);

async fn a_lot_bought_in_another_unit_is_stocked_in_the_ingredients<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    // 2 kg of lye at 4.50 per kg: 2000 g at 0.0045 per gram.
    let receipt = Receipt {
        ingredient_id: items.lye.id,
        lot_number: "NaOH-7".into(),
        supplier: None,
        quantity: amount("2"),
        unit_id: unit(db, "kg"),
        cost_per_unit: amount("4.5"),
        received_on: day("2026-06-01"),
        expires_on: None,
    };
    let lot = inventory::receive(&db.pool, &scope, &db.units, receipt.clone())
        .await
        .unwrap();
    assert_eq!(lot.quantity, amount("2000"));
    assert_eq!(lot.received_quantity, amount("2000"));
    assert_eq!(lot.cost_per_unit, amount("0.0045"));
    assert_eq!(
        (lot.purchase_quantity, lot.purchase_cost_per_unit),
        (amount("2"), amount("4.5"))
    );
    assert_eq!(lot.received_by, Some(acme.owner));
    let history = inventory::lot_history(&db.pool, &scope, lot.id)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].kind, history[0].quantity_change),
        (MovementKind::Receipt, amount("2000"))
    );

    // 1 litre of lye has no density: a clear error naming both units.
    let litre = Receipt {
        unit_id: unit(db, "l"),
        ..receipt.clone()
    };
    let error = inventory::receive(&db.pool, &scope, &db.units, litre)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot convert `l` to `g`: the ingredient has no density"
    );
    // Zero, negative and absurd quantities, negative costs, expiry before receipt.
    for (quantity, cost) in [("0", "1"), ("-5", "1"), ("1000000001", "1"), ("1", "-0.01")] {
        let bad = Receipt {
            quantity: amount(quantity),
            cost_per_unit: amount(cost),
            ..receipt.clone()
        };
        let error = inventory::receive(&db.pool, &scope, &db.units, bad)
            .await
            .unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { .. }),
            "{quantity} at {cost}: {error:?}"
        );
    }
    let early = Receipt {
        expires_on: Some(day("2026-05-01")),
        ..receipt.clone()
    };
    assert!(matches!(
        inventory::receive(&db.pool, &scope, &db.units, early).await,
        Err(DomainError::Invalid {
            field: "expires_on",
            ..
        })
    ));
    let unknown = Receipt {
        unit_id: tenancy_core::Id::new(99_999),
        ..receipt
    };
    assert!(matches!(
        inventory::receive(&db.pool, &scope, &db.units, unknown).await,
        Err(DomainError::Conversion(_))
    ));
    assert_eq!(
        assert_books_balance(db, &scope).await.len(),
        1,
        "nothing else was written"
    );
}

async fn batches_take_the_oldest_usable_lot_first_and_never_an_expired_one<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    let expired = receive(
        db,
        &scope,
        &items.oil,
        "5000",
        "0.01",
        "2026-01-01",
        Some("2026-06-14"),
    )
    .await;
    let old = receive(db, &scope, &items.oil, "300", "0.01", "2026-03-01", None).await;
    let new = receive(
        db,
        &scope,
        &items.oil,
        "5000",
        "0.02",
        "2026-05-01",
        Some("2026-12-31"),
    )
    .await;
    receive(db, &scope, &items.lye, "1000", "0.005", "2026-05-01", None).await;
    assert_eq!(
        expired_lots(&db.pool, &scope, today()).await.unwrap(),
        vec![expired.clone()]
    );

    // 500 ml of oil is 460 g: 300 from the old lot, 160 from the new one.
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
    let taken: Vec<_> = started
        .used
        .iter()
        .filter(|row| row.ingredient_id == items.oil.id)
        .map(|row| (row.inventory_item_id, row.quantity_used))
        .collect();
    assert_eq!(
        taken,
        vec![(old.id, amount("300")), (new.id, amount("160"))]
    );
    // 300 × 0.01 + 160 × 0.02 + 70 × 0.005.
    assert_eq!(started.batch.total_cost, amount("6.55"));
    let lots = assert_books_balance(db, &scope).await;
    let left = |id| lots.iter().find(|lot| lot.id == id).unwrap().quantity;
    assert_eq!(
        (left(expired.id), left(old.id), left(new.id)),
        (amount("5000"), amount("0"), amount("4840"))
    );
}

async fn expiring_first_is_an_organization_setting<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    let keeps = receive(db, &scope, &items.oil, "1000", "0.01", "2026-03-01", None).await;
    let soon = receive(
        db,
        &scope,
        &items.oil,
        "1000",
        "0.01",
        "2026-05-01",
        Some("2026-07-01"),
    )
    .await;
    receive(db, &scope, &items.lye, "1000", "0.005", "2026-05-01", None).await;
    set_consumption_order(&db.pool, &scope, ConsumptionOrder::ExpiringFirst)
        .await
        .unwrap();
    set_consumption_order(&db.pool, &scope, ConsumptionOrder::ExpiringFirst)
        .await
        .unwrap();
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
    let oil: Vec<_> = started
        .used
        .iter()
        .filter(|r| r.ingredient_id == items.oil.id)
        .collect();
    assert_eq!(oil.len(), 1);
    assert_eq!(
        oil[0].inventory_item_id, soon.id,
        "the lot expiring first, not {}",
        keeps.id
    );
    // Another organization's setting is its own.
    let birch = shop(db, "birch").await;
    assert_eq!(
        inventory::consumption_order(&db.pool, &birch.owner())
            .await
            .unwrap(),
        ConsumptionOrder::ReceivedFirst
    );
}

async fn adjustments_need_the_permission_a_reason_and_stock<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    let lot = receive(db, &scope, &items.oil, "1000", "0.01", "2026-05-01", None).await;
    let request = |kind, quantity: &str| AdjustmentRequest {
        lot_id: lot.id,
        kind,
        quantity: amount(quantity),
        reason: "spilled on the floor".into(),
    };
    let spoiled = inventory::adjust(&db.pool, &scope, request(AdjustmentKind::Spoilage, "50"))
        .await
        .unwrap();
    assert_eq!(
        (spoiled.quantity_change, spoiled.approved_by),
        (amount("-50"), Some(acme.owner))
    );
    let recount = inventory::adjust(&db.pool, &scope, request(AdjustmentKind::Recount, "900"))
        .await
        .unwrap();
    assert_eq!(recount.quantity_change, amount("-50"));
    inventory::adjust(&db.pool, &scope, request(AdjustmentKind::Correction, "25"))
        .await
        .unwrap();

    // A member without the permission cannot approve.
    let error = inventory::adjust(
        &db.pool,
        &acme.member(),
        request(AdjustmentKind::Spoilage, "1"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, DomainError::Library(Error::Forbidden)),
        "{error:?}"
    );
    // Below zero, nothing to change, no reason, a negative count.
    for bad in [
        request(AdjustmentKind::Spoilage, "926"),
        request(AdjustmentKind::Correction, "-926"),
        request(AdjustmentKind::Recount, "925"),
        request(AdjustmentKind::Recount, "-1"),
        request(AdjustmentKind::Spoilage, "0"),
        AdjustmentRequest {
            reason: "  ".into(),
            ..request(AdjustmentKind::Spoilage, "1")
        },
    ] {
        let error = inventory::adjust(&db.pool, &scope, bad.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { .. }),
            "{bad:?}: {error:?}"
        );
    }
    let lots = assert_books_balance(db, &scope).await;
    assert_eq!(lots[0].quantity, amount("925"));
    let history = inventory::lot_history(&db.pool, &scope, lot.id)
        .await
        .unwrap();
    assert_eq!(history.len(), 4);
    assert!(
        history[1..]
            .iter()
            .all(|m| m.kind == MovementKind::Adjustment && m.adjustment_id.is_some())
    );
}

async fn low_stock_lists_what_is_below_its_threshold<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    // Oil's threshold is 1000 g; an expired lot does not count.
    receive(db, &scope, &items.oil, "900", "0.01", "2026-05-01", None).await;
    receive(
        db,
        &scope,
        &items.oil,
        "5000",
        "0.01",
        "2026-01-01",
        Some("2026-06-01"),
    )
    .await;
    let low = low_stock(&db.pool, &scope, today()).await.unwrap();
    assert_eq!(low.len(), 1);
    assert_eq!(
        (low[0].ingredient.id, low[0].on_hand, low[0].threshold),
        (items.oil.id, amount("900"), amount("1000"))
    );
    receive(db, &scope, &items.oil, "100", "0.01", "2026-05-02", None).await;
    assert!(
        low_stock(&db.pool, &scope, today())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_schema_audit_is_clean<DB: Store>(db: &Db<DB>) {
    let report = batchtrack_ref::db::require_clean(&db.pool).await.unwrap();
    assert!(report.is_clean(), "{report}");
}
