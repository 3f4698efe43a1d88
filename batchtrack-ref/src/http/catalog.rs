//! Units, categories, ingredients and recipes: what stock and batches
//! refer to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenancy_axum::Require;
use tenancy_core::{Global, Id, Order, Scope, Scoped};
use utoipa::{IntoParams, ToSchema};

use super::Api;
use super::openapi::{ById, Reads, Versioned, Writes};
use super::paging::{Page, Paging, page};
use super::problem::{ApiResult, Body, PathOf, QueryOf};
use super::versions::{IfMatch, tagged, tagged_as};
use crate::domain::catalog::{self, IngredientSpec, LineSpec};
use crate::domain::edits::{self, CategoryEdit, IngredientEdit, NamedEdit, version};
use crate::domain::models::{Category, Ingredient, Recipe, RecipeIngredient, Unit};
use crate::domain::permissions::{EditInventory, EditRecipes, ViewInventory, ViewRecipes};
use crate::domain::stock::{self, StockCheck};
use crate::domain::{Store, positive};

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/units", get(units::<DB>))
        .route(
            "/categories",
            get(list_categories::<DB>).post(create_category::<DB>),
        )
        .route(
            "/categories/{id}",
            get(category::<DB>)
                .patch(edit_category::<DB>)
                .delete(delete_category::<DB>),
        )
        .route(
            "/ingredients",
            get(list_ingredients::<DB>).post(create_ingredient::<DB>),
        )
        .route(
            "/ingredients/{id}",
            get(ingredient::<DB>)
                .patch(edit_ingredient::<DB>)
                .delete(delete_ingredient::<DB>),
        )
        .route(
            "/recipes",
            get(list_recipes::<DB>).post(create_recipe::<DB>),
        )
        .route(
            "/recipes/{id}",
            get(recipe::<DB>)
                .patch(edit_recipe::<DB>)
                .delete(delete_recipe::<DB>),
        )
        .route("/recipes/{id}/stock-check", get(stock_check::<DB>))
}

/// Every unit: global, the same for every organization.
#[utoipa::path(get, path = "/api/v1/units", tag = "catalog",
    responses((status = 200, description = "The units", body = Vec<Unit>), Reads))]
async fn units<DB: Store>(State(api): State<Api<DB>>, _: Scope) -> ApiResult<Json<Vec<Unit>>> {
    Ok(Json(
        Unit::select()
            .order_by(Unit::ID, Order::Asc)
            .fetch_all(&api.pool)
            .await?,
    ))
}

/// The organization's categories, by name.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", params(Paging),
    responses((status = 200, description = "A page of categories", body = Page<Category>), Reads))]
async fn list_categories<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    QueryOf(paging): QueryOf<Paging>,
) -> ApiResult<Json<Page<Category>>> {
    let select = || Category::select(&scope).order_by(Category::NAME, Order::Asc);
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCategoryBody {
    /// Its name, unique in the organization.
    #[schema(example = "Oils")]
    pub name: String,
    /// A display colour, `#rrggbb`.
    #[serde(default)]
    pub color: Option<String>,
}

/// Creates a category.
#[utoipa::path(post, path = "/api/v1/categories", tag = "catalog", request_body = NewCategoryBody,
    responses((status = 201, description = "Created", body = Category), Reads, Writes))]
async fn create_category<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    Body(body): Body<NewCategoryBody>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    let category =
        catalog::create_category(&api.pool, &scope, &body.name, body.color.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(category)))
}

/// One category.
#[utoipa::path(get, path = "/api/v1/categories/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "The category's id")),
    responses((status = 200, description = "The category, its version as the ETag", body = Category), Reads, ById))]
async fn category<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    PathOf(id): PathOf<Id<Category>>,
) -> ApiResult<Response> {
    Ok(tagged(
        Category::find(&scope, id).fetch_one(&api.pool).await?,
    ))
}

/// Edits a category, at the version in `If-Match`.
#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "catalog", request_body = CategoryEdit,
    params(("id" = i64, Path, description = "The category's id"), IfMatch),
    responses((status = 200, description = "Edited, its new version as the ETag", body = Category), Reads, ById, Writes, Versioned))]
async fn edit_category<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    PathOf(id): PathOf<Id<Category>>,
    if_match: IfMatch,
    Body(edit): Body<CategoryEdit>,
) -> ApiResult<Response> {
    let edited = edits::edit_category(&api.pool, &scope, id, if_match.version(), edit).await?;
    Ok(tagged(edited))
}

/// Deactivates a category; its ingredients keep it.
#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "The category's id")),
    responses((status = 204, description = "Deactivated"), Reads, ById))]
async fn delete_category<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    PathOf(id): PathOf<Id<Category>>,
) -> ApiResult<StatusCode> {
    Category::delete(&scope, id).execute(&api.pool).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's active ingredients, by name.
#[utoipa::path(get, path = "/api/v1/ingredients", tag = "catalog", params(Paging),
    responses((status = 200, description = "A page of ingredients", body = Page<Ingredient>), Reads))]
async fn list_ingredients<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    QueryOf(paging): QueryOf<Paging>,
) -> ApiResult<Json<Page<Ingredient>>> {
    let select = || Ingredient::select(&scope).order_by(Ingredient::NAME, Order::Asc);
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// Creates an ingredient.
#[utoipa::path(post, path = "/api/v1/ingredients", tag = "catalog", request_body = IngredientSpec,
    responses((status = 201, description = "Created", body = Ingredient), Reads, Writes))]
async fn create_ingredient<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    Body(spec): Body<IngredientSpec>,
) -> ApiResult<(StatusCode, Json<Ingredient>)> {
    let ingredient = catalog::create_ingredient(&api.pool, &scope, &api.units, spec).await?;
    Ok((StatusCode::CREATED, Json(ingredient)))
}

/// One ingredient.
#[utoipa::path(get, path = "/api/v1/ingredients/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "The ingredient's id")),
    responses((status = 200, description = "The ingredient, its version as the ETag", body = Ingredient), Reads, ById))]
async fn ingredient<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    PathOf(id): PathOf<Id<Ingredient>>,
) -> ApiResult<Response> {
    Ok(tagged(
        Ingredient::find(&scope, id)
            .include_inactive()
            .fetch_one(&api.pool)
            .await?,
    ))
}

/// Edits an ingredient, at the version in `If-Match`.
#[utoipa::path(patch, path = "/api/v1/ingredients/{id}", tag = "catalog", request_body = IngredientEdit,
    params(("id" = i64, Path, description = "The ingredient's id"), IfMatch),
    responses((status = 200, description = "Edited, its new version as the ETag", body = Ingredient), Reads, ById, Writes, Versioned))]
async fn edit_ingredient<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    PathOf(id): PathOf<Id<Ingredient>>,
    if_match: IfMatch,
    Body(edit): Body<IngredientEdit>,
) -> ApiResult<Response> {
    let edited = edits::edit_ingredient(&api.pool, &scope, id, if_match.version(), edit).await?;
    Ok(tagged(edited))
}

/// Deactivates an ingredient: its lots stay, new recipes cannot use it.
#[utoipa::path(delete, path = "/api/v1/ingredients/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "The ingredient's id")),
    responses((status = 204, description = "Deactivated"), Reads, ById))]
async fn delete_ingredient<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    PathOf(id): PathOf<Id<Ingredient>>,
) -> ApiResult<StatusCode> {
    Ingredient::delete(&scope, id).execute(&api.pool).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's active recipes, by name.
#[utoipa::path(get, path = "/api/v1/recipes", tag = "recipes", params(Paging),
    responses((status = 200, description = "A page of recipes", body = Page<Recipe>), Reads))]
async fn list_recipes<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewRecipes>,
    QueryOf(paging): QueryOf<Paging>,
) -> ApiResult<Json<Page<Recipe>>> {
    let select = || Recipe::select(&scope).order_by(Recipe::NAME, Order::Asc);
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// A new recipe with its ingredients.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRecipeBody {
    /// Its name, unique in the organization.
    #[schema(example = "Lavender bar")]
    pub name: String,
    /// How it is made.
    #[serde(default)]
    pub description: Option<String>,
    /// What scale 1 takes: 1 to 100 lines, each ingredient once.
    pub lines: Vec<LineSpec>,
}

/// A recipe with its ingredients.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecipeDetail {
    /// The recipe.
    pub recipe: Recipe,
    /// What scale 1 takes, by line id.
    pub lines: Vec<RecipeIngredient>,
}

/// Creates a recipe with its ingredients, all or nothing.
#[utoipa::path(post, path = "/api/v1/recipes", tag = "recipes", request_body = NewRecipeBody,
    responses((status = 201, description = "Created", body = RecipeDetail), Reads, Writes))]
async fn create_recipe<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditRecipes>,
    Body(body): Body<NewRecipeBody>,
) -> ApiResult<(StatusCode, Json<RecipeDetail>)> {
    let (recipe, lines) = catalog::create_recipe(
        &api.pool,
        &scope,
        &api.units,
        &body.name,
        body.description,
        body.lines,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(RecipeDetail { recipe, lines })))
}

/// One recipe with its ingredients.
#[utoipa::path(get, path = "/api/v1/recipes/{id}", tag = "recipes",
    params(("id" = i64, Path, description = "The recipe's id")),
    responses((status = 200, description = "The recipe, the recipe's version as the ETag", body = RecipeDetail), Reads, ById))]
async fn recipe<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewRecipes>,
    PathOf(id): PathOf<Id<Recipe>>,
) -> ApiResult<Response> {
    let recipe = Recipe::find(&scope, id)
        .include_inactive()
        .fetch_one(&api.pool)
        .await?;
    let lines = RecipeIngredient::select(&scope)
        .filter(RecipeIngredient::RECIPE_ID.eq(id))
        .fetch_all(&api.pool)
        .await?;
    Ok(tagged_as(&version(&recipe), RecipeDetail { recipe, lines }))
}

/// Edits a recipe's name and notes, at the version in `If-Match`.
#[utoipa::path(patch, path = "/api/v1/recipes/{id}", tag = "recipes", request_body = NamedEdit,
    params(("id" = i64, Path, description = "The recipe's id"), IfMatch),
    responses((status = 200, description = "Edited, its new version as the ETag", body = Recipe), Reads, ById, Writes, Versioned))]
async fn edit_recipe<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditRecipes>,
    PathOf(id): PathOf<Id<Recipe>>,
    if_match: IfMatch,
    Body(edit): Body<NamedEdit>,
) -> ApiResult<Response> {
    let edited = edits::edit_recipe(&api.pool, &scope, id, if_match.version(), edit).await?;
    Ok(tagged(edited))
}

/// Deactivates a recipe: its batches stay, no new batch can start.
#[utoipa::path(delete, path = "/api/v1/recipes/{id}", tag = "recipes",
    params(("id" = i64, Path, description = "The recipe's id")),
    responses((status = 204, description = "Deactivated"), Reads, ById))]
async fn delete_recipe<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditRecipes>,
    PathOf(id): PathOf<Id<Recipe>>,
) -> ApiResult<StatusCode> {
    Recipe::delete(&scope, id).execute(&api.pool).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The scale to check.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ScaleQuery {
    /// The recipe's scale, more than zero; 1 when left out.
    #[param(value_type = Option<String>, example = "2")]
    pub scale: Option<tenancy_core::Amount>,
}

/// What a batch of the recipe at the scale needs, what usable lots hold,
/// what is short, and the largest scale stock covers now.
#[utoipa::path(get, path = "/api/v1/recipes/{id}/stock-check", tag = "recipes",
    params(("id" = i64, Path, description = "The recipe's id"), ScaleQuery),
    responses((status = 200, description = "The stock check", body = StockCheck), Reads, ById, Writes))]
async fn stock_check<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewRecipes>,
    PathOf(id): PathOf<Id<Recipe>>,
    QueryOf(query): QueryOf<ScaleQuery>,
) -> ApiResult<Json<StockCheck>> {
    let scale = positive(
        "scale",
        query
            .scale
            .unwrap_or(tenancy_core::Amount::from_micros(1_000_000)),
    )?;
    let today = chrono::Utc::now().date_naive();
    Ok(Json(
        stock::check(&api.pool, &scope, &api.units, id, scale, today).await?,
    ))
}
