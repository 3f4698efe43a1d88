//! `#[tenancy(...)]` attributes, on the struct and on its fields.
//!
//! Every key is checked: an unknown or repeated key is an error that names
//! the keys that exist, so that a typo never silently changes what the
//! model does.

use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Path, Token};

use crate::ctxt::Ctxt;

const CONTAINER_KEYS: &str = "`table`, `insert`, `insert_derive`, `crate`";
const FIELD_KEYS: &str = "`column`, `db_default`";

/// One attribute value, and where it was written.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: proc_macro2::Span,
}

/// `#[tenancy(...)]` on the struct.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) table: Option<Spanned<String>>,
    pub(crate) insert: Option<Ident>,
    pub(crate) insert_derive: Option<Vec<Path>>,
    pub(crate) krate: Option<Path>,
}

/// `#[tenancy(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) column: Option<Spanned<String>>,
    pub(crate) db_default: Option<Path>,
}

fn tenancy_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("tenancy"))
}

fn duplicate(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Error {
    meta.error(format!("duplicate tenancy attribute `{key}`"))
}

fn string_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

impl ContainerAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        for attr in tenancy_attrs(attrs) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("table") {
                    let lit = string_value(&meta)?;
                    if out.table.is_some() {
                        return Err(duplicate(&meta, "table"));
                    }
                    out.table = Some(Spanned {
                        value: lit.value(),
                        span: lit.span(),
                    });
                } else if meta.path.is_ident("insert") {
                    let lit = string_value(&meta)?;
                    if out.insert.is_some() {
                        return Err(duplicate(&meta, "insert"));
                    }
                    out.insert = Some(lit.parse().map_err(|_| {
                        syn::Error::new(
                            lit.span(),
                            "`insert` names the insert type: write a type name, e.g. `insert = \"CreateRecipe\"`",
                        )
                    })?);
                } else if meta.path.is_ident("insert_derive") {
                    if out.insert_derive.is_some() {
                        return Err(duplicate(&meta, "insert_derive"));
                    }
                    // `insert_derive()` is allowed: no derives at all.
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let derives = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                    out.insert_derive = Some(derives.into_iter().collect());
                } else if meta.path.is_ident("crate") {
                    let lit = string_value(&meta)?;
                    if out.krate.is_some() {
                        return Err(duplicate(&meta, "crate"));
                    }
                    out.krate = Some(lit.parse()?);
                } else {
                    return Err(unknown_key(&meta, CONTAINER_KEYS, "the struct"));
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.push(error);
            }
        }
        out
    }
}

impl FieldAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        for attr in tenancy_attrs(attrs) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("column") {
                    let lit = string_value(&meta)?;
                    if out.column.is_some() {
                        return Err(duplicate(&meta, "column"));
                    }
                    out.column = Some(Spanned {
                        value: lit.value(),
                        span: lit.span(),
                    });
                } else if meta.path.is_ident("db_default") {
                    if out.db_default.is_some() {
                        return Err(duplicate(&meta, "db_default"));
                    }
                    out.db_default = Some(meta.path.clone());
                } else {
                    return Err(unknown_key(&meta, FIELD_KEYS, "a field"));
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.push(error);
            }
        }
        out
    }
}

fn unknown_key(meta: &ParseNestedMeta<'_>, known: &str, place: &str) -> syn::Error {
    let key = meta
        .path
        .get_ident()
        .map_or_else(|| "?".to_owned(), ToString::to_string);
    syn::Error::new_spanned(
        &meta.path,
        format!("unknown tenancy attribute `{key}`; on {place}, expected one of {known}"),
    )
}
