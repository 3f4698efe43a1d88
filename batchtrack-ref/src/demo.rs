//! The demo: two organizations a new user can sign in to and walk through
//! (stock check, start and finish a batch, trace it), written through the
//! same services the app runs, so that the demo cannot hold what the app
//! would refuse.
//!
//! "Acme Soap Co" and "Birch Candle Works" each have an owner, a manager
//! and a viewer (`owner@acme.example`, `manager@acme.example`,
//! `viewer@acme.example`, and the same at `birch.example`), and a developer
//! (`dev@batchtrack.example`) may act in either; every password is
//! [`PASSWORD`]. Each organization has ingredients with densities, lots (one
//! expired, one below its low-stock threshold), a recipe, a product with a
//! SKU and one finished batch.

use chrono::{Days, NaiveDate};
use tenancy_access::{NewUser, Passwords};
use tenancy_core::{Amount, Id, OrgId, Scope, SystemScope, UserId};

use crate::domain::batches::{self, Finish};
use crate::domain::catalog::{IngredientSpec, LineSpec, create_ingredient, create_recipe};
use crate::domain::inventory::{Receipt, receive};
use crate::domain::models::{Ingredient, Unit};
use crate::domain::permissions as p;
use crate::domain::products::{create_product, create_sku};
use crate::domain::units::UnitBook;
use crate::domain::{DomainError, Store};

/// The password of every demo login.
pub const PASSWORD: &str = "batchtrack-demo";

/// The developer's login.
pub const DEVELOPER: &str = "dev@batchtrack.example";

/// The demo organizations: name and email domain.
pub const ORGANIZATIONS: [(&str, &str); 2] = [
    ("Acme Soap Co", "acme.example"),
    ("Birch Candle Works", "birch.example"),
];

/// The demo logins, in the order they are printed.
#[must_use]
pub fn logins() -> Vec<String> {
    let mut logins = Vec::new();
    for (_, domain) in ORGANIZATIONS {
        for who in ["owner", "manager", "viewer"] {
            logins.push(format!("{who}@{domain}"));
        }
    }
    logins.push(DEVELOPER.to_owned());
    logins
}

/// What [`seed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    /// The demo was written: the organizations, in the order of
    /// [`ORGANIZATIONS`].
    Written([OrgId; 2]),
    /// The database already holds the demo's first login: nothing written.
    AlreadyThere,
}

fn system() -> SystemScope {
    // A non-empty reason: cannot fail.
    SystemScope::new("demo data").unwrap_or_else(|_| unreachable!())
}

fn dec(text: &str) -> Result<Amount, DomainError> {
    text.parse::<Amount>()
        .map_err(|error| DomainError::invalid("amount", error.to_string()))
}

/// Whether the database holds the demo (its first login).
///
/// # Errors
///
/// A database error.
pub async fn is_present<DB: Store>(pool: &sqlx::Pool<DB>) -> Result<bool, DomainError> {
    let owner = format!("owner@{}", ORGANIZATIONS[0].1);
    match tenancy_access::user_by_email(pool, &system(), &owner).await {
        Ok(_) => Ok(true),
        Err(tenancy_core::Error::NotFound { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Writes the demo into a database that has no user yet: what serving a
/// new SQLite file does, so that its first run has something to sign in
/// to. `None` when the database has users (the demo's or anyone's).
///
/// # Errors
///
/// As [`seed`].
pub async fn seed_if_empty<DB: Store>(
    pool: &sqlx::Pool<DB>,
    today: NaiveDate,
) -> Result<Option<Seeded>, DomainError> {
    if tenancy_access::users(pool, &system()).await?.is_empty() {
        return seed(pool, today).await.map(Some);
    }
    Ok(None)
}

/// Writes the demo unless its first login exists already. Run it on a
/// migrated database, on a pool whose role may act across organizations
/// (on PostgreSQL a login of the system role).
///
/// `today` dates the lots and the batch, so that the demo reads the same
/// whenever it is written: one lot expired yesterday, the others fresh.
///
/// # Errors
///
/// The first refusal of a service (all of them are bugs of the demo), or
/// a database error.
pub async fn seed<DB: Store>(
    pool: &sqlx::Pool<DB>,
    today: NaiveDate,
) -> Result<Seeded, DomainError> {
    if is_present(pool).await? {
        return Ok(Seeded::AlreadyThere);
    }
    tenancy_access::sync_permissions(pool, &system(), p::BatchTrackPermissions::ALL).await?;
    let passwords = Passwords::new();
    let units = UnitBook::load(pool).await?;
    let mut organizations = [OrgId::new(0); 2];
    for (at, (name, domain)) in ORGANIZATIONS.into_iter().enumerate() {
        organizations[at] = organization(pool, &passwords, &units, name, domain, today).await?;
    }
    user(pool, &passwords, DEVELOPER, "Developer", true).await?;
    Ok(Seeded::Written(organizations))
}

async fn user<DB: Store>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    email: &str,
    name: &str,
    is_developer: bool,
) -> Result<UserId, DomainError> {
    let new = NewUser {
        email: email.to_owned(),
        name: name.to_owned(),
        is_developer,
    };
    let user = tenancy_access::create_user(pool, &system(), new)
        .await?
        .user_id();
    tenancy_access::set_password(pool, &system(), passwords, user, PASSWORD).await?;
    Ok(user)
}

/// One organization: its people and roles, then its catalog and stock.
async fn organization<DB: Store>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    units: &UnitBook,
    name: &str,
    domain: &str,
    today: NaiveDate,
) -> Result<OrgId, DomainError> {
    let owner = user(pool, passwords, &format!("owner@{domain}"), "Owner", false).await?;
    let org = tenancy_access::create_organization(pool, &system(), name, owner, "team").await?;
    let scope = Scope::for_member(org, owner);

    let manager = tenancy_access::create_role(pool, &scope, "Manager").await?;
    grant_all_but_adjust(pool, &scope, manager.id).await?;
    let viewer = tenancy_access::create_role(pool, &scope, "Viewer").await?;
    grant_views(pool, &scope, viewer.id).await?;
    for (who, role) in [("manager", manager.id), ("viewer", viewer.id)] {
        let title = format!("{}{}", who[..1].to_uppercase(), &who[1..]);
        let person = user(pool, passwords, &format!("{who}@{domain}"), &title, false).await?;
        let membership = tenancy_access::add_member(pool, &system(), org, person).await?;
        tenancy_access::assign_role(pool, &scope, membership.id, role).await?;
    }

    if domain.starts_with("acme") {
        soap(pool, &scope, units, today).await?;
    } else {
        candles(pool, &scope, units, today).await?;
    }
    Ok(org)
}

async fn grant_views<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    role: Id<tenancy_access::Role>,
) -> Result<(), DomainError> {
    tenancy_access::grant::<p::ViewInventory, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::ViewRecipes, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::ViewBatches, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::ViewProducts, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::Trace, _, _>(pool, scope, role).await?;
    Ok(())
}

async fn grant_all_but_adjust<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    role: Id<tenancy_access::Role>,
) -> Result<(), DomainError> {
    grant_views(pool, scope, role).await?;
    tenancy_access::grant::<p::EditInventory, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::EditRecipes, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::RunBatches, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::EditProducts, _, _>(pool, scope, role).await?;
    tenancy_access::grant::<p::RecordSales, _, _>(pool, scope, role).await?;
    Ok(())
}

fn unit(units: &UnitBook, symbol: &str) -> Result<Id<Unit>, DomainError> {
    units
        .by_symbol(symbol)
        .map(|unit| unit.id)
        .ok_or_else(|| DomainError::invalid("unit", format!("no unit `{symbol}`")))
}

/// An ingredient kept in grams.
async fn ingredient<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    name: &str,
    density: Option<&str>,
    low_stock: &str,
) -> Result<Ingredient, DomainError> {
    let spec = IngredientSpec {
        name: name.into(),
        category_id: None,
        stock_unit_id: unit(units, "g")?,
        density: density.map(dec).transpose()?,
        unit_weight: None,
        low_stock_threshold: Some(dec(low_stock)?),
    };
    create_ingredient(pool, scope, units, spec).await
}

/// A lot of `grams` at `cost` per gram, received `age` days before `today`
/// and expiring `life` days after it was received.
#[allow(clippy::too_many_arguments)]
async fn lot<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    ingredient: &Ingredient,
    grams: &str,
    cost: &str,
    today: NaiveDate,
    (age, life): (u64, u64),
) -> Result<(), DomainError> {
    let received_on = today - Days::new(age);
    let receipt = Receipt {
        ingredient_id: ingredient.id,
        lot_number: format!("{}-{received_on}", ingredient.name.to_uppercase()),
        supplier: Some("Northwind Supply".into()),
        quantity: dec(grams)?,
        unit_id: unit(units, "g")?,
        cost_per_unit: dec(cost)?,
        received_on,
        expires_on: Some(received_on + Days::new(life)),
    };
    receive(pool, scope, units, receipt).await.map(|_| ())
}

/// Acme's soap: oils by volume in the recipe, stocked by weight.
async fn soap<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    today: NaiveDate,
) -> Result<(), DomainError> {
    let olive = ingredient(pool, scope, units, "Olive oil", Some("0.91"), "2000").await?;
    let coconut = ingredient(pool, scope, units, "Coconut oil", Some("0.92"), "1000").await?;
    let lye = ingredient(pool, scope, units, "Lye", None, "500").await?;
    let lavender = ingredient(pool, scope, units, "Lavender oil", Some("0.89"), "100").await?;
    lot(
        pool,
        scope,
        units,
        &olive,
        "8000",
        "0.012",
        today,
        (20, 365),
    )
    .await?;
    lot(
        pool,
        scope,
        units,
        &coconut,
        "4000",
        "0.009",
        today,
        (15, 365),
    )
    .await?;
    lot(pool, scope, units, &lye, "3000", "0.004", today, (30, 730)).await?;
    // Expired yesterday: never used.
    lot(
        pool,
        scope,
        units,
        &lavender,
        "200",
        "0.25",
        today,
        (181, 180),
    )
    .await?;
    // Below its threshold of 100 g.
    lot(pool, scope, units, &lavender, "60", "0.28", today, (5, 365)).await?;
    let lines = vec![
        line(units, olive.id, "1000", "ml")?,
        line(units, coconut.id, "400", "ml")?,
        line(units, lye.id, "190", "g")?,
        line(units, lavender.id, "10", "ml")?,
    ];
    let description = Some("Olive and coconut bars, lavender scented".to_owned());
    let (recipe, _) =
        create_recipe(pool, scope, units, "Lavender soap", description, lines).await?;
    let product = create_product(pool, scope, "Lavender soap bar", None).await?;
    let sku = create_sku(
        pool,
        scope,
        product.id,
        "LAV-100",
        "100 g bar",
        dec("7.50")?,
    )
    .await?;
    batch(pool, scope, units, recipe.id, sku.id, "16", today).await
}

/// Birch's candles: wax by weight, fragrance by volume.
async fn candles<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    today: NaiveDate,
) -> Result<(), DomainError> {
    let wax = ingredient(pool, scope, units, "Soy wax", Some("0.9"), "5000").await?;
    let fragrance = ingredient(pool, scope, units, "Birch fragrance", Some("0.95"), "300").await?;
    let wicks = ingredient(pool, scope, units, "Cotton wick", None, "50").await?;
    lot(pool, scope, units, &wax, "20000", "0.006", today, (10, 730)).await?;
    // Expired yesterday: never used.
    lot(
        pool,
        scope,
        units,
        &fragrance,
        "500",
        "0.08",
        today,
        (366, 365),
    )
    .await?;
    lot(
        pool,
        scope,
        units,
        &fragrance,
        "1500",
        "0.09",
        today,
        (3, 365),
    )
    .await?;
    // Below its threshold of 50 g.
    lot(pool, scope, units, &wicks, "40", "0.5", today, (12, 1000)).await?;
    let lines = vec![
        line(units, wax.id, "1800", "g")?,
        line(units, fragrance.id, "100", "ml")?,
        line(units, wicks.id, "6", "g")?,
    ];
    let (recipe, _) = create_recipe(pool, scope, units, "Birch candle", None, lines).await?;
    let product = create_product(pool, scope, "Birch candle, 8 oz", None).await?;
    let sku = create_sku(pool, scope, product.id, "BIRCH-8", "8 oz jar", dec("18")?).await?;
    batch(pool, scope, units, recipe.id, sku.id, "8", today).await
}

fn line(
    units: &UnitBook,
    ingredient_id: Id<Ingredient>,
    quantity: &str,
    symbol: &str,
) -> Result<LineSpec, DomainError> {
    Ok(LineSpec {
        ingredient_id,
        quantity: dec(quantity)?,
        unit_id: unit(units, symbol)?,
    })
}

/// One batch of `recipe`, started two days ago and finished yesterday.
async fn batch<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    recipe: Id<crate::domain::models::Recipe>,
    sku: Id<crate::domain::models::Sku>,
    pieces: &str,
    today: NaiveDate,
) -> Result<(), DomainError> {
    let started =
        batches::start(pool, scope, units, recipe, dec("1")?, today - Days::new(2)).await?;
    let finish = Finish {
        sku_id: sku,
        yield_quantity: dec(pieces)?,
        batch_code: None,
        expires_on: Some(today + Days::new(365)),
    };
    batches::finish(pool, scope, started.batch.id, finish, today - Days::new(1)).await?;
    Ok(())
}
