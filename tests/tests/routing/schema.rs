//! The models, their hash-partitioned schema, and the organizations and
//! rows every test starts from.

use std::collections::{BTreeMap, HashMap};

use sqlx::{PgPool, Postgres};
use tenancy_core::sea_query::Value;
use tenancy_core::{Id, OrgId, Scope, Scoped, ddl};
use tenancy_tests::TestDb;

/// A recipe; deleting one deactivates its batches, restoring it restores
/// them.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "recipes", soft_delete, cascade(Batch))]
pub(crate) struct Recipe {
    pub(crate) id: Id<Recipe>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) is_active: bool,
}

/// A batch of a recipe: a checked reference, soft delete and a cascade
/// marker.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "batches", soft_delete)]
pub(crate) struct Batch {
    pub(crate) id: Id<Batch>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Recipe)]
    pub(crate) recipe_id: Id<Recipe>,
    pub(crate) label: String,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// A plain scoped table, deleted for good.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "ingredients")]
pub(crate) struct Ingredient {
    pub(crate) id: Id<Ingredient>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) stock: i64,
}

pub(crate) const PARTITIONS: u32 = 4;

pub(crate) const TABLES: [&str; 3] = ["recipes", "batches", "ingredients"];

/// Every tenant table `PARTITION BY HASH (organization_id)` into
/// [`PARTITIONS`] partitions `<table>_p<remainder>`, with the primary key
/// `(organization_id, id)` (a partitioned table needs its partition key in
/// every unique key) and the composite foreign key `ddl` writes.
fn schema() -> String {
    let batch_keys: String = ddl::foreign_keys::<Batch>()
        .into_iter()
        .map(|clause| format!(",\n    {clause}"))
        .collect();
    let mut sql = format!(
        "CREATE TABLE recipes (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    PRIMARY KEY (organization_id, id)
) PARTITION BY HASH (organization_id);
CREATE TABLE batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    recipe_id BIGINT NOT NULL,
    label TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    deactivated_with_parent BOOLEAN NOT NULL,
    PRIMARY KEY (organization_id, id){batch_keys}
) PARTITION BY HASH (organization_id);
CREATE INDEX batches_recipe ON batches (organization_id, recipe_id);
CREATE TABLE ingredients (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    stock BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id)
) PARTITION BY HASH (organization_id);
"
    );
    for table in TABLES {
        for remainder in 0..PARTITIONS {
            sql.push_str(&format!(
                "CREATE TABLE {table}_p{remainder} PARTITION OF {table} \
                 FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {remainder});\n"
            ));
        }
    }
    sql
}

/// The tenant table and remainder of a partition's name; `None` for any
/// other relation.
pub(crate) fn partition_of(name: &str) -> Option<(&'static str, u32)> {
    let (table, remainder) = name.rsplit_once("_p")?;
    let table = TABLES.into_iter().find(|t| *t == table)?;
    Some((table, remainder.parse().ok()?))
}

pub(crate) fn scope(org: OrgId) -> Scope {
    Scope::for_job(org, "routing suite")
}

pub(crate) fn org_value(org: OrgId) -> Value {
    Value::BigInt(Some(org.get()))
}

/// One organization's rows, made through the library.
#[derive(Debug, Clone)]
pub(crate) struct Kitchen {
    pub(crate) org: OrgId,
    /// Two active recipes.
    pub(crate) recipes: [Recipe; 2],
    /// Two batches of the first recipe, one of the second.
    pub(crate) batches: [Batch; 3],
    pub(crate) ingredients: [Ingredient; 2],
}

pub(crate) struct Fixture {
    db: TestDb<Postgres>,
    /// One organization per partition (in partition order), then one more
    /// that shares the first one's partition, so that "another
    /// organization" is sometimes in the same partition and the checks
    /// cannot rest on partitions alone.
    pub(crate) kitchens: Vec<Kitchen>,
    homes: HashMap<(&'static str, i64), String>,
}

impl Fixture {
    pub(crate) fn pool(&self) -> &PgPool {
        self.db.pool()
    }

    /// The partition of `table` that holds `org`'s rows.
    pub(crate) fn home(&self, table: &'static str, org: OrgId) -> &str {
        &self.homes[&(table, org.get())]
    }

    /// A kitchen of another organization than the `n`th: the next one, in
    /// another partition, or for the last, its neighbour in the first
    /// partition.
    pub(crate) fn foreign(&self, n: usize) -> &Kitchen {
        &self.kitchens[(n + 1) % self.kitchens.len()]
    }
}

/// The remainder of `org`'s partition of `table`, as PostgreSQL computes
/// it: the hash of a `bigint` is PostgreSQL's own, so it is asked rather
/// than computed here.
async fn remainder(pool: &PgPool, table: &str, org: i64) -> u32 {
    let remainder: i32 = sqlx::query_scalar(
        "SELECT r FROM generate_series(0, $1 - 1) AS r
         WHERE satisfies_hash_partition($2::regclass, $1, r, $3::bigint)",
    )
    .bind(i32::try_from(PARTITIONS).unwrap())
    .bind(table)
    .bind(org)
    .fetch_one(pool)
    .await
    .unwrap();
    u32::try_from(remainder).unwrap()
}

/// A fresh database with the partitioned schema and a [`Kitchen`] of each
/// organization; `None` when PostgreSQL is not available outside CI.
pub(crate) async fn fixture() -> Option<Fixture> {
    let db = tenancy_tests::postgres().await?;
    let pool = db.pool();
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema()))
        .execute(pool)
        .await
        .expect("create the partitioned schema");

    let mut chosen: BTreeMap<u32, i64> = BTreeMap::new();
    let mut neighbour = None;
    for candidate in 101_i64..1_000 {
        if chosen.len() == PARTITIONS as usize && neighbour.is_some() {
            break;
        }
        let r = remainder(pool, "recipes", candidate).await;
        if *chosen.entry(r).or_insert(candidate) != candidate && r == 0 {
            neighbour.get_or_insert(candidate);
        }
    }
    let mut orgs: Vec<i64> = chosen.into_values().collect();
    orgs.push(neighbour.expect("an organization shares a partition"));
    assert_eq!(orgs.len(), PARTITIONS as usize + 1);

    let mut homes = HashMap::new();
    let mut kitchens = Vec::new();
    for &org in &orgs {
        for table in TABLES {
            let r = remainder(pool, table, org).await;
            homes.insert((table, org), format!("{table}_p{r}"));
        }
        kitchens.push(kitchen(pool, OrgId::new(org)).await);
    }
    Some(Fixture {
        db,
        kitchens,
        homes,
    })
}

async fn kitchen(pool: &PgPool, org: OrgId) -> Kitchen {
    let s = scope(org);
    let mut recipes = Vec::new();
    for name in ["Lavender soap", "Rose soap"] {
        let name = format!("{name} {}", org.get());
        let new = NewRecipe { name };
        recipes.push(Recipe::insert(&s, new).execute(pool).await.unwrap());
    }
    let mut batches = Vec::new();
    for (recipe, label) in [(0, "B1"), (0, "B2"), (1, "B3")] {
        let recipe_id = recipes[recipe].id;
        let new = NewBatch {
            recipe_id,
            label: label.into(),
        };
        batches.push(Batch::insert(&s, new).execute(pool).await.unwrap());
    }
    let mut ingredients = Vec::new();
    for (name, stock) in [("Lye", 5), ("Oil", 0)] {
        let new = NewIngredient {
            name: name.into(),
            stock,
        };
        ingredients.push(Ingredient::insert(&s, new).execute(pool).await.unwrap());
    }
    Kitchen {
        org,
        recipes: recipes.try_into().unwrap(),
        batches: batches.try_into().unwrap(),
        ingredients: ingredients.try_into().unwrap(),
    }
}
