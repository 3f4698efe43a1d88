//! The rules a scoped model must follow, one function each, all checked on
//! every derive so that every misuse is reported at once. Each message says
//! what to write instead.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

use crate::ast::{Container, Role};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &mut Ctxt, cont: &Container<'_>) {
    check_no_generics(cx, cont);
    check_table(cx, cont);
    check_id(cx, cont);
    check_org(cx, cont);
    check_db_default(cx, cont);
    check_unique_columns(cx, cont);
    check_column_consts(cx, cont);
    check_insert_name(cx, cont);
}

// A model maps exactly one table; its statements and their cache are per
// type, so the struct cannot be generic.
fn check_no_generics(cx: &mut Ctxt, cont: &Container<'_>) {
    let generics = &cont.input.generics;
    if !generics.params.is_empty() || generics.where_clause.is_some() {
        cx.error_spanned_by(
            generics,
            "`#[derive(Scoped)]` does not support generic parameters: a model maps one table, \
             so write a struct without them",
        );
    }
}

// The table is named, never guessed from the type's name.
fn check_table(cx: &mut Ctxt, cont: &Container<'_>) {
    match &cont.attrs.table {
        None => cx.error_spanned_by(
            cont.ident,
            format!(
                "missing `#[tenancy(table = \"...\")]` on `{}`: name the table its rows live in",
                cont.ident
            ),
        ),
        Some(table) if table.value.trim().is_empty() => cx.push(syn::Error::new(
            table.span,
            "the table name is empty: write `#[tenancy(table = \"recipes\")]`",
        )),
        Some(_) => {}
    }
}

// Rows are found, updated and deleted by a typed primary key, `id: Id<Self>`.
fn check_id(cx: &mut Ctxt, cont: &Container<'_>) {
    let model = cont.ident.to_string();
    match cont.field(Role::Id) {
        None => cx.error_spanned_by(
            cont.ident,
            format!("`{model}` has no `id` field: add `id: Id<{model}>`, the table's primary key"),
        ),
        Some(field) if !is_id_of(field.ty, &model) => cx.error_spanned_by(
            field.ty,
            format!(
                "`id` must be typed `Id<{model}>`, found `{}`: write `id: Id<{model}>`",
                type_name(field.ty)
            ),
        ),
        Some(_) => {}
    }
}

// Every row names its organization in a non-null `organization_id: OrgId`.
fn check_org(cx: &mut Ctxt, cont: &Container<'_>) {
    match cont.field(Role::Org) {
        None => cx.error_spanned_by(
            cont.ident,
            format!(
                "`{}` has no `organization_id` field: a scoped model needs \
                 `organization_id: OrgId`, the column that says which organization owns each row",
                cont.ident
            ),
        ),
        Some(field) if !last_segment_is(field.ty, "OrgId") => cx.error_spanned_by(
            field.ty,
            format!(
                "`organization_id` must be typed `OrgId`, found `{}`: write \
                 `organization_id: OrgId` (a non-null `BIGINT`/`INTEGER` column)",
                type_name(field.ty)
            ),
        ),
        Some(_) => {}
    }
}

// The database fills the id and the scope gives the organization, so only
// data columns can be left to a database default.
fn check_db_default(cx: &mut Ctxt, cont: &Container<'_>) {
    for field in &cont.fields {
        if let (Some(path), Role::Id | Role::Org) = (&field.attrs.db_default, field.role) {
            cx.error_spanned_by(
                path,
                format!(
                    "`db_default` is for data columns: `{}` is never part of the insert values; \
                     remove `db_default`",
                    field.ident
                ),
            );
        }
    }
}

// Two fields cannot read the same column.
fn check_unique_columns(cx: &mut Ctxt, cont: &Container<'_>) {
    for (index, field) in cont.fields.iter().enumerate() {
        if field.column.is_empty() {
            cx.error_spanned_by(
                field.ident,
                "the column name is empty: write `#[tenancy(column = \"name\")]`",
            );
        }
        let earlier = cont.fields[..index]
            .iter()
            .find(|other| other.column == field.column);
        if let Some(earlier) = earlier {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` and `{}` both map to column `{}`: give one of them another \
                     `#[tenancy(column = \"...\")]`",
                    earlier.ident, field.ident, field.column
                ),
            );
        }
    }
}

// Each column gets a constant named after its field in upper case; two
// fields cannot share one, and none may hide `Scoped::TABLE`.
fn check_column_consts(cx: &mut Ctxt, cont: &Container<'_>) {
    for (index, field) in cont.fields.iter().enumerate() {
        let name = field.const_ident();
        if name == "TABLE" {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "a field named `{}` would make `{}::TABLE` a column and hide `Scoped::TABLE`: \
                     rename the field and keep the column with `#[tenancy(column = \"{}\")]`",
                    field.ident, cont.ident, field.column
                ),
            );
        }
        let earlier = cont.fields[..index]
            .iter()
            .find(|other| other.const_ident() == name);
        if let Some(earlier) = earlier {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` and `{}` would both be the column constant `{}::{name}`: rename one of them",
                    earlier.ident, field.ident, cont.ident
                ),
            );
        }
    }
}

// The insert type is a new type beside the model.
fn check_insert_name(cx: &mut Ctxt, cont: &Container<'_>) {
    if let Some(insert) = &cont.attrs.insert
        && insert == cont.ident
    {
        cx.error_spanned_by(
            insert,
            "the insert type needs a name of its own, e.g. `insert = \"NewRecipe\"`",
        );
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        _ => None,
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|segment| segment.ident == name && segment.arguments.is_none())
}

/// `Id<Self>` or `Id<Model>`.
fn is_id_of(ty: &Type, model: &str) -> bool {
    let Some(segment) = last_segment(ty) else {
        return false;
    };
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return false;
    };
    let mut args = args.args.iter();
    let (Some(GenericArgument::Type(inner)), None) = (args.next(), args.next()) else {
        return false;
    };
    // Generic arguments of the model are reported by `check_no_generics`.
    let names_model = last_segment(inner).is_some_and(|s| s.ident == "Self" || s.ident == model);
    segment.ident == "Id" && names_model
}

/// A type as users write it, for messages.
fn type_name(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(":: ", "::")
}
