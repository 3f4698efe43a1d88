//! Sales first in, first out by batch, and traceability both ways.

use batchtrack_ref::domain::batches::{self, Finish};
use batchtrack_ref::domain::models::SaleKind;
use batchtrack_ref::domain::products::{SaleRequest, product_stock, record_sale};
use batchtrack_ref::domain::{DomainError, Store, trace};

use crate::fixtures::{Catalog, Db, amount, catalog, receive, shop, today};
use tenancy_core::Scope;

crate::both!(
    sales_take_the_oldest_batch_first,
    a_recall_traces_lots_to_sales_and_back
);

async fn made<DB: Store>(
    db: &Db<DB>,
    scope: &Scope,
    items: &Catalog,
    pieces: &str,
    code: &str,
) -> batches::Started {
    let started = batches::start(
        &db.pool,
        scope,
        &db.units,
        items.soap.id,
        amount("1"),
        today(),
    )
    .await
    .unwrap();
    let finish = Finish {
        sku_id: items.bar.id,
        yield_quantity: amount(pieces),
        batch_code: Some(code.into()),
        expires_on: None,
    };
    batches::finish(&db.pool, scope, started.batch.id, finish, today())
        .await
        .unwrap();
    started
}

async fn sales_take_the_oldest_batch_first<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    receive(db, &scope, &items.oil, "5000", "0.01", "2026-05-01", None).await;
    receive(db, &scope, &items.lye, "5000", "0.005", "2026-05-01", None).await;
    made(db, &scope, &items, "6", "A-1").await;
    made(db, &scope, &items, "6", "A-2").await;
    let sale = |quantity: &str| SaleRequest {
        sku_id: items.bar.id,
        kind: SaleKind::Sale,
        quantity: amount(quantity),
        reference: Some("market".into()),
    };
    let recorded = record_sale(&db.pool, &scope, sale("8"), today())
        .await
        .unwrap();
    let taken: Vec<_> = recorded.allocations.iter().map(|a| a.quantity).collect();
    assert_eq!(taken, vec![amount("6"), amount("2")]);
    let stock = product_stock(&db.pool, &scope, items.bar.id).await.unwrap();
    assert_eq!(
        stock.iter().map(|s| s.quantity).collect::<Vec<_>>(),
        vec![amount("0"), amount("4")]
    );
    let error = record_sale(&db.pool, &scope, sale("5"), today())
        .await
        .unwrap_err();
    assert!(
        matches!(error, DomainError::NotEnoughGoods { .. }),
        "{error:?}"
    );
    for bad in ["0", "-1"] {
        assert!(matches!(
            record_sale(&db.pool, &scope, sale(bad), today()).await,
            Err(DomainError::Invalid { .. })
        ));
    }
    let stock_after = product_stock(&db.pool, &scope, items.bar.id).await.unwrap();
    assert_eq!(stock, stock_after, "refused sales take nothing");
}

async fn a_recall_traces_lots_to_sales_and_back<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    let oil = receive(db, &scope, &items.oil, "700", "0.01", "2026-05-01", None).await;
    let other_oil = receive(db, &scope, &items.oil, "5000", "0.01", "2026-05-02", None).await;
    receive(db, &scope, &items.lye, "5000", "0.005", "2026-05-01", None).await;
    let first = made(db, &scope, &items, "6", "A-1").await;
    let second = made(db, &scope, &items, "6", "A-2").await;
    let third = made(db, &scope, &items, "6", "A-3").await;
    let sale = SaleRequest {
        sku_id: items.bar.id,
        kind: SaleKind::Shipment,
        quantity: amount("8"),
        reference: None,
    };
    let recorded = record_sale(&db.pool, &scope, sale, today()).await.unwrap();

    // The first lot's 700 g went into the first two batches (460 + 240).
    let forward = trace::forward(&db.pool, &scope, oil.id).await.unwrap();
    let batch_ids: Vec<_> = forward
        .batches
        .iter()
        .map(|b| (b.batch.id, b.quantity_used))
        .collect();
    assert_eq!(
        batch_ids,
        vec![
            (first.batch.id, amount("460")),
            (second.batch.id, amount("240"))
        ]
    );
    assert_eq!(forward.products.len(), 2);
    assert_eq!(
        forward.sales.len(),
        2,
        "the shipment took from both batches' bars"
    );
    assert!(forward.sales.iter().all(|s| s.sale.id == recorded.sale.id));
    let quantities: Vec<_> = forward.sales.iter().map(|s| s.quantity).collect();
    assert_eq!(quantities, vec![amount("6"), amount("2")]);

    // The second batch came from both oil lots and the lye.
    let back = trace::batch_back(&db.pool, &scope, second.batch.id)
        .await
        .unwrap();
    let lots: Vec<_> = back
        .lots
        .iter()
        .map(|l| (l.lot.id, l.quantity_used))
        .collect();
    assert!(lots.contains(&(oil.id, amount("240"))), "{lots:?}");
    assert!(lots.contains(&(other_oil.id, amount("220"))), "{lots:?}");
    assert_eq!(back.lots.len(), 3);
    let product = back.products[0].id;
    assert_eq!(
        trace::product_back(&db.pool, &scope, product)
            .await
            .unwrap(),
        back
    );
    let untouched = trace::batch_back(&db.pool, &scope, third.batch.id)
        .await
        .unwrap();
    assert!(untouched.lots.iter().all(|l| l.lot.id != oil.id));
}
