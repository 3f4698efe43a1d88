//! Aggregates, many-row inserts, enums stored as text and the order of
//! nulls, compiled once per backend.

use tenancy_core::{Amount, Error, Id, NullOrdering, Order, Scoped, TextEnum};

use super::db;
use super::helpers::{amount, ingredient, lot, new_lot, scope};
use crate::models::{
    Ingredient, Lot, LotState, NewLot, NewStockMove, NewUsage, StockMove, Usage, org_id,
};

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
async fn an_append_only_history_is_inserted_read_and_summed() {
    let Some(db) = db().await else { return };
    let oil = ingredient(&db, 1, "olive oil").await;
    let wax = ingredient(&db, 2, "wax").await;
    let mine = lot(&db, 1, new_lot(&oil, "10", None)).await;
    let theirs = lot(&db, 2, new_lot(&wax, "10", None)).await;
    let moves = ["10", "-2.5", "-0.25"].map(|quantity| NewStockMove {
        lot_id: mine.id,
        quantity: amount(quantity),
    });
    let stored = StockMove::insert_many(&scope(1), moves)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    let on_hand = StockMove::select(&scope(1))
        .filter(StockMove::LOT_ID.eq(mine.id))
        .sum(StockMove::QUANTITY)
        .fetch(db.pool())
        .await
        .unwrap();
    assert_eq!(on_hand, amount("7.25"));
    // Another organization's lot is refused as a reference, as anywhere.
    let foreign = NewStockMove {
        lot_id: theirs.id,
        quantity: amount("1"),
    };
    let refused = StockMove::insert(&scope(1), foreign)
        .execute(db.pool())
        .await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    let theirs_seen = StockMove::select(&scope(2)).count(db.pool()).await.unwrap();
    assert_eq!(theirs_seen, 0);
}
