//! The same five routes written by hand: axum handlers with sqlx and SQL
//! strings, one query per step, no library. The load test's baseline.
//!
//! It authenticates the bearer token with one statement (the session, the
//! organization of its user's first active membership, and whether the
//! user owns it: the load test signs in owners, who may do anything), and
//! keeps the organization in every `WHERE` by hand. Units are not
//! converted: the load test's recipes are in their ingredients' units.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqlitePool};
use tenancy_core::Amount;

type Answer<T> = Result<Json<T>, StatusCode>;

#[derive(Clone)]
struct Bare {
    pool: SqlitePool,
}

/// The hand-written router on `pool`.
pub(crate) fn router(pool: SqlitePool) -> Router {
    Router::new()
        .route("/api/v1/lots", get(lots))
        .route("/api/v1/ingredients/{id}", get(ingredient))
        .route("/api/v1/recipes/{id}/stock-check", get(stock_check))
        .route("/api/v1/batches", post(start))
        .route("/api/v1/batches/{id}/finish", post(finish))
        .with_state(Arc::new(Bare { pool }))
}

fn failed(error: sqlx::Error) -> StatusCode {
    eprintln!("bare: {error}");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// The organization of the request's session, or 401.
async fn org_of(pool: &SqlitePool, headers: &HeaderMap) -> Result<i64, StatusCode> {
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let row = sqlx::query(
        "SELECT m.organization_id, o.owner_id = s.user_id AS is_owner FROM sessions s \
         JOIN memberships m ON m.user_id = s.user_id AND m.is_active \
         JOIN organizations o ON o.id = m.organization_id \
         WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? \
         ORDER BY m.organization_id LIMIT 1",
    )
    .bind(&hash[..])
    .bind(Utc::now())
    .fetch_optional(pool)
    .await
    .map_err(failed)?
    .ok_or(StatusCode::UNAUTHORIZED)?;
    if !row.get::<bool, _>("is_owner") {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(row.get("organization_id"))
}

#[derive(Serialize)]
struct Lot {
    id: i64,
    organization_id: i64,
    ingredient_id: i64,
    lot_number: String,
    supplier: Option<String>,
    received_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    received_quantity: Amount,
    quantity: Amount,
    cost_per_unit: Amount,
    purchase_unit_id: i64,
    purchase_quantity: Amount,
    purchase_cost_per_unit: Amount,
    received_by: Option<i64>,
    created_at: chrono::DateTime<Utc>,
}

#[derive(Serialize)]
struct Page<T> {
    items: Vec<T>,
    total: i64,
    limit: i64,
    offset: i64,
}

async fn lots(State(bare): State<Arc<Bare>>, headers: HeaderMap) -> Answer<Page<Lot>> {
    let org = org_of(&bare.pool, &headers).await?;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inventory_items WHERE organization_id = ?")
            .bind(org)
            .fetch_one(&bare.pool)
            .await
            .map_err(failed)?;
    let rows = sqlx::query(
        "SELECT id, organization_id, ingredient_id, lot_number, supplier, received_on, \
         expires_on, received_quantity, quantity, cost_per_unit, purchase_unit_id, \
         purchase_quantity, purchase_cost_per_unit, received_by, created_at FROM inventory_items \
         WHERE organization_id = ? ORDER BY received_on, id LIMIT 50 OFFSET 0",
    )
    .bind(org)
    .fetch_all(&bare.pool)
    .await
    .map_err(failed)?;
    let items = rows
        .iter()
        .map(|row| Lot {
            id: row.get("id"),
            organization_id: row.get("organization_id"),
            ingredient_id: row.get("ingredient_id"),
            lot_number: row.get("lot_number"),
            supplier: row.get("supplier"),
            received_on: row.get("received_on"),
            expires_on: row.get("expires_on"),
            received_quantity: Amount::from_micros(row.get("received_quantity")),
            quantity: Amount::from_micros(row.get("quantity")),
            cost_per_unit: Amount::from_micros(row.get("cost_per_unit")),
            purchase_unit_id: row.get("purchase_unit_id"),
            purchase_quantity: Amount::from_micros(row.get("purchase_quantity")),
            purchase_cost_per_unit: Amount::from_micros(row.get("purchase_cost_per_unit")),
            received_by: row.get("received_by"),
            created_at: row.get("created_at"),
        })
        .collect();
    Ok(Json(Page {
        items,
        total,
        limit: 50,
        offset: 0,
    }))
}

#[derive(Serialize)]
struct Ingredient {
    id: i64,
    organization_id: i64,
    name: String,
    category_id: Option<i64>,
    stock_unit_id: i64,
    density: Option<Amount>,
    unit_weight: Option<Amount>,
    low_stock_threshold: Option<Amount>,
    is_active: bool,
}

async fn ingredient(
    State(bare): State<Arc<Bare>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer<Ingredient> {
    let org = org_of(&bare.pool, &headers).await?;
    let row = sqlx::query(
        "SELECT id, organization_id, name, category_id, stock_unit_id, density, unit_weight, \
         low_stock_threshold, is_active FROM ingredients \
         WHERE organization_id = ? AND id = ? AND is_active",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(&bare.pool)
    .await
    .map_err(failed)?
    .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(Ingredient {
        id: row.get("id"),
        organization_id: row.get("organization_id"),
        name: row.get("name"),
        category_id: row.get("category_id"),
        stock_unit_id: row.get("stock_unit_id"),
        density: row
            .get::<Option<i64>, _>("density")
            .map(Amount::from_micros),
        unit_weight: row
            .get::<Option<i64>, _>("unit_weight")
            .map(Amount::from_micros),
        low_stock_threshold: row
            .get::<Option<i64>, _>("low_stock_threshold")
            .map(Amount::from_micros),
        is_active: row.get("is_active"),
    }))
}

/// One recipe line with its ingredient's name.
struct Line {
    ingredient_id: i64,
    name: String,
    quantity: i64,
    unit_id: i64,
}

async fn lines(
    conn: &mut sqlx::SqliteConnection,
    org: i64,
    recipe: i64,
) -> Result<Vec<Line>, StatusCode> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM recipes WHERE organization_id = ? AND id = ? AND is_active",
    )
    .bind(org)
    .bind(recipe)
    .fetch_optional(&mut *conn)
    .await
    .map_err(failed)?;
    found.ok_or(StatusCode::NOT_FOUND)?;
    let rows = sqlx::query(
        "SELECT r.ingredient_id, i.name, r.quantity, r.unit_id FROM recipe_ingredients r \
         JOIN ingredients i ON i.organization_id = r.organization_id AND i.id = r.ingredient_id \
         WHERE r.organization_id = ? AND r.recipe_id = ? ORDER BY r.ingredient_id",
    )
    .bind(org)
    .bind(recipe)
    .fetch_all(&mut *conn)
    .await
    .map_err(failed)?;
    Ok(rows
        .iter()
        .map(|row| Line {
            ingredient_id: row.get("ingredient_id"),
            name: row.get("name"),
            quantity: row.get("quantity"),
            unit_id: row.get("unit_id"),
        })
        .collect())
}

#[derive(Serialize)]
struct StockLine {
    ingredient_id: i64,
    ingredient: String,
    unit_id: i64,
    needed: Amount,
    available: Amount,
    short_by: Amount,
}

#[derive(Serialize)]
struct StockCheck {
    recipe_id: i64,
    scale: Amount,
    lines: Vec<StockLine>,
    can_make: bool,
    max_scale: Option<Amount>,
}

#[derive(Deserialize)]
struct Scale {
    scale: Option<Amount>,
}

async fn stock_check(
    State(bare): State<Arc<Bare>>,
    headers: HeaderMap,
    Path(recipe): Path<i64>,
    Query(query): Query<Scale>,
) -> Answer<StockCheck> {
    let org = org_of(&bare.pool, &headers).await?;
    let scale = query.scale.unwrap_or(Amount::from_micros(1_000_000));
    let today = Utc::now().date_naive();
    let mut tx = bare.pool.begin().await.map_err(failed)?;
    let lines = lines(&mut tx, org, recipe).await?;
    let sums = sqlx::query(
        "SELECT ingredient_id, SUM(quantity) AS on_hand FROM inventory_items \
         WHERE organization_id = ? AND (expires_on IS NULL OR expires_on >= ?) \
         GROUP BY ingredient_id",
    )
    .bind(org)
    .bind(today)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    let on_hand = |ingredient: i64| {
        sums.iter()
            .find(|row| row.get::<i64, _>("ingredient_id") == ingredient)
            .map_or(0, |row| row.get::<i64, _>("on_hand"))
    };
    let mut out = Vec::with_capacity(lines.len());
    let mut max_hundredths = i64::MAX;
    for line in &lines {
        let needed = Amount::from_micros(line.quantity)
            .checked_mul(scale)
            .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
        let available = Amount::from_micros(on_hand(line.ingredient_id));
        max_hundredths = max_hundredths.min(available.to_micros() * 100 / line.quantity.max(1));
        out.push(StockLine {
            ingredient_id: line.ingredient_id,
            ingredient: line.name.clone(),
            unit_id: line.unit_id,
            needed,
            available,
            short_by: needed
                .checked_sub(available)
                .filter(|gap| gap.is_positive())
                .unwrap_or(Amount::ZERO),
        });
    }
    Ok(Json(StockCheck {
        recipe_id: recipe,
        scale,
        can_make: out.iter().all(|line| line.short_by.is_zero()),
        lines: out,
        max_scale: (!lines.is_empty()).then(|| Amount::from_micros(max_hundredths * 10_000)),
    }))
}

#[derive(Deserialize)]
struct StartBody {
    recipe_id: i64,
    scale: Option<Amount>,
}

#[derive(Serialize)]
struct Started {
    batch: Batch,
}

#[derive(Serialize)]
struct Batch {
    id: i64,
    recipe_id: i64,
    status: &'static str,
    total_cost: Amount,
}

async fn start(
    State(bare): State<Arc<Bare>>,
    headers: HeaderMap,
    Json(body): Json<StartBody>,
) -> Result<(StatusCode, Json<Started>), StatusCode> {
    let org = org_of(&bare.pool, &headers).await?;
    let scale = body.scale.unwrap_or(Amount::from_micros(1_000_000));
    let today = Utc::now().date_naive();
    let now = Utc::now();
    let mut tx = bare
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(failed)?;
    let lines = lines(&mut tx, org, body.recipe_id).await?;
    // What each lot gives, oldest first: (lot, ingredient, quantity, cost).
    let mut takes = Vec::new();
    let mut total_cost = Amount::ZERO;
    for line in &lines {
        let mut need = Amount::from_micros(line.quantity)
            .checked_mul(scale)
            .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?
            .to_micros();
        let lots = sqlx::query(
            "SELECT id, quantity, cost_per_unit FROM inventory_items \
             WHERE organization_id = ? AND ingredient_id = ? AND quantity > 0 \
             AND (expires_on IS NULL OR expires_on >= ?) ORDER BY received_on, id",
        )
        .bind(org)
        .bind(line.ingredient_id)
        .bind(today)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed)?;
        for lot in &lots {
            if need == 0 {
                break;
            }
            let take = need.min(lot.get::<i64, _>("quantity"));
            need -= take;
            let cost = Amount::from_micros(lot.get("cost_per_unit"));
            let line_cost = Amount::from_micros(take)
                .checked_mul(cost)
                .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
            total_cost = total_cost
                .checked_add(line_cost)
                .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
            takes.push((lot.get::<i64, _>("id"), line.ingredient_id, take, cost));
        }
        if need > 0 {
            return Err(StatusCode::CONFLICT);
        }
    }
    for (lot, _, take, _) in &takes {
        let moved = sqlx::query(
            "UPDATE inventory_items SET quantity = quantity - ? \
             WHERE organization_id = ? AND id = ? AND quantity >= ?",
        )
        .bind(take)
        .bind(org)
        .bind(lot)
        .bind(take)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        if moved.rows_affected() != 1 {
            return Err(StatusCode::CONFLICT);
        }
    }
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO batches (organization_id, recipe_id, scale, status, total_cost, started_at) \
         VALUES (?, ?, ?, 'in_progress', ?, ?) RETURNING id",
    )
    .bind(org)
    .bind(body.recipe_id)
    .bind(scale.to_micros())
    .bind(total_cost.to_micros())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(failed)?;
    for (lot, ingredient, take, cost) in &takes {
        sqlx::query(
            "INSERT INTO batch_ingredients (organization_id, batch_id, ingredient_id, \
             inventory_item_id, quantity_used, cost_per_unit) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(org)
        .bind(batch)
        .bind(ingredient)
        .bind(lot)
        .bind(take)
        .bind(cost.to_micros())
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        sqlx::query(
            "INSERT INTO inventory_history (organization_id, inventory_item_id, ingredient_id, \
             kind, quantity_change, batch_id, created_at) VALUES (?, ?, ?, 'batch_use', ?, ?, ?)",
        )
        .bind(org)
        .bind(lot)
        .bind(ingredient)
        .bind(-take)
        .bind(batch)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
    }
    tx.commit().await.map_err(failed)?;
    Ok((
        StatusCode::CREATED,
        Json(Started {
            batch: Batch {
                id: batch,
                recipe_id: body.recipe_id,
                status: "in_progress",
                total_cost,
            },
        }),
    ))
}

#[derive(Deserialize)]
struct FinishBody {
    sku_id: i64,
    yield_quantity: Amount,
}

#[derive(Serialize)]
struct Made {
    id: i64,
    batch_id: i64,
    sku_id: i64,
    quantity: Amount,
}

async fn finish(
    State(bare): State<Arc<Bare>>,
    headers: HeaderMap,
    Path(batch): Path<i64>,
    Json(body): Json<FinishBody>,
) -> Result<(StatusCode, Json<Made>), StatusCode> {
    let org = org_of(&bare.pool, &headers).await?;
    let now = Utc::now();
    let mut tx = bare
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(failed)?;
    let cost: i64 = sqlx::query_scalar(
        "UPDATE batches SET status = 'finished', ended_at = ? \
         WHERE organization_id = ? AND id = ? AND status = 'in_progress' RETURNING total_cost",
    )
    .bind(now)
    .bind(org)
    .bind(batch)
    .fetch_optional(&mut *tx)
    .await
    .map_err(failed)?
    .ok_or(StatusCode::CONFLICT)?;
    let sku: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM product_skus WHERE organization_id = ? AND id = ? AND is_active",
    )
    .bind(org)
    .bind(body.sku_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(failed)?;
    sku.ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let per_unit = Amount::from_micros(cost)
        .checked_div(body.yield_quantity)
        .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO product_inventory (organization_id, sku_id, batch_id, batch_code, \
         produced_quantity, quantity, cost_per_unit, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(org)
    .bind(body.sku_id)
    .bind(batch)
    .bind(format!("B{batch}-{}", now.date_naive()))
    .bind(body.yield_quantity.to_micros())
    .bind(body.yield_quantity.to_micros())
    .bind(per_unit.to_micros())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    Ok((
        StatusCode::CREATED,
        Json(Made {
            id,
            batch_id: batch,
            sku_id: body.sku_id,
            quantity: body.yield_quantity,
        }),
    ))
}
