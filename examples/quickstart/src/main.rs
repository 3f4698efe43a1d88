//! tenancy in 30 lines: two organizations share one SQLite database, and
//! each sees only its own rows. Run it with `cargo run -p quickstart`; the
//! test command runs it too, so it cannot rot.

use tenancy_core::{Id, OrgId, Scope, Scoped};

/// A recipe belongs to one organization.
#[derive(Debug, Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The library's pool closes a connection handed back dirty. One
    // connection: each connection to `sqlite::memory:` is its own database.
    let pool: sqlx::SqlitePool = tenancy_core::pool::options()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await?;
    sqlx::query("CREATE TABLE recipes (id INTEGER PRIMARY KEY, organization_id INTEGER NOT NULL, name TEXT NOT NULL)")
        .execute(&pool)
        .await?;

    // In a web app, authentication hands the handler its `Scope`.
    let soapworks = Scope::for_job(OrgId::new(1), "quickstart");
    let candleco = Scope::for_job(OrgId::new(2), "quickstart");

    // The organization comes from the scope: `NewRecipe` has no such field.
    let soap = Recipe::insert(
        &soapworks,
        NewRecipe {
            name: "Lavender soap".into(),
        },
    )
    .execute(&pool)
    .await?;
    Recipe::insert(
        &candleco,
        NewRecipe {
            name: "Beeswax candle".into(),
        },
    )
    .execute(&pool)
    .await?;

    for (name, scope) in [("Soapworks", &soapworks), ("Candle Co", &candleco)] {
        let recipes = Recipe::select(scope).fetch_all(&pool).await?;
        println!(
            "{name} sees {:?}",
            recipes.iter().map(|r| &r.name).collect::<Vec<_>>()
        );
        assert_eq!(
            recipes.len(),
            1,
            "each organization sees exactly its own recipe"
        );
    }

    // Another organization's id behaves exactly like an id that does not exist.
    let peek = Recipe::find(&candleco, soap.id)
        .fetch_optional(&pool)
        .await?;
    println!(
        "Candle Co looking up Soapworks' recipe {}: {peek:?}",
        soap.id
    );
    assert!(peek.is_none());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn quickstart_runs_and_keeps_organizations_apart() {
        super::main().expect("the quickstart runs");
    }
}
