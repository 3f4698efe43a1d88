//! Every attribute of the derive, on a model that compiles.

extern crate tenancy_core as tenancy;

use tenancy::{Id, OrgId, Scope, Scoped};

#[derive(Debug, Scoped)]
#[tenancy(
    table = "recipes",
    insert = "CreateRecipe",
    insert_derive(Debug, Clone, PartialEq),
    crate = "tenancy"
)]
pub struct Recipe {
    pub id: Id<Self>,
    pub organization_id: OrgId,
    /// Shown to customers.
    #[tenancy(column = "title")]
    pub name: String,
    pub r#type: Option<String>,
    #[tenancy(db_default)]
    pub revision: i64,
}

async fn exercise(pool: &sqlx::SqlitePool, pg: &sqlx::PgPool, scope: &Scope) -> tenancy::Result<()> {
    let new = CreateRecipe {
        name: "Lavender soap".into(),
        r#type: None,
    };
    assert_eq!(new.clone(), new);
    let recipe = Recipe::insert(scope, new.clone()).execute(pool).await?;
    let _ = Recipe::insert(scope, new).execute(pg).await?;
    let _ = Recipe::select(scope)
        .filter(Recipe::TYPE.is_null().and(Recipe::NAME.like("Lav%")))
        .order_by(Recipe::REVISION, tenancy::Order::Desc)
        .fetch_all(pool)
        .await?;
    let _ = Recipe::update(scope, recipe.id)
        .set(Recipe::TYPE, Some("soap".to_owned()))
        .execute(pool)
        .await?;
    assert_eq!(Recipe::NAME.name(), "title");
    Ok(())
}

fn main() {
    let _ = exercise;
}
