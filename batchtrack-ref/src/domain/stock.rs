//! The stock check: can recipe R be made at scale s now, and at what
//! largest scale?
//!
//! The check and a batch start decide shortness by one rule
//! (`need_at`): each line's quantity times the scale, converted to
//! the ingredient's stock unit, against what its usable lots hold. The
//! check reports it in the recipe's units.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use tenancy_core::{Amount, Id, Scope, Scoped};

use super::models::{Ingredient, Recipe, RecipeIngredient, Unit};
use super::units::UnitBook;
use super::{DomainError, Shortfall, Store, positive};

/// One line of a recipe at a scale, in both units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) line: RecipeIngredient,
    pub(crate) ingredient: Ingredient,
    /// The line's quantity times the scale, in the line's unit.
    pub(crate) needed: Amount,
    /// The same, in the ingredient's stock unit: what lots give; rounded
    /// once, from the exact product of quantity, scale and factors.
    pub(crate) needed_in_stock_unit: Amount,
}

/// A line's need in its ingredient's stock unit at `scale`, rounded once:
/// the rule of the check, of the largest scale and of a batch start.
fn need_at(
    units: &UnitBook,
    line: &RecipeIngredient,
    ingredient: &Ingredient,
    scale: Amount,
) -> Result<Amount, DomainError> {
    let out_of_range = || DomainError::invalid("scale", "the quantities are out of range");
    let scaled = line
        .quantity
        .decimal()
        .checked_mul(scale.decimal())
        .ok_or_else(out_of_range)?;
    let exact = units.convert_exact(
        scaled,
        line.unit_id,
        ingredient.stock_unit_id,
        ingredient.into(),
    )?;
    Amount::rounded(exact).ok_or_else(out_of_range)
}

/// The recipe and its lines at `scale`, each converted to its
/// ingredient's stock unit, by ingredient id (the order batches lock lots
/// in).
pub(crate) async fn requirements<DB: Store>(
    conn: &mut sqlx::Transaction<'_, DB>,
    scope: &Scope,
    units: &UnitBook,
    recipe: Id<Recipe>,
    scale: Amount,
) -> Result<(Recipe, Vec<Requirement>), DomainError> {
    let recipe = Recipe::find(scope, recipe).fetch_one(&mut *conn).await?;
    let lines = RecipeIngredient::select(scope)
        .filter(RecipeIngredient::RECIPE_ID.eq(recipe.id))
        .fetch_all(&mut *conn)
        .await?;
    let ingredients: HashMap<Id<Ingredient>, Ingredient> = Ingredient::select(scope)
        .include_inactive()
        .filter(Ingredient::ID.is_in(lines.iter().map(|line| line.ingredient_id)))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|ingredient| (ingredient.id, ingredient))
        .collect();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let Some(ingredient) = ingredients.get(&line.ingredient_id).cloned() else {
            return Err(tenancy_core::Error::NotFound {
                table: "ingredients",
            }
            .into());
        };
        let needed = line
            .quantity
            .checked_mul(scale)
            .ok_or_else(|| DomainError::invalid("scale", "the quantities are out of range"))?;
        let needed_in_stock_unit = units.convert(
            needed,
            line.unit_id,
            ingredient.stock_unit_id,
            (&ingredient).into(),
        )?;
        out.push(Requirement {
            line,
            ingredient,
            needed,
            needed_in_stock_unit,
        });
    }
    out.sort_by_key(|requirement| requirement.ingredient.id);
    Ok((recipe, out))
}

/// The stock check of a recipe at a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StockCheck {
    /// The recipe.
    pub recipe_id: Id<Recipe>,
    /// The scale checked.
    pub scale: Amount,
    /// One line per ingredient, by ingredient id.
    pub lines: Vec<StockLine>,
    /// Whether every line is covered.
    pub can_make: bool,
    /// The largest scale, in hundredths, that usable stock covers now
    /// (`None` for a recipe without lines).
    pub max_scale: Option<Amount>,
}

/// One ingredient of a stock check, in the recipe line's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StockLine {
    /// The ingredient.
    pub ingredient_id: Id<Ingredient>,
    /// Its name.
    pub ingredient: String,
    /// The unit of the quantities: the recipe line's.
    pub unit_id: Id<Unit>,
    /// What the recipe needs at the scale.
    pub needed: Amount,
    /// What lots that are not expired hold.
    pub available: Amount,
    /// What is missing; zero when covered.
    pub short_by: Amount,
}

impl StockLine {
    /// The shortfall of a line that is short.
    pub(crate) fn shortfall(&self) -> Shortfall {
        Shortfall {
            ingredient_id: self.ingredient_id,
            ingredient: self.ingredient.clone(),
            unit_id: self.unit_id,
            needed: self.needed,
            available: self.available,
            short_by: self.short_by,
        }
    }
}

/// Checks recipe `recipe` at `scale` against the stock usable on `today`.
///
/// # Errors
///
/// [`DomainError::Invalid`] for a scale not more than zero or absurd;
/// [`DomainError::Conversion`] when a line's unit does not convert to its
/// ingredient's; `NotFound` for a recipe the organization does not have.
pub async fn check<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    recipe: Id<Recipe>,
    scale: Amount,
    today: NaiveDate,
) -> Result<StockCheck, DomainError> {
    let scale = positive("scale", scale)?;
    // One transaction for the reads (on PostgreSQL each statement still
    // sees what was committed when it began).
    let mut tx = scope.begin(pool).await?;
    let (recipe, requirements) = requirements(&mut tx, scope, units, recipe, scale).await?;
    if requirements.is_empty() {
        return Err(DomainError::invalid(
            "recipe_id",
            "the recipe has no ingredients",
        ));
    }
    let stock: HashMap<Id<Ingredient>, Amount> =
        super::inventory::usable_stock(&mut tx, scope, today)
            .await?
            .into_iter()
            .collect();
    tx.commit().await.map_err(tenancy_core::Error::from)?;
    let available_of = |requirement: &Requirement| {
        stock
            .get(&requirement.ingredient.id)
            .copied()
            .unwrap_or(Amount::ZERO)
    };
    let mut lines = Vec::with_capacity(requirements.len());
    for requirement in &requirements {
        let available_in_stock_unit = available_of(requirement);
        let ingredient = &requirement.ingredient;
        let available = units.convert(
            available_in_stock_unit,
            ingredient.stock_unit_id,
            requirement.line.unit_id,
            ingredient.into(),
        )?;
        let short = requirement.needed_in_stock_unit > available_in_stock_unit;
        let short_by = if short {
            // At least a millionth: short in the stock unit is short,
            // whatever the rounding of the conversion back.
            requirement
                .needed
                .checked_sub(available)
                .filter(|gap| gap.is_positive())
                .unwrap_or(Amount::from_micros(1))
        } else {
            Amount::ZERO
        };
        lines.push(StockLine {
            ingredient_id: ingredient.id,
            ingredient: ingredient.name.clone(),
            unit_id: requirement.line.unit_id,
            needed: requirement.needed,
            available,
            short_by,
        });
    }
    let max_scale = max_scale(units, &requirements, &available_of)?;
    Ok(StockCheck {
        recipe_id: recipe.id,
        scale,
        can_make: lines.iter().all(|line| line.short_by.is_zero()),
        lines,
        max_scale,
    })
}

/// The largest scale in hundredths at which every line is covered by the
/// rule a batch start follows ([`need_at`]): the exact quotient of stock by
/// need per unit of scale bounds it from above, and a binary search over
/// hundredths below that bound finds it (the need grows with the scale).
fn max_scale(
    units: &UnitBook,
    requirements: &[Requirement],
    available_of: &dyn Fn(&Requirement) -> Amount,
) -> Result<Option<Amount>, DomainError> {
    let mut bound: Option<Decimal> = None;
    for requirement in requirements {
        let per_scale = units.convert_exact(
            requirement.line.quantity.decimal(),
            requirement.line.unit_id,
            requirement.ingredient.stock_unit_id,
            (&requirement.ingredient).into(),
        )?;
        if per_scale <= Decimal::ZERO {
            continue;
        }
        let quotient = available_of(requirement)
            .decimal()
            .checked_div(per_scale)
            .unwrap_or(Decimal::MAX);
        bound = Some(bound.map_or(quotient, |bound| bound.min(quotient)));
    }
    let Some(bound) = bound else {
        return Ok(None);
    };
    let ceiling = bound
        .min(super::MAX_QUANTITY.decimal())
        .checked_mul(Decimal::ONE_HUNDRED)
        .unwrap_or(Decimal::ZERO)
        .floor()
        + Decimal::ONE;
    let hundredths = |n: i64| Amount::from_micros(n.saturating_mul(10_000));
    let covered = |n: i64| {
        requirements.iter().all(|requirement| {
            need_at(
                units,
                &requirement.line,
                &requirement.ingredient,
                hundredths(n),
            )
            .is_ok_and(|need| need <= available_of(requirement))
        })
    };
    // `low` is covered (zero always is), `high` is not.
    let (mut low, mut high) = (0_i64, i64::try_from(ceiling).unwrap_or(i64::MAX / 10_000));
    // The bound is exact, so the answer is nearly always just below it:
    // one evaluation instead of a search, unless rounding says otherwise.
    if high > 1 && covered(high - 1) {
        return Ok(Some(hundredths(high - 1)));
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if covered(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(Some(hundredths(low)))
}
