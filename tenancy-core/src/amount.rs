//! [`Amount`]: the one exact number for quantities and money, stored the
//! same way on both backends' terms.
//!
//! Why one exact number for both backends, and how each stores it: see
//! [`Amount`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An exact decimal number of at most six decimal places, for quantities
/// and money, usable as a model field on SQLite and PostgreSQL.
///
/// Stock, costs and balances are added, subtracted, compared and summed in
/// SQL, and must come out the same on SQLite and PostgreSQL: `0.1 + 0.2`
/// is `0.3`, never `0.30000000000000004`. PostgreSQL has an exact
/// `NUMERIC`; SQLite has none (its "decimal" columns hold `REAL`, and text
/// compares letter by letter, `"10" < "9"`). So an `Amount` has a fixed
/// number of decimal places, [`Amount::SCALE`], and a fixed range, the
/// millionths that fit an `i64`:
///
/// | backend    | column type      | holds |
/// |------------|------------------|-------|
/// | SQLite     | `INTEGER`        | the amount in millionths (`1.5` is `1500000`) |
/// | PostgreSQL | `NUMERIC(19, 6)` | the amount itself |
///
/// Both add, compare, order and `SUM` exactly, and the library binds every
/// `Amount` in filters, guards and updates in its backend's form. (On
/// SQLite every `rust_decimal::Decimal` value a statement binds, a
/// `Filter::custom` one included, is bound as millionths, since SQLite has
/// no exact decimal of its own.)
///
/// # The rule for scale and rounding
///
/// An `Amount` has at most six decimal places and lies between
/// [`Amount::MIN`] and [`Amount::MAX`] (±9 223 372 036 854.775 807). Making
/// one from a value with more places, or out of range, is refused: nothing
/// is rounded silently. Adding and subtracting are exact or refused (on
/// overflow). Multiplying and dividing round the result to six places,
/// half away from zero (as PostgreSQL's `round`): `0.0000005` becomes
/// `0.000001`, `-0.0000005` becomes `-0.000001`. There is no negative zero:
/// `-0` is `0`.
///
/// ```
/// use tenancy_core::Amount;
///
/// let a: Amount = "0.1".parse()?;
/// let b: Amount = "0.2".parse()?;
/// assert_eq!(a.checked_add(b), Some("0.3".parse()?));
/// assert_eq!("1.50".parse::<Amount>()?.to_string(), "1.5");
/// assert!("0.0000001".parse::<Amount>().is_err());
/// # Ok::<(), tenancy_core::AmountError>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

/// Why a value is not an [`Amount`]; `Display` says it in words fit for a
/// client ("has more than 6 decimal places").
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Not a decimal number.
    #[error("is not a decimal number")]
    Malformed,
    /// More decimal places than [`Amount::SCALE`].
    #[error("has more than 6 decimal places")]
    TooPrecise,
    /// Outside [`Amount::MIN`] ..= [`Amount::MAX`].
    #[error("is out of range (at most 9223372036854.775807 either way)")]
    OutOfRange,
}

impl From<AmountError> for crate::Error {
    /// An [`Error::Invalid`](crate::Error::Invalid) of the field `amount`;
    /// name the field yourself with `Error::invalid(field, e.to_string())`.
    fn from(error: AmountError) -> Self {
        Self::invalid("amount", error.to_string())
    }
}

impl Amount {
    /// The number of decimal places every amount has at most.
    pub const SCALE: u32 = 6;

    /// Zero.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// The largest amount: `i64::MAX` millionths.
    pub const MAX: Self = Self::from_micros(i64::MAX);

    /// The smallest amount: `i64::MIN` millionths.
    pub const MIN: Self = Self::from_micros(i64::MIN);

    /// The amount of `micros` millionths: what SQLite stores.
    #[must_use]
    pub const fn from_micros(micros: i64) -> Self {
        // `Decimal::new` normalizes nothing; a value with trailing zeros is
        // still equal to its normal form, and `Display` normalizes.
        Self(Decimal::from_parts(
            micros.unsigned_abs() as u32,
            (micros.unsigned_abs() >> 32) as u32,
            0,
            micros < 0,
            Self::SCALE,
        ))
    }

    /// The amount in millionths.
    #[must_use]
    pub fn to_micros(self) -> i64 {
        let mut scaled = self.0;
        scaled.rescale(Self::SCALE);
        // In range by construction: every amount is at most `i64::MAX`
        // millionths either way.
        i64::try_from(scaled.mantissa()).unwrap_or(if scaled.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// The amount of a decimal, if it has at most six places and is in
    /// range.
    ///
    /// # Errors
    ///
    /// [`AmountError::TooPrecise`], [`AmountError::OutOfRange`].
    pub fn new(value: Decimal) -> Result<Self, AmountError> {
        let value = value.normalize();
        if value.scale() > Self::SCALE {
            return Err(AmountError::TooPrecise);
        }
        if value < Self::MIN.0 || value > Self::MAX.0 {
            return Err(AmountError::OutOfRange);
        }
        Ok(Self(value))
    }

    /// A whole number of units.
    ///
    /// # Errors
    ///
    /// [`AmountError::OutOfRange`] beyond ±9 223 372 036 854.
    pub fn from_units(units: i64) -> Result<Self, AmountError> {
        Self::new(Decimal::from(units))
    }

    /// The amount as a `rust_decimal::Decimal`, in its shortest form.
    #[must_use]
    pub fn decimal(self) -> Decimal {
        self.0.normalize()
    }

    /// `self + other`, or `None` out of range.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.to_micros()
            .checked_add(other.to_micros())
            .map(Self::from_micros)
    }

    /// `self - other`, or `None` out of range.
    #[must_use]
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.to_micros()
            .checked_sub(other.to_micros())
            .map(Self::from_micros)
    }

    /// `self × other`, rounded to six places half away from zero, or
    /// `None` out of range: a quantity times a unit cost.
    #[must_use]
    pub fn checked_mul(self, other: Self) -> Option<Self> {
        Self::rounded(self.0.checked_mul(other.0)?)
    }

    /// `self ÷ other`, rounded to six places half away from zero, or
    /// `None` when `other` is zero or the result is out of range.
    #[must_use]
    pub fn checked_div(self, other: Self) -> Option<Self> {
        Self::rounded(self.0.checked_div(other.0)?)
    }

    /// `value` rounded to six places half away from zero (the rule of
    /// multiplying and dividing), or `None` out of range: for a
    /// computation done in `Decimal`, such as a quantity times an exact
    /// fraction, that should be rounded once, at the end.
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// use tenancy_core::Amount;
    ///
    /// // 1 oz is 45359237/1600000 g exactly.
    /// let grams = Decimal::from(3) * Decimal::from(45_359_237) / Decimal::from(1_600_000);
    /// assert_eq!(Amount::rounded(grams), Some("85.048569".parse()?));
    /// # Ok::<(), tenancy_core::AmountError>(())
    /// ```
    #[must_use]
    pub fn rounded(value: Decimal) -> Option<Self> {
        let value =
            value.round_dp_with_strategy(Self::SCALE, RoundingStrategy::MidpointAwayFromZero);
        Self::new(value).ok()
    }

    /// Whether the amount is more than zero.
    #[must_use]
    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }

    /// Whether the amount is less than zero.
    #[must_use]
    pub fn is_negative(self) -> bool {
        self.0 < Decimal::ZERO
    }

    /// Whether the amount is zero.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl TryFrom<Decimal> for Amount {
    type Error = AmountError;

    fn try_from(value: Decimal) -> Result<Self, AmountError> {
        Self::new(value)
    }
}

impl From<Amount> for Decimal {
    fn from(amount: Amount) -> Self {
        amount.decimal()
    }
}

impl From<i32> for Amount {
    fn from(units: i32) -> Self {
        Self(Decimal::from(units))
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Parses `"12"`, `"-0.5"`, `"1.250"` or `"1e-6"`.
    fn from_str(text: &str) -> Result<Self, AmountError> {
        let text = text.trim();
        let value = match Decimal::from_str_exact(text) {
            Ok(value) => value,
            Err(rust_decimal::Error::Underflow) => return Err(AmountError::TooPrecise),
            Err(rust_decimal::Error::ExceedsMaximumPossibleValue) => {
                return Err(AmountError::OutOfRange);
            }
            Err(_) if text.contains(['e', 'E']) => scientific(text)?,
            Err(_) => return Err(AmountError::Malformed),
        };
        Self::new(value)
    }
}

/// `text` in scientific notation (`1e-6`, `2.5E3`), exactly: the mantissa
/// is read without rounding (`Decimal::from_scientific` would round it)
/// and the exponent moves its point.
fn scientific(text: &str) -> Result<Decimal, AmountError> {
    let (mantissa, exponent) = text.split_once(['e', 'E']).ok_or(AmountError::Malformed)?;
    let mut value = match Decimal::from_str_exact(mantissa) {
        Ok(value) => value,
        Err(rust_decimal::Error::Underflow) => return Err(AmountError::TooPrecise),
        Err(_) => return Err(AmountError::Malformed),
    };
    let exponent: i32 = exponent.parse().map_err(|_| AmountError::Malformed)?;
    if exponent >= 0 {
        for _ in 0..exponent {
            value = value
                .checked_mul(Decimal::TEN)
                .ok_or(AmountError::OutOfRange)?;
        }
    } else {
        let scale = value.scale().saturating_add(exponent.unsigned_abs());
        if scale > 28 {
            return Err(AmountError::TooPrecise);
        }
        value
            .set_scale(scale)
            .map_err(|_| AmountError::TooPrecise)?;
    }
    Ok(value)
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({self})")
    }
}

/// As a string (`"1.5"`), so that no JSON reader turns it into a float.
impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// From a string (`"1.5"`) or a JSON number (`1.5`, read as the shortest
/// decimal that gives the same float, which is what was written for any
/// number of up to 15 significant digits; a number of more is refused, as
/// its float may have rounded it: send it as a string).
impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Amount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number of at most 6 decimal places")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Amount, E> {
                text.parse().map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, units: i64) -> Result<Amount, E> {
                Amount::from_units(units).map_err(E::custom)
            }

            fn visit_u64<E: serde::de::Error>(self, units: u64) -> Result<Amount, E> {
                let units = i64::try_from(units).map_err(|_| E::custom(AmountError::OutOfRange))?;
                self.visit_i64(units)
            }

            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Amount, E> {
                if !value.is_finite() {
                    return Err(E::custom(AmountError::Malformed));
                }
                // `f64`'s `Display` is the shortest text that reads back as
                // the same float: what was written, for up to 15
                // significant digits. Past that the float may already
                // have rounded what was sent, so it is refused.
                let text = value.to_string();
                let digits = text
                    .trim_start_matches('-')
                    .trim_start_matches(['0', '.'])
                    .chars()
                    .filter(char::is_ascii_digit)
                    .count();
                if digits > 15 {
                    return Err(E::custom(
                        "has more than 15 significant digits: send it as a string",
                    ));
                }
                self.visit_str(&text)
            }
        }

        // Self-describing formats (JSON) say whether a string or a number
        // comes; the others are sent the string.
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(Visitor)
        } else {
            deserializer.deserialize_str(Visitor)
        }
    }
}

impl From<Amount> for sea_query::Value {
    /// A decimal value, which the library binds in the backend's form (see
    /// [`Amount`]).
    fn from(amount: Amount) -> Self {
        Self::Decimal(Some(amount.decimal()))
    }
}

impl sea_query::Nullable for Amount {
    fn null() -> sea_query::Value {
        sea_query::Value::Decimal(None)
    }
}

/// SQLite stores millionths in an `INTEGER` column.
#[cfg(feature = "sqlite")]
mod sqlite {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};

    use super::Amount;

    impl sqlx::Type<Sqlite> for Amount {
        fn type_info() -> SqliteTypeInfo {
            <i64 as sqlx::Type<Sqlite>>::type_info()
        }

        fn compatible(ty: &SqliteTypeInfo) -> bool {
            <i64 as sqlx::Type<Sqlite>>::compatible(ty)
        }
    }

    impl sqlx::Encode<'_, Sqlite> for Amount {
        fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
            <i64 as sqlx::Encode<'_, Sqlite>>::encode(self.to_micros(), buf)
        }
    }

    impl sqlx::Decode<'_, Sqlite> for Amount {
        fn decode(value: SqliteValueRef<'_>) -> Result<Self, BoxDynError> {
            Ok(Self::from_micros(
                <i64 as sqlx::Decode<'_, Sqlite>>::decode(value)?,
            ))
        }
    }
}

/// PostgreSQL stores the number itself in a `NUMERIC` column.
#[cfg(feature = "postgres")]
mod postgres {
    use rust_decimal::Decimal;
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};

    use super::Amount;

    impl sqlx::Type<Postgres> for Amount {
        fn type_info() -> PgTypeInfo {
            <Decimal as sqlx::Type<Postgres>>::type_info()
        }

        fn compatible(ty: &PgTypeInfo) -> bool {
            <Decimal as sqlx::Type<Postgres>>::compatible(ty)
        }
    }

    impl sqlx::Encode<'_, Postgres> for Amount {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <Decimal as sqlx::Encode<'_, Postgres>>::encode(self.decimal(), buf)
        }
    }

    impl sqlx::Decode<'_, Postgres> for Amount {
        /// Refuses a stored value with more than six places or out of
        /// range (written around the library) rather than round it.
        fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
            let value = <Decimal as sqlx::Decode<'_, Postgres>>::decode(value)?;
            Amount::new(value).map_err(|e| format!("a stored amount {e}").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn sums_are_exact_and_there_is_no_negative_zero() {
        assert_eq!(
            amount("0.1").checked_add(amount("0.2")),
            Some(amount("0.3"))
        );
        assert_eq!(amount("-0"), Amount::ZERO);
        assert_eq!(amount("-0").to_string(), "0");
        assert_eq!(amount("1e-6"), Amount::from_micros(1));
        assert_eq!(amount("2.5E3"), amount("2500"));
        assert_eq!(
            "1.00000000000000000000000000001e0".parse::<Amount>(),
            Err(AmountError::TooPrecise),
            "the mantissa is read exactly, not rounded"
        );
        assert_eq!("1e-7".parse::<Amount>(), Err(AmountError::TooPrecise));
        assert_eq!(amount("99999999.999999").to_micros(), 99_999_999_999_999);
        assert_eq!(amount("2.50").to_string(), "2.5");
    }

    #[test]
    fn the_range_is_that_of_i64_millionths() {
        assert_eq!(Amount::MAX.to_string(), "9223372036854.775807");
        assert_eq!(Amount::MIN.to_string(), "-9223372036854.775808");
        assert_eq!(Amount::MAX.checked_add(Amount::from_micros(1)), None);
        assert_eq!(Amount::MIN.checked_sub(Amount::from_micros(1)), None);
        assert_eq!(
            "9223372036854.775808".parse::<Amount>(),
            Err(AmountError::OutOfRange)
        );
        assert_eq!("0.0000001".parse::<Amount>(), Err(AmountError::TooPrecise));
        assert_eq!("1.5x".parse::<Amount>(), Err(AmountError::Malformed));
        assert_eq!("".parse::<Amount>(), Err(AmountError::Malformed));
        for micros in [0, 1, -1, 1_500_000, i64::MAX, i64::MIN] {
            assert_eq!(Amount::from_micros(micros).to_micros(), micros);
        }
    }

    #[test]
    fn products_round_half_away_from_zero() {
        let half_micro = amount("0.5").checked_mul(amount("0.000001"));
        assert_eq!(half_micro, Some(Amount::from_micros(1)));
        let negative = amount("-0.5").checked_mul(amount("0.000001"));
        assert_eq!(negative, Some(Amount::from_micros(-1)));
        assert_eq!(
            amount("1").checked_div(amount("3")),
            Some(amount("0.333333"))
        );
        assert_eq!(amount("1").checked_div(Amount::ZERO), None);
        assert_eq!(Amount::MAX.checked_mul(amount("2")), None);
    }

    #[test]
    fn order_is_numeric() {
        assert!(amount("9") < amount("10"));
        assert!(amount("-1") < amount("0.000001"));
        assert!(amount("1.5") == amount("1.500000"));
    }

    #[test]
    fn json_is_a_string_and_reads_strings_and_numbers() {
        let json = serde_json::to_string(&amount("1.25"));
        assert_eq!(json.ok().as_deref(), Some("\"1.25\""));
        for (text, expected) in [
            ("\"0.1\"", "0.1"),
            ("0.1", "0.1"),
            ("12", "12"),
            ("-3", "-3"),
        ] {
            let read: Result<Amount, _> = serde_json::from_str(text);
            assert_eq!(read.ok(), Some(amount(expected)), "{text}");
        }
        assert!(serde_json::from_str::<Amount>("\"0.0000001\"").is_err());
        // A float that may have rounded what was sent is refused.
        assert!(serde_json::from_str::<Amount>("1234567890123.123456").is_err());
        assert_eq!(
            serde_json::from_str::<Amount>("1234567890123.12").ok(),
            Some(amount("1234567890123.12"))
        );
        assert!(serde_json::from_str::<Amount>("true").is_err());
    }
}
