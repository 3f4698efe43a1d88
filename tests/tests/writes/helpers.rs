//! What the write suites share, compiled once per backend.

use std::any::TypeId;

use chrono::NaiveDate;
use sqlx::Pool;
use tenancy_core::{Amount, Id, Scope, Scoped};

use super::Db;
use crate::models::{Ingredient, Lot, LotState, NewIngredient, NewLot, org_id};

pub(crate) fn scope(org: i64) -> Scope {
    Scope::for_job(org_id(org), "writes suite")
}

pub(crate) fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

pub(crate) fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub(crate) fn is_postgres() -> bool {
    TypeId::of::<Db>() == TypeId::of::<sqlx::Postgres>()
}

pub(crate) async fn ingredient(pool: &Pool<Db>, org: i64, name: &str) -> Ingredient {
    Ingredient::insert(&scope(org), NewIngredient { name: name.into() })
        .execute(pool)
        .await
        .unwrap()
}

pub(crate) fn new_lot(ingredient: &Ingredient, quantity: &str, expires_on: Option<&str>) -> NewLot {
    NewLot {
        ingredient_id: ingredient.id,
        quantity: amount(quantity),
        units: 0,
        expires_on: expires_on.map(date),
        state: LotState::Received,
    }
}

pub(crate) async fn lot(pool: &Pool<Db>, org: i64, new: NewLot) -> Lot {
    Lot::insert(&scope(org), new).execute(pool).await.unwrap()
}

pub(crate) async fn quantity(pool: &Pool<Db>, org: i64, id: Id<Lot>) -> Amount {
    Lot::find(&scope(org), id)
        .fetch_one(pool)
        .await
        .unwrap()
        .quantity
}
