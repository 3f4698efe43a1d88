//! Typed permissions: declared once, asked for by type.
//!
//! An app declares its permissions with [`permissions!`](macro@crate::permissions),
//! which makes one type per permission; code asks for `EditRecipes`, not for
//! the string `"recipes.edit"`, so a misspelt permission does not compile.
//! The declared set is written to the permission table by
//! [`sync_permissions`](super::sync_permissions).

use std::collections::BTreeSet;

/// A permission an app declared with [`permissions!`](macro@crate::permissions).
pub trait Permission {
    /// The permission's key, `area.action` (`recipes.edit`).
    const KEY: &'static str;
    /// The group it is shown in.
    const CATEGORY: &'static str;
    /// The subscription tier an organization needs for it, if any.
    const REQUIRED_TIER: Option<&'static str>;
    /// What it allows, for people.
    const DESCRIPTION: &'static str;

    /// The permission as data, for syncing.
    const DEF: PermissionDef = PermissionDef {
        key: Self::KEY,
        category: Self::CATEGORY,
        required_tier: Self::REQUIRED_TIER,
        description: Self::DESCRIPTION,
    };
}

/// A declared permission, as written to the permission table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermissionDef {
    /// `area.action`.
    pub key: &'static str,
    /// The group it is shown in.
    pub category: &'static str,
    /// The subscription tier an organization needs for it, if any.
    pub required_tier: Option<&'static str>,
    /// What it allows, for people.
    pub description: &'static str,
}

/// Whether `key` is `area.action`: two non-empty parts of lowercase ASCII
/// letters, digits and underscores, separated by one dot. Checked at compile
/// time by [`permissions!`](macro@crate::permissions).
#[must_use]
pub const fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let mut dots = 0;
    let mut part_len = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'.' {
            if part_len == 0 {
                return false;
            }
            dots += 1;
            part_len = 0;
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' {
            part_len += 1;
        } else {
            return false;
        }
        i += 1;
    }
    dots == 1 && part_len > 0
}

/// Declares an app's permissions: one unit type per permission, and a type
/// listing them all for syncing.
///
/// ```
/// tenancy_access::permissions! {
///     /// What BatchTrack's users may be allowed to do.
///     pub BatchTrackPermissions {
///         /// Create and edit recipes.
///         EditRecipes: "recipes.edit", category "recipes";
///         /// See what batches cost.
///         ViewCosts: "reports.costs", category "reports", tier "team";
///     }
/// }
/// use tenancy_access::Permission;
/// assert_eq!(EditRecipes::KEY, "recipes.edit");
/// assert_eq!(ViewCosts::REQUIRED_TIER, Some("team"));
/// assert_eq!(BatchTrackPermissions::ALL.len(), 2);
/// ```
///
/// A key that is not `area.action` does not compile:
///
/// ```compile_fail
/// tenancy_access::permissions! {
///     pub Permissions {
///         EditRecipes: "Edit Recipes", category "recipes";
///     }
/// }
/// ```
#[macro_export]
macro_rules! permissions {
    (
        $(#[$set_meta:meta])*
        $vis:vis $set:ident {
            $(
                $(#[$meta:meta])*
                $name:ident : $key:literal, category $category:literal $(, tier $tier:literal)? ;
            )*
        }
    ) => {
        $(#[$set_meta])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $set;

        impl $set {
            /// Every permission of the set, for `sync_permissions`.
            $vis const ALL: &'static [$crate::PermissionDef] = &[
                $( <$name as $crate::Permission>::DEF, )*
            ];
        }

        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            $vis struct $name;

            impl $crate::Permission for $name {
                const KEY: &'static str = {
                    assert!(
                        $crate::is_valid_key($key),
                        concat!("permission key `", $key, "` is not `area.action`: write lowercase words joined by one dot, e.g. \"recipes.edit\"")
                    );
                    $key
                };
                const CATEGORY: &'static str = $category;
                const REQUIRED_TIER: ::core::option::Option<&'static str> =
                    $crate::__permission_tier!($($tier)?);
                const DESCRIPTION: &'static str = $crate::__permission_doc!($(#[$meta])*);
            }
        )*
    };
}

/// The tier of a permission, or none.
#[doc(hidden)]
#[macro_export]
macro_rules! __permission_tier {
    () => {
        ::core::option::Option::None
    };
    ($tier:literal) => {
        ::core::option::Option::Some($tier)
    };
}

/// The first doc line of a permission, as its description.
#[doc(hidden)]
#[macro_export]
macro_rules! __permission_doc {
    () => {
        ""
    };
    (#[doc = $doc:literal] $($rest:tt)*) => {
        $doc
    };
    (#[$other:meta] $($rest:tt)*) => {
        $crate::__permission_doc!($($rest)*)
    };
}

/// The permissions one principal holds in one organization, read in one
/// query (see [`permissions`](fn@crate::permissions)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionSet {
    keys: BTreeSet<String>,
}

impl PermissionSet {
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn from_keys(keys: impl IntoIterator<Item = String>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// Whether the set holds permission `P`.
    #[must_use]
    pub fn has<P: Permission>(&self) -> bool {
        self.keys.contains(P::KEY)
    }

    /// Whether the set holds the permission with this key.
    #[must_use]
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// The keys held, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_key;

    #[test]
    fn keys_are_area_dot_action() {
        for good in ["recipes.edit", "inventory.adjust_stock", "a1.b2"] {
            assert!(is_valid_key(good), "{good}");
        }
        for bad in [
            "",
            "recipes",
            "recipes.",
            ".edit",
            "a.b.c",
            "Recipes.edit",
            "recipes edit",
            "recipes.édit",
        ] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }
}
