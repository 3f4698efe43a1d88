//! Making the catalog: what is refused before anything is written.

use batchtrack_ref::domain::catalog::{
    IngredientSpec, LineSpec, create_category, create_ingredient, create_recipe,
};
use batchtrack_ref::domain::models::Recipe;
use batchtrack_ref::domain::{DomainError, Store};
use tenancy_core::{Error, Scoped};

use crate::fixtures::{Db, amount, catalog, shop, unit};

crate::both!(bad_catalog_entries_are_refused_and_nothing_is_written);

async fn bad_catalog_entries_are_refused_and_nothing_is_written<DB: Store>(db: &Db<DB>) {
    let acme = shop(db, "acme").await;
    let birch = shop(db, "birch").await;
    let scope = acme.owner();
    let items = catalog(db, &scope).await;
    let theirs = create_category(&db.pool, &birch.owner(), "Oils", Some("#AABBCC"))
        .await
        .unwrap();
    assert_eq!(theirs.color.as_deref(), Some("#aabbcc"));
    assert!(matches!(
        create_category(&db.pool, &scope, "Oils", Some("red")).await,
        Err(DomainError::Invalid { field: "color", .. })
    ));
    let spec = IngredientSpec {
        name: "Shea butter".into(),
        category_id: None,
        stock_unit_id: unit(db, "g"),
        density: None,
        unit_weight: None,
        low_stock_threshold: None,
    };
    for (bad, field) in [
        (
            IngredientSpec {
                name: " ".into(),
                ..spec.clone()
            },
            "name",
        ),
        (
            IngredientSpec {
                density: Some(amount("0")),
                ..spec.clone()
            },
            "density",
        ),
        (
            IngredientSpec {
                unit_weight: Some(amount("-1")),
                ..spec.clone()
            },
            "unit_weight",
        ),
        (
            IngredientSpec {
                low_stock_threshold: Some(amount("-1")),
                ..spec.clone()
            },
            "low_stock_threshold",
        ),
    ] {
        let error = create_ingredient(&db.pool, &scope, &db.units, bad)
            .await
            .unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { field: f, .. } if f == field),
            "{field}: {error:?}"
        );
    }
    let unknown = IngredientSpec {
        stock_unit_id: tenancy_core::Id::new(99_999),
        ..spec.clone()
    };
    assert!(matches!(
        create_ingredient(&db.pool, &scope, &db.units, unknown).await,
        Err(DomainError::Conversion(_))
    ));
    // Another organization's category is refused by the checked reference.
    let foreign = IngredientSpec {
        category_id: Some(theirs.id),
        ..spec.clone()
    };
    let error = create_ingredient(&db.pool, &scope, &db.units, foreign)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DomainError::Library(Error::Invalid { .. })),
        "{error:?}"
    );
    let duplicate = IngredientSpec {
        name: "Lye".into(),
        ..spec
    };
    let error = create_ingredient(&db.pool, &scope, &db.units, duplicate)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DomainError::Library(Error::Conflict { .. })),
        "{error:?}"
    );

    let line = |quantity: &str, symbol: &str| LineSpec {
        ingredient_id: items.lye.id,
        quantity: amount(quantity),
        unit_id: unit(db, symbol),
    };
    for (lines, what) in [
        (vec![], "no lines"),
        (vec![line("0", "g")], "zero"),
        (vec![line("1", "g"), line("2", "g")], "twice"),
    ] {
        let error = create_recipe(&db.pool, &scope, &db.units, "Bad", None, lines)
            .await
            .unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { .. }),
            "{what}: {error:?}"
        );
    }
    // Lye has no density: a recipe line in millilitres cannot be made.
    let error = create_recipe(
        &db.pool,
        &scope,
        &db.units,
        "Bad",
        None,
        vec![line("10", "ml")],
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot convert `ml` to `g`: the ingredient has no density"
    );
    let birch_items = catalog(db, &birch.owner()).await;
    let foreign = vec![LineSpec {
        ingredient_id: birch_items.lye.id,
        quantity: amount("1"),
        unit_id: unit(db, "g"),
    }];
    let error = create_recipe(&db.pool, &scope, &db.units, "Bad", None, foreign)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DomainError::Library(Error::NotFound { .. })),
        "{error:?}"
    );
    let recipes = Recipe::select(&scope).fetch_all(&db.pool).await.unwrap();
    assert_eq!(recipes.len(), 1, "only the catalog's recipe");
}
