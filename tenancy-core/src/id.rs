//! Identifiers: the organization id, principal ids and typed row ids.
//!
//! Every key is a 64-bit integer in the database (`BIGINT` on PostgreSQL,
//! `INTEGER` on SQLite), but in Rust each kind is its own type, so that an
//! `Id<Product>` cannot be passed where an `Id<Recipe>` is expected and an
//! organization id cannot be confused with a row id. On the wire (serde) and
//! in the database (sqlx) they are transparent integers.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of an organization: the tenant that scoped rows belong to.
///
/// Holding an `OrgId` grants nothing: reading or writing an organization's
/// rows takes a [`Scope`](crate::Scope), which says who acts for it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgId(i64);

impl OrgId {
    /// Wraps the database value of an organization id.
    #[must_use]
    pub const fn new(raw: i64) -> Self {
        Self(raw)
    }

    /// The database value.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// The id of a user: a principal who signs in and acts for organizations.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(i64);

impl UserId {
    /// Wraps the database value of a user id.
    #[must_use]
    pub const fn new(raw: i64) -> Self {
        Self(raw)
    }

    /// The database value.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// The id of a row of model `T`.
///
/// `Id<Recipe>` and `Id<Batch>` are different types, so passing one where the
/// other is expected does not compile:
///
/// ```compile_fail
/// # use tenancy_core::Id;
/// struct Recipe;
/// struct Batch;
/// fn start_batch(recipe: Id<Recipe>) {}
/// start_batch(Id::<Batch>::new(7)); // expected `Id<Recipe>`, found `Id<Batch>`
/// ```
///
/// Like [`OrgId`], an `Id` is only a claim: scoped operations answer
/// [`Error::NotFound`](crate::Error::NotFound) for an id of another
/// organization.
pub struct Id<T: ?Sized> {
    raw: i64,
    model: PhantomData<fn() -> T>,
}

impl<T: ?Sized> Id<T> {
    /// Wraps the database value of a row id.
    #[must_use]
    pub const fn new(raw: i64) -> Self {
        Self {
            raw,
            model: PhantomData,
        }
    }

    /// The database value.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.raw
    }
}

// Written by hand: derives would require `T: Clone`, `T: PartialEq`, ... of
// the model, which an id does not need.
impl<T: ?Sized> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Id<T> {}

impl<T: ?Sized> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<T: ?Sized> Eq for Id<T> {}

impl<T: ?Sized> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: ?Sized> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}

impl<T: ?Sized> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl<T: ?Sized> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = std::any::type_name::<T>();
        let model = path.rsplit("::").next().unwrap_or(path);
        write!(f, "Id<{model}>({})", self.raw)
    }
}

/// Implements the traits every key shares, all as a transparent `i64`:
/// display and parsing, serde, sqlx (any backend whose `i64` it is) and
/// sea-query values.
macro_rules! transparent_i64 {
    ($ty:ty, $get:ident, $new:expr $(, $param:ident)?) => {
        impl<$($param: ?Sized)?> fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.$get(), f)
            }
        }

        impl<$($param: ?Sized)?> FromStr for $ty {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse::<i64>().map($new)
            }
        }

        impl<$($param: ?Sized)?> Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.$get())
            }
        }

        impl<'de, $($param: ?Sized)?> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                i64::deserialize(deserializer).map($new)
            }
        }

        impl<DB: sqlx::Database, $($param: ?Sized)?> sqlx::Type<DB> for $ty
        where
            i64: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database, $($param: ?Sized)?> sqlx::Encode<'q, DB> for $ty
        where
            i64: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, DB>>::encode_by_ref(&self.$get(), buf)
            }

            fn size_hint(&self) -> usize {
                std::mem::size_of::<i64>()
            }
        }

        impl<'r, DB: sqlx::Database, $($param: ?Sized)?> sqlx::Decode<'r, DB> for $ty
        where
            i64: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                <i64 as sqlx::Decode<'r, DB>>::decode(value).map($new)
            }
        }

        #[cfg(feature = "postgres")]
        impl<$($param: ?Sized)?> sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <i64 as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<$($param: ?Sized)?> From<$ty> for sea_query::Value {
            fn from(id: $ty) -> Self {
                sea_query::Value::BigInt(Some(id.$get()))
            }
        }

        impl<$($param: ?Sized)?> sea_query::Nullable for $ty {
            fn null() -> sea_query::Value {
                sea_query::Value::BigInt(None)
            }
        }
    };
}

transparent_i64!(OrgId, get, OrgId::new);
transparent_i64!(UserId, get, UserId::new);
transparent_i64!(Id<T>, get, Id::new, T);

impl fmt::Debug for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgId({})", self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recipe;

    #[test]
    fn ids_are_transparent_in_json() {
        let id: Id<Recipe> = serde_json::from_str("42").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id, Id::new(42));
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
        let org: OrgId = serde_json::from_str("7").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(org.get(), 7);
        assert!(serde_json::from_str::<OrgId>("\"7\"").is_err());
    }

    #[test]
    fn debug_names_the_model() {
        assert_eq!(format!("{:?}", Id::<Recipe>::new(3)), "Id<Recipe>(3)");
        assert_eq!(format!("{:?}", OrgId::new(3)), "OrgId(3)");
    }

    #[test]
    fn parses_from_path_segments() {
        assert_eq!("15".parse::<Id<Recipe>>(), Ok(Id::new(15)));
        assert!("fifteen".parse::<OrgId>().is_err());
    }

    #[test]
    fn converts_to_a_sea_query_big_int() {
        let value: sea_query::Value = Id::<Recipe>::new(9).into();
        assert_eq!(value, sea_query::Value::BigInt(Some(9)));
        let none: sea_query::Value = Option::<OrgId>::None.into();
        assert_eq!(none, sea_query::Value::BigInt(None));
    }
}
