//! Converting quantities between units, exactly.
//!
//! Every unit converts to the base unit of its kind (`g`, `ml`, `each`) by
//! an exact fraction from `unit_conversions`; weight and volume meet
//! through an ingredient's density (grams per millilitre), count and
//! weight through its unit weight (grams per piece). A conversion is done
//! in `Decimal` and rounded once, at the end, by [`Amount`]'s rule (six
//! places, half away from zero): the one rounding rule of the domain.

use std::collections::HashMap;

use rust_decimal::Decimal;
use tenancy_core::{Amount, Global, Id};

use super::Store;
use super::models::{Ingredient, Unit, UnitConversion, UnitKind};

/// Why a quantity cannot be converted; `Display` names both units.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConversionError {
    /// No unit has this id.
    #[error("unknown unit {0}")]
    UnknownUnit(Id<Unit>),
    /// The units measure different things and the ingredient lacks what
    /// would bridge them.
    #[error("cannot convert `{from}` to `{to}`: {needed}")]
    Impossible {
        /// The unit converted from.
        from: String,
        /// The unit converted to.
        to: String,
        /// What would make it possible, in words.
        needed: &'static str,
    },
    /// The result is beyond what an amount holds.
    #[error("converting `{from}` to `{to}` is out of range")]
    OutOfRange {
        /// The unit converted from.
        from: String,
        /// The unit converted to.
        to: String,
    },
}

/// What an ingredient adds to unit conversions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bridges {
    /// Grams per millilitre.
    pub density: Option<Amount>,
    /// Grams per piece.
    pub unit_weight: Option<Amount>,
}

impl From<&Ingredient> for Bridges {
    fn from(ingredient: &Ingredient) -> Self {
        Self {
            density: ingredient.density,
            unit_weight: ingredient.unit_weight,
        }
    }
}

/// The units and their factors, read once: they are global and change
/// only with a migration.
#[derive(Debug, Clone)]
pub struct UnitBook {
    units: HashMap<Id<Unit>, (Unit, Decimal)>,
}

impl UnitBook {
    /// Reads every unit and conversion.
    ///
    /// # Errors
    ///
    /// When the statements fail, or a unit that is not a base unit has no
    /// conversion (a broken seed: `Error::Invalid` naming it).
    pub async fn load<DB: Store>(pool: &sqlx::Pool<DB>) -> tenancy_core::Result<Self> {
        let units = Unit::select().fetch_all(pool).await?;
        let conversions = UnitConversion::select().fetch_all(pool).await?;
        Self::new(units, &conversions)
    }

    fn new(units: Vec<Unit>, conversions: &[UnitConversion]) -> tenancy_core::Result<Self> {
        let factors: HashMap<Id<Unit>, Decimal> = conversions
            .iter()
            .filter(|c| c.numerator > 0 && c.denominator > 0)
            .map(|c| {
                (
                    c.from_unit_id,
                    Decimal::from(c.numerator) / Decimal::from(c.denominator),
                )
            })
            .collect();
        let mut book = HashMap::new();
        for unit in units {
            let factor = match factors.get(&unit.id) {
                Some(factor) => *factor,
                None if is_base(&unit) => Decimal::ONE,
                None => {
                    return Err(tenancy_core::Error::invalid(
                        "unit_conversions",
                        format!("unit `{}` has no conversion to its base unit", unit.symbol),
                    ));
                }
            };
            book.insert(unit.id, (unit, factor));
        }
        Ok(Self { units: book })
    }

    /// The unit with this id.
    ///
    /// # Errors
    ///
    /// [`ConversionError::UnknownUnit`].
    pub fn unit(&self, id: Id<Unit>) -> Result<&Unit, ConversionError> {
        self.units
            .get(&id)
            .map(|(unit, _)| unit)
            .ok_or(ConversionError::UnknownUnit(id))
    }

    /// Every unit, by kind then symbol: the choices of a unit field.
    #[must_use]
    pub fn all(&self) -> Vec<&Unit> {
        let mut all: Vec<&Unit> = self.units.values().map(|(unit, _)| unit).collect();
        all.sort_by(|a, b| (a.kind as u8, &a.symbol).cmp(&(b.kind as u8, &b.symbol)));
        all
    }

    /// The unit with this symbol (`g`, `fl_oz`), if any.
    #[must_use]
    pub fn by_symbol(&self, symbol: &str) -> Option<&Unit> {
        self.units
            .values()
            .map(|(unit, _)| unit)
            .find(|unit| unit.symbol == symbol)
    }

    /// `quantity` of `from` in `to`, through `bridges` when the kinds
    /// differ, rounded once to six places.
    ///
    /// # Errors
    ///
    /// [`ConversionError`]: an unknown unit, kinds the bridges do not
    /// join, a result out of range.
    pub fn convert(
        &self,
        quantity: Amount,
        from: Id<Unit>,
        to: Id<Unit>,
        bridges: Bridges,
    ) -> Result<Amount, ConversionError> {
        let exact = self.convert_exact(quantity.decimal(), from, to, bridges)?;
        Amount::rounded(exact).ok_or_else(|| self.out_of_range(from, to))
    }

    /// `value` of `from` in `to`, not rounded: for a computation that goes
    /// on before it rounds once (a need times a scale).
    pub(crate) fn convert_exact(
        &self,
        value: Decimal,
        from: Id<Unit>,
        to: Id<Unit>,
        bridges: Bridges,
    ) -> Result<Decimal, ConversionError> {
        let (from_unit, from_factor) = self
            .units
            .get(&from)
            .ok_or(ConversionError::UnknownUnit(from))?;
        let (to_unit, to_factor) = self
            .units
            .get(&to)
            .ok_or(ConversionError::UnknownUnit(to))?;
        if from == to {
            return Ok(value);
        }
        let impossible = |needed| ConversionError::Impossible {
            from: from_unit.symbol.clone(),
            to: to_unit.symbol.clone(),
            needed,
        };
        let base = value
            .checked_mul(*from_factor)
            .ok_or_else(|| self.out_of_range(from, to))?;
        let base = bridge(base, from_unit.kind, to_unit.kind, bridges)
            .map_err(impossible)?
            .ok_or_else(|| self.out_of_range(from, to))?;
        base.checked_div(*to_factor)
            .ok_or_else(|| self.out_of_range(from, to))
    }

    fn out_of_range(&self, from: Id<Unit>, to: Id<Unit>) -> ConversionError {
        let symbol = |id| {
            self.units
                .get(&id)
                .map_or_else(String::new, |(unit, _)| unit.symbol.clone())
        };
        ConversionError::OutOfRange {
            from: symbol(from),
            to: symbol(to),
        }
    }
}

fn is_base(unit: &Unit) -> bool {
    matches!(
        (unit.kind, unit.symbol.as_str()),
        (UnitKind::Weight, "g") | (UnitKind::Volume, "ml") | (UnitKind::Count, "each")
    )
}

/// A quantity in the base unit of `from` as one in the base unit of `to`;
/// `Err` names what is missing, `Ok(None)` is an overflow.
fn bridge(
    base: Decimal,
    from: UnitKind,
    to: UnitKind,
    bridges: Bridges,
) -> Result<Option<Decimal>, &'static str> {
    let density = || {
        bridges
            .density
            .map(Amount::decimal)
            .ok_or("the ingredient has no density")
    };
    let unit_weight = || {
        bridges
            .unit_weight
            .map(Amount::decimal)
            .ok_or("the ingredient has no unit weight")
    };
    Ok(match (from, to) {
        (a, b) if a == b => Some(base),
        (UnitKind::Volume, UnitKind::Weight) => base.checked_mul(density()?),
        (UnitKind::Weight, UnitKind::Volume) => base.checked_div(density()?),
        (UnitKind::Count, UnitKind::Weight) => base.checked_mul(unit_weight()?),
        (UnitKind::Weight, UnitKind::Count) => base.checked_div(unit_weight()?),
        (UnitKind::Count, UnitKind::Volume) => {
            let (weight, density) = (unit_weight()?, density()?);
            base.checked_mul(weight)
                .and_then(|g| g.checked_div(density))
        }
        (UnitKind::Volume, UnitKind::Count) => {
            let (weight, density) = (unit_weight()?, density()?);
            base.checked_mul(density)
                .and_then(|g| g.checked_div(weight))
        }
        _ => None,
    })
}

/// What [`UnitBook`] would hold after the migrations, for unit tests.
#[cfg(test)]
pub(crate) fn seeded() -> UnitBook {
    let seed = [
        ("g", UnitKind::Weight, 1, 1),
        ("mg", UnitKind::Weight, 1, 1000),
        ("kg", UnitKind::Weight, 1000, 1),
        ("oz", UnitKind::Weight, 45_359_237, 1_600_000),
        ("lb", UnitKind::Weight, 45_359_237, 100_000),
        ("ml", UnitKind::Volume, 1, 1),
        ("l", UnitKind::Volume, 1000, 1),
        ("tsp", UnitKind::Volume, 473_176_473, 96_000_000),
        ("fl_oz", UnitKind::Volume, 473_176_473, 16_000_000),
        ("gal", UnitKind::Volume, 473_176_473, 125_000),
        ("each", UnitKind::Count, 1, 1),
        ("dozen", UnitKind::Count, 12, 1),
    ];
    let mut units = Vec::new();
    let mut conversions = Vec::new();
    for (n, (symbol, kind, numerator, denominator)) in (1..).zip(seed) {
        units.push(Unit {
            id: Id::new(n),
            symbol: symbol.into(),
            name: symbol.into(),
            kind,
        });
        if (numerator, denominator) != (1, 1) {
            conversions.push(UnitConversion {
                id: Id::new(n),
                from_unit_id: Id::new(n),
                to_unit_id: Id::new(1),
                numerator,
                denominator,
            });
        }
    }
    UnitBook::new(units, &conversions).unwrap_or_else(|e| panic!("the seed converts: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn convert(
        book: &UnitBook,
        q: &str,
        from: &str,
        to: &str,
        bridges: Bridges,
    ) -> Result<Amount, ConversionError> {
        let id = |s: &str| {
            book.by_symbol(s)
                .map(|u| u.id)
                .unwrap_or_else(|| panic!("unit {s}"))
        };
        book.convert(amount(q), id(from), id(to), bridges)
    }

    #[test]
    fn units_of_one_kind_convert_exactly() {
        let book = seeded();
        let none = Bridges::default();
        assert_eq!(convert(&book, "1.5", "kg", "g", none), Ok(amount("1500")));
        assert_eq!(convert(&book, "16", "oz", "lb", none), Ok(amount("1")));
        assert_eq!(convert(&book, "128", "fl_oz", "gal", none), Ok(amount("1")));
        assert_eq!(
            convert(&book, "1", "gal", "ml", none),
            Ok(amount("3785.411784"))
        );
        // One rounding, at the end: 3 oz is 85.048569375 g.
        assert_eq!(
            convert(&book, "3", "oz", "g", none),
            Ok(amount("85.048569"))
        );
        assert_eq!(convert(&book, "2", "dozen", "each", none), Ok(amount("24")));
    }

    #[test]
    fn kinds_meet_through_density_and_unit_weight() {
        let book = seeded();
        let olive_oil = Bridges {
            density: Some(amount("0.92")),
            unit_weight: None,
        };
        assert_eq!(convert(&book, "1", "l", "g", olive_oil), Ok(amount("920")));
        assert_eq!(
            convert(&book, "460", "g", "ml", olive_oil),
            Ok(amount("500"))
        );
        let wick = Bridges {
            density: None,
            unit_weight: Some(amount("2.5")),
        };
        assert_eq!(convert(&book, "10", "each", "g", wick), Ok(amount("25")));
        assert_eq!(convert(&book, "1", "kg", "each", wick), Ok(amount("400")));
    }

    #[test]
    fn impossible_conversions_name_both_units() {
        let book = seeded();
        let error = convert(&book, "1", "l", "g", Bridges::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot convert `l` to `g`: the ingredient has no density"
        );
        let error = convert(&book, "1", "each", "kg", Bridges::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot convert `each` to `kg`: the ingredient has no unit weight"
        );
        assert_eq!(
            book.convert(amount("1"), Id::new(999), Id::new(1), Bridges::default()),
            Err(ConversionError::UnknownUnit(Id::new(999)))
        );
    }

    #[test]
    fn results_beyond_an_amount_are_refused() {
        let book = seeded();
        let error = convert(&book, "9000000000000", "gal", "ml", Bridges::default()).unwrap_err();
        assert!(
            matches!(error, ConversionError::OutOfRange { .. }),
            "{error:?}"
        );
    }
}
