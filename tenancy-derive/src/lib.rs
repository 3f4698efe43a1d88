//! `#[derive(Scoped)]` for `tenancy-core`.
//!
//! Use it through `tenancy_core::Scoped`, which re-exports it behind the
//! default `derive` feature; the generated code refers to `tenancy_core`
//! only. The derive reads the struct (`ast`, `attr`), checks every rule at
//! once (`valid`) so that all misuses are reported together, and writes the
//! impls (`expand`); when a rule is broken it still writes stubs
//! (`fallback`), so that users see the misuse and not a cascade of errors
//! it caused.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod impls;
mod text_enum;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Makes a struct a scoped model: a table whose rows each belong to one
/// organization.
///
/// ```text
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
///     name: String,
/// }
/// ```
///
/// See `tenancy_core` for what it generates and the attributes it takes.
#[proc_macro_derive(Scoped, attributes(tenancy))]
pub fn derive_scoped(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// Stores a fieldless enum as `TEXT`, one word per variant (its name in
/// snake case, or `#[tenancy(rename = "...")]`), on every backend.
///
/// See `tenancy_core::TextEnum` for what it generates.
#[proc_macro_derive(TextEnum, attributes(tenancy))]
pub fn derive_text_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    text_enum::derive(&input).into()
}
