//! `#[tenancy(...)]` attributes, on the struct and on its fields.
//!
//! Every key is checked: an unknown or repeated key is an error that names
//! the keys that exist, so that a typo never silently changes what the
//! model does.

use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Path, Token};

use crate::ctxt::Ctxt;

const CONTAINER_KEYS: &str = "`table`, `global`, `shared`, `parent`, `via`, `soft_delete`, \
                              `append_only`, `read_only`, \
                              `cascade`, `insert`, `insert_derive`, `crate`";
const FIELD_KEYS: &str = "`column`, `db_default`, `fixed`, `references`, `cascade_marker`";

/// One attribute value, and where it was written.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: proc_macro2::Span,
}

/// `#[tenancy(...)]` on the struct.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) table: Option<Spanned<String>>,
    /// `global`: a table of no organization.
    pub(crate) global: Option<Path>,
    /// `shared`: organization rows beside system rows.
    pub(crate) shared: Option<Path>,
    /// `parent = Recipe`: scoped through a parent.
    pub(crate) parent: Option<Path>,
    /// `via = recipe_id`: the field holding the parent's id.
    pub(crate) via: Option<Ident>,
    /// `soft_delete` (the field `is_active`) or `soft_delete = "field"`.
    pub(crate) soft_delete: Option<Spanned<String>>,
    /// `cascade(Child, ...)`: children deactivated and restored with a row.
    pub(crate) cascade: Option<Vec<Path>>,
    pub(crate) insert: Option<Ident>,
    pub(crate) insert_derive: Option<Vec<Path>>,
    pub(crate) krate: Option<Path>,
    /// `append_only`: rows are inserted and read, never updated or deleted.
    pub(crate) append_only: Option<Path>,
    /// `read_only`: rows are read through the model, never written.
    pub(crate) read_only: Option<Path>,
}

/// `#[tenancy(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) column: Option<Spanned<String>>,
    pub(crate) db_default: Option<Path>,
    /// `references = Recipe`: an id checked to be visible to the same
    /// organization on every write.
    pub(crate) references: Option<Path>,
    /// `cascade_marker`: set when a parent's soft delete deactivated the row.
    pub(crate) cascade_marker: Option<Path>,
    /// `fixed`: set when the row is inserted, never by an update.
    pub(crate) fixed: Option<Path>,
}

fn tenancy_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("tenancy"))
}

fn duplicate(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Error {
    meta.error(format!("duplicate tenancy attribute `{key}`"))
}

/// Stores `value` in `slot`, refusing a second one.
fn once<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    value: T,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(duplicate(meta, key));
    }
    *slot = Some(value);
    Ok(())
}

fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

/// The paths in `key(A, B)`; `key()` is an empty list.
fn path_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Path>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let paths = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
    Ok(paths.into_iter().collect())
}

impl ContainerAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        for attr in tenancy_attrs(attrs) {
            let parsed = attr.parse_nested_meta(|meta| {
                let path = meta.path.clone();
                if path.is_ident("table") {
                    once(&mut out.table, &meta, "table", string(&meta)?)
                } else if path.is_ident("global") {
                    once(&mut out.global, &meta, "global", path)
                } else if path.is_ident("shared") {
                    once(&mut out.shared, &meta, "shared", path)
                } else if path.is_ident("parent") {
                    let parent: Path = meta.value()?.parse()?;
                    once(&mut out.parent, &meta, "parent", parent)
                } else if path.is_ident("via") {
                    let via: Ident = meta.value()?.parse()?;
                    once(&mut out.via, &meta, "via", via)
                } else if path.is_ident("soft_delete") {
                    let column = if meta.input.peek(Token![=]) {
                        string(&meta)?
                    } else {
                        let span = path
                            .get_ident()
                            .map_or_else(proc_macro2::Span::call_site, Ident::span);
                        Spanned {
                            value: "is_active".to_owned(),
                            span,
                        }
                    };
                    once(&mut out.soft_delete, &meta, "soft_delete", column)
                } else if path.is_ident("cascade") {
                    once(&mut out.cascade, &meta, "cascade", path_list(&meta)?)
                } else if path.is_ident("insert") {
                    let lit: LitStr = meta.value()?.parse()?;
                    let ident = lit.parse().map_err(|_| {
                        syn::Error::new(
                            lit.span(),
                            "`insert` names the insert type: write a type name, e.g. `insert = \"CreateRecipe\"`",
                        )
                    })?;
                    once(&mut out.insert, &meta, "insert", ident)
                } else if path.is_ident("insert_derive") {
                    // `insert_derive()` is allowed: no derives at all.
                    once(&mut out.insert_derive, &meta, "insert_derive", path_list(&meta)?)
                } else if path.is_ident("crate") {
                    let lit: LitStr = meta.value()?.parse()?;
                    once(&mut out.krate, &meta, "crate", lit.parse()?)
                } else if path.is_ident("append_only") {
                    once(&mut out.append_only, &meta, "append_only", path)
                } else if path.is_ident("read_only") {
                    once(&mut out.read_only, &meta, "read_only", path)
                } else {
                    Err(unknown_key(&meta, CONTAINER_KEYS, "the struct"))
                }
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
                let path = meta.path.clone();
                if path.is_ident("column") {
                    once(&mut out.column, &meta, "column", string(&meta)?)
                } else if path.is_ident("db_default") {
                    once(&mut out.db_default, &meta, "db_default", path)
                } else if path.is_ident("references") {
                    let target: Path = meta.value()?.parse()?;
                    once(&mut out.references, &meta, "references", target)
                } else if path.is_ident("cascade_marker") {
                    once(&mut out.cascade_marker, &meta, "cascade_marker", path)
                } else if path.is_ident("fixed") {
                    once(&mut out.fixed, &meta, "fixed", path)
                } else {
                    Err(unknown_key(&meta, FIELD_KEYS, "a field"))
                }
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
