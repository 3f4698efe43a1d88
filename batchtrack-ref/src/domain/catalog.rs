//! Categories, ingredients and recipes: what stock and batches refer to,
//! checked when they are made so that a stock check or a batch start
//! never meets a unit that does not convert.

use serde::Deserialize;
use tenancy_core::{Amount, Id, Scope, Scoped};

use super::models::{
    Category, Ingredient, NewCategory, NewIngredient, NewRecipe, NewRecipeIngredient, Recipe,
    RecipeIngredient, Unit,
};
use super::units::UnitBook;
use super::{DomainError, Store, positive};

/// `value` trimmed, refused when empty or longer than `max` characters.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// [`text`] for a field that may be left out: blank is none.
pub(crate) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    match value.map(str::trim).filter(|value| !value.is_empty()) {
        Some(value) => text(field, value, max).map(Some),
        None => Ok(None),
    }
}

/// A display colour as given: blank is none, otherwise `#rrggbb` (kept in
/// lower case).
pub(crate) fn color(value: &str) -> Result<Option<String>, DomainError> {
    match value.trim() {
        "" => Ok(None),
        c if c.len() == 7
            && c.starts_with('#')
            && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(Some(c.to_ascii_lowercase()))
        }
        _ => Err(DomainError::invalid("color", "must be of the form #rrggbb")),
    }
}

/// A new category.
///
/// # Errors
///
/// [`DomainError::Invalid`] for an empty or overlong name or a colour not
/// of the form `#rrggbb`; `Conflict` for a name already used.
pub async fn create_category<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    name: &str,
    color: Option<&str>,
) -> Result<Category, DomainError> {
    let color = color.map(self::color).transpose()?.flatten();
    let new = NewCategory {
        name: text("name", name, 100)?,
        color,
    };
    Ok(Category::insert(scope, new).execute(pool).await?)
}

/// What a new ingredient is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngredientSpec {
    /// Its name, unique in the organization.
    pub name: String,
    /// Its category, if any.
    pub category_id: Option<Id<Category>>,
    /// The unit its stock is counted in.
    pub stock_unit_id: Id<Unit>,
    /// Grams per millilitre, for weight ↔ volume.
    pub density: Option<Amount>,
    /// Grams per piece, for count ↔ weight.
    pub unit_weight: Option<Amount>,
    /// Stock on hand below which it is low, in the stock unit.
    pub low_stock_threshold: Option<Amount>,
}

/// A new ingredient.
///
/// # Errors
///
/// [`DomainError::Invalid`] for an empty or overlong name, an unknown
/// stock unit, a density or unit weight not more than zero or absurd, a
/// negative threshold; `Invalid` naming `category_id` for a category the
/// organization does not have; `Conflict` for a name already used.
pub async fn create_ingredient<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    spec: IngredientSpec,
) -> Result<Ingredient, DomainError> {
    units.unit(spec.stock_unit_id)?;
    let density = spec.density.map(|d| positive("density", d)).transpose()?;
    let unit_weight = spec
        .unit_weight
        .map(|w| positive("unit_weight", w))
        .transpose()?;
    let threshold = match spec.low_stock_threshold {
        Some(t) if t.is_negative() || t > super::MAX_QUANTITY => {
            return Err(DomainError::invalid(
                "low_stock_threshold",
                "must be between 0 and 1 000 000 000",
            ));
        }
        other => other,
    };
    let new = NewIngredient {
        name: text("name", &spec.name, 200)?,
        category_id: spec.category_id,
        stock_unit_id: spec.stock_unit_id,
        density,
        unit_weight,
        low_stock_threshold: threshold,
    };
    Ok(Ingredient::insert(scope, new).execute(pool).await?)
}

/// One line of a new recipe, at scale 1.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineSpec {
    /// The ingredient, once per recipe.
    pub ingredient_id: Id<Ingredient>,
    /// How much.
    pub quantity: Amount,
    /// In which unit: one that converts to the ingredient's stock unit.
    pub unit_id: Id<Unit>,
}

/// A new recipe with its lines, in one write transaction.
///
/// # Errors
///
/// [`DomainError::Invalid`] for an empty or overlong name, no lines, an
/// ingredient twice, a quantity not more than zero or absurd;
/// [`DomainError::Conversion`] for a line whose unit does not convert to
/// its ingredient's stock unit; `NotFound` for an ingredient the
/// organization does not have; `Conflict` for a name already used.
pub async fn create_recipe<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    name: &str,
    description: Option<String>,
    lines: Vec<LineSpec>,
) -> Result<(Recipe, Vec<RecipeIngredient>), DomainError> {
    let name = text("name", name, 200)?;
    if lines.is_empty() || lines.len() > 100 {
        return Err(DomainError::invalid(
            "lines",
            "a recipe has 1 to 100 ingredients",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for line in &lines {
        positive("quantity", line.quantity)?;
        if !seen.insert(line.ingredient_id) {
            return Err(DomainError::invalid("lines", "an ingredient appears twice"));
        }
    }
    let ingredients = Ingredient::select(scope)
        .filter(Ingredient::ID.is_in(lines.iter().map(|line| line.ingredient_id)))
        .fetch_all(pool)
        .await?;
    for line in &lines {
        let Some(ingredient) = ingredients.iter().find(|i| i.id == line.ingredient_id) else {
            return Err(tenancy_core::Error::NotFound {
                table: "ingredients",
            }
            .into());
        };
        let need = units.convert(
            line.quantity,
            line.unit_id,
            ingredient.stock_unit_id,
            ingredient.into(),
        )?;
        if !need.is_positive() {
            return Err(DomainError::invalid(
                "quantity",
                format!(
                    "the need of `{}` is less than a millionth of its stock unit",
                    ingredient.name
                ),
            ));
        }
    }
    let description = optional_text("description", description.as_deref(), 2000)?;
    Ok(scope
        .write(pool, |tx| {
            let (name, description, lines) = (name.clone(), description.clone(), lines.clone());
            Box::pin(async move {
                let recipe = Recipe::insert(scope, NewRecipe { name, description })
                    .execute(&mut *tx)
                    .await?;
                let mut rows = Vec::with_capacity(lines.len());
                for line in lines {
                    let new = NewRecipeIngredient {
                        recipe_id: recipe.id,
                        ingredient_id: line.ingredient_id,
                        quantity: line.quantity,
                        unit_id: line.unit_id,
                    };
                    rows.push(
                        RecipeIngredient::insert(scope, new)
                            .execute(&mut *tx)
                            .await?,
                    );
                }
                Ok((recipe, rows))
            })
        })
        .await?)
}
