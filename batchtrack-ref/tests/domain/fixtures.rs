//! Databases migrated the app's way, two organizations, and a small
//! catalog every test starts from.

use std::str::FromStr;

use batchtrack_ref::domain::Store;
use batchtrack_ref::domain::catalog::{IngredientSpec, LineSpec, create_ingredient, create_recipe};
use batchtrack_ref::domain::models::{Ingredient, Lot, Movement, Recipe, Sku};
use batchtrack_ref::domain::products::{create_product, create_sku};
use batchtrack_ref::domain::units::UnitBook;
use chrono::NaiveDate;
use sqlx::{Pool, Postgres, Sqlite};
use tenancy_access::NewUser;
use tenancy_core::{Amount, Id, OrgId, Scope, Scoped, SystemScope, UserId};

/// Runs a generic test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::fixtures::Db::sqlite().await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::fixtures::Db::postgres().await else { return };
                    super::$name(&db).await;
                }
            )*
        }
    };
}

/// A migrated database: the app's pool and the pool of work across
/// organizations (on PostgreSQL a role row-level security applies to, and
/// a member of the system role).
pub(crate) struct Db<DB: sqlx::Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) system: Pool<DB>,
    pub(crate) units: UnitBook,
    _keep: Option<tenancy_tests::TestDb<DB>>,
}

impl Db<Sqlite> {
    pub(crate) async fn sqlite() -> Self {
        let db = tenancy_tests::sqlite().await;
        batchtrack_ref::db::migrate(db.pool()).await.unwrap();
        let pool = db.pool().clone();
        let units = UnitBook::load(&pool).await.unwrap();
        Self {
            system: pool.clone(),
            pool,
            units,
            _keep: Some(db),
        }
    }
}

impl Db<Postgres> {
    pub(crate) async fn postgres() -> Option<Self> {
        let cluster = tenancy_tests::pg::cluster()?;
        let admin = cluster.fresh_database().await.unwrap();
        batchtrack_ref::db::migrate(&admin).await.unwrap();
        let pool = cluster.app_pool(&admin).await.unwrap();
        let system = tenancy_core::pool::options()
            .max_connections(2)
            .connect_with(cluster.system_role(&admin).await.unwrap())
            .await
            .unwrap();
        let units = UnitBook::load(&pool).await.unwrap();
        Some(Self {
            pool,
            system,
            units,
            _keep: None,
        })
    }
}

pub(crate) fn day(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

pub(crate) fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

/// The day the tests run "today".
pub(crate) fn today() -> NaiveDate {
    day("2026-06-15")
}

fn system() -> SystemScope {
    SystemScope::new("domain tests").unwrap()
}

/// An organization with an owner (who holds every permission) and a
/// member without roles.
pub(crate) struct Shop {
    pub(crate) org: OrgId,
    pub(crate) owner: UserId,
    pub(crate) member: UserId,
}

impl Shop {
    pub(crate) fn owner(&self) -> Scope {
        Scope::for_member(self.org, self.owner)
    }
    pub(crate) fn member(&self) -> Scope {
        Scope::for_member(self.org, self.member)
    }
}

pub(crate) async fn shop<DB: Store>(db: &Db<DB>, name: &str) -> Shop {
    tenancy_access::sync_permissions(
        &db.system,
        &system(),
        batchtrack_ref::domain::permissions::BatchTrackPermissions::ALL,
    )
    .await
    .unwrap();
    let user = |email: String| NewUser {
        name: email.clone(),
        email,
        is_developer: false,
    };
    let owner =
        tenancy_access::create_user(&db.system, &system(), user(format!("owner@{name}.example")))
            .await
            .unwrap()
            .user_id();
    let member = tenancy_access::create_user(
        &db.system,
        &system(),
        user(format!("member@{name}.example")),
    )
    .await
    .unwrap()
    .user_id();
    let org = tenancy_access::create_organization(&db.system, &system(), name, owner, "free")
        .await
        .unwrap();
    tenancy_access::add_member(&db.system, &system(), org, member)
        .await
        .unwrap();
    Shop { org, owner, member }
}

/// A soap shop's catalog: olive oil tracked in grams (density 0.92),
/// lye in grams, and a recipe of 500 ml oil and 70 g lye.
pub(crate) struct Catalog {
    pub(crate) oil: Ingredient,
    pub(crate) lye: Ingredient,
    pub(crate) soap: Recipe,
    pub(crate) bar: Sku,
}

pub(crate) fn unit<DB: sqlx::Database>(
    db: &Db<DB>,
    symbol: &str,
) -> Id<batchtrack_ref::domain::models::Unit> {
    db.units.by_symbol(symbol).unwrap().id
}

pub(crate) async fn catalog<DB: Store>(db: &Db<DB>, scope: &Scope) -> Catalog {
    let spec = |name: &str, density: Option<&str>, threshold: Option<&str>| IngredientSpec {
        name: name.into(),
        category_id: None,
        stock_unit_id: unit(db, "g"),
        density: density.map(amount),
        unit_weight: None,
        low_stock_threshold: threshold.map(amount),
    };
    let oil = create_ingredient(
        &db.pool,
        scope,
        &db.units,
        spec("Olive oil", Some("0.92"), Some("1000")),
    )
    .await
    .unwrap();
    let lye = create_ingredient(&db.pool, scope, &db.units, spec("Lye", None, None))
        .await
        .unwrap();
    let lines = vec![
        LineSpec {
            ingredient_id: oil.id,
            quantity: amount("500"),
            unit_id: unit(db, "ml"),
        },
        LineSpec {
            ingredient_id: lye.id,
            quantity: amount("70"),
            unit_id: unit(db, "g"),
        },
    ];
    let (soap, _) = create_recipe(&db.pool, scope, &db.units, "Castile soap", None, lines)
        .await
        .unwrap();
    let product = create_product(&db.pool, scope, "Castile bar", None)
        .await
        .unwrap();
    let bar = create_sku(
        &db.pool,
        scope,
        product.id,
        "CAST-100",
        "100 g bar",
        amount("6.5"),
    )
    .await
    .unwrap();
    Catalog {
        oil,
        lye,
        soap,
        bar,
    }
}

/// Receives `quantity` grams of `ingredient` at `cost` per gram.
pub(crate) async fn receive<DB: Store>(
    db: &Db<DB>,
    scope: &Scope,
    ingredient: &Ingredient,
    quantity: &str,
    cost: &str,
    received_on: &str,
    expires_on: Option<&str>,
) -> Lot {
    let receipt = batchtrack_ref::domain::inventory::Receipt {
        ingredient_id: ingredient.id,
        lot_number: format!("L-{received_on}-{quantity}"),
        supplier: Some("Acme Supply".into()),
        quantity: amount(quantity),
        unit_id: unit(db, "g"),
        cost_per_unit: amount(cost),
        received_on: day(received_on),
        expires_on: expires_on.map(day),
    };
    batchtrack_ref::domain::inventory::receive(&db.pool, scope, &db.units, receipt)
        .await
        .unwrap()
}

/// Every lot of the scope's organization holds zero or more and exactly
/// the sum of its movements; returns the lots.
pub(crate) async fn assert_books_balance<DB: Store>(db: &Db<DB>, scope: &Scope) -> Vec<Lot> {
    let lots = Lot::select(scope).fetch_all(&db.pool).await.unwrap();
    let movements = Movement::select(scope).fetch_all(&db.pool).await.unwrap();
    for lot in &lots {
        assert!(
            !lot.quantity.is_negative(),
            "lot {} went below zero: {}",
            lot.id,
            lot.quantity
        );
        let sum = movements
            .iter()
            .filter(|m| m.inventory_item_id == lot.id)
            .fold(Amount::ZERO, |sum, m| {
                sum.checked_add(m.quantity_change).unwrap()
            });
        assert_eq!(
            sum, lot.quantity,
            "history of lot {} adds up to what it holds",
            lot.id
        );
    }
    assert!(
        movements
            .iter()
            .all(|m| lots.iter().any(|lot| lot.id == m.inventory_item_id))
    );
    lots
}
