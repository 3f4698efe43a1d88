//! The rules a scoped model must follow, one function each, all checked on
//! every derive so that every misuse is reported at once. Each message says
//! what to write instead.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

use crate::ast::{Container, Kind, Role};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &mut Ctxt, cont: &Container<'_>) {
    check_no_generics(cx, cont);
    check_table(cx, cont);
    check_id(cx, cont);
    check_kind(cx, cont);
    check_org(cx, cont);
    check_via(cx, cont);
    check_references(cx, cont);
    check_soft_delete(cx, cont);
    check_writes(cx, cont);
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

// A table has one kind: `global`, `shared` and `parent` exclude each other,
// and `parent` and `via` go together.
fn check_kind(cx: &mut Ctxt, cont: &Container<'_>) {
    let attrs = &cont.attrs;
    let declared: Vec<(&str, &dyn ToTokens)> = [
        attrs
            .global
            .as_ref()
            .map(|p| ("global", p as &dyn ToTokens)),
        attrs
            .shared
            .as_ref()
            .map(|p| ("shared", p as &dyn ToTokens)),
        attrs
            .parent
            .as_ref()
            .map(|p| ("parent", p as &dyn ToTokens)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let [(first, _), rest @ ..] = declared.as_slice() {
        for (other, tokens) in rest {
            cx.error_spanned_by(
                tokens,
                format!(
                    "`{first}` and `{other}` are different kinds of table: a table is scoped (the \
                     default), `shared`, inherited (`parent` and `via`) or `global`; keep one"
                ),
            );
        }
    }
    match (&attrs.parent, &attrs.via) {
        (Some(parent), None) => cx.error_spanned_by(
            parent,
            "`parent` needs `via`: name the field holding the parent's id, e.g. \
             `#[tenancy(parent = Recipe, via = recipe_id)]`",
        ),
        (None, Some(via)) => cx.error_spanned_by(
            via,
            "`via` needs `parent`: name the parent model, e.g. `#[tenancy(parent = Recipe, via = recipe_id)]`",
        ),
        _ => {}
    }
}

// The organization column is what the kind says: a non-null `OrgId` for a
// scoped table, an `Option<OrgId>` for a shared one, and none at all for
// inherited and global tables.
fn check_org(cx: &mut Ctxt, cont: &Container<'_>) {
    let field = cont.field(Role::Org);
    match (cont.kind(), field) {
        (Kind::Scoped, None) => cx.error_spanned_by(
            cont.ident,
            format!(
                "`{}` has no `organization_id` field: a scoped model needs \
                 `organization_id: OrgId`, the column that says which organization owns each row; \
                 a table without one is `#[tenancy(parent = ..., via = ...)]` or `#[tenancy(global)]`",
                cont.ident
            ),
        ),
        (Kind::Scoped, Some(field)) if !last_segment_is(field.ty, "OrgId") => {
            let nullable = option_of(field.ty).is_some_and(|inner| last_segment_is(inner, "OrgId"));
            let hint = if nullable {
                "; a nullable organization column is a shared table: add `#[tenancy(shared)]`"
            } else {
                " (a non-null `BIGINT`/`INTEGER` column)"
            };
            cx.error_spanned_by(
                field.ty,
                format!(
                    "`organization_id` must be typed `OrgId`, found `{}`: write `organization_id: OrgId`{hint}",
                    type_name(field.ty)
                ),
            );
        }
        (Kind::Shared, None) => cx.error_spanned_by(
            cont.ident,
            format!(
                "`{}` is `shared` but has no `organization_id` field: add `organization_id: \
                 Option<OrgId>` (null for system rows)",
                cont.ident
            ),
        ),
        (Kind::Shared, Some(field))
            if !option_of(field.ty).is_some_and(|inner| last_segment_is(inner, "OrgId")) =>
        {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "a shared table's `organization_id` must be typed `Option<OrgId>`, found `{}`: \
                     null marks the system rows every organization sees",
                    type_name(field.ty)
                ),
            );
        }
        (Kind::Inherited { .. }, Some(field)) => cx.error_spanned_by(
            field.ident,
            "an inherited table has no organization column of its own: it is scoped through its \
             parent; remove `organization_id`, or drop `parent` and `via` to make the table scoped",
        ),
        (Kind::Global, Some(field)) => cx.error_spanned_by(
            field.ident,
            "a global table has no organization column: remove `organization_id`, or drop \
             `global` to make the table scoped",
        ),
        _ => {}
    }
}

// `via` names a field typed `Id<Parent>`, not null: every row has a parent.
fn check_via(cx: &mut Ctxt, cont: &Container<'_>) {
    let (Some(parent), Some(via)) = (&cont.attrs.parent, &cont.attrs.via) else {
        return;
    };
    let parent_name = parent
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    match cont.via_field() {
        None => cx.error_spanned_by(
            via,
            format!("`via = {via}` names no field: add `{via}: Id<{parent_name}>`"),
        ),
        Some(field) if !is_id_of(field.ty, &parent_name) => cx.error_spanned_by(
            field.ty,
            format!(
                "`{via}` holds the parent's id: type it `Id<{parent_name}>`, found `{}`",
                type_name(field.ty)
            ),
        ),
        Some(field) if field.attrs.references.is_some() => cx.error_spanned_by(
            field.ident,
            format!("`{via}` already references the parent through `via`: remove `references`"),
        ),
        Some(_) => {}
    }
}

// A checked reference is an `Id<Target>` (or `Option<Id<Target>>`) of a
// tenant table, on a table whose rows belong to one organization.
fn check_references(cx: &mut Ctxt, cont: &Container<'_>) {
    for field in &cont.fields {
        let Some(target) = &field.attrs.references else {
            continue;
        };
        let target_name = target
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if matches!(cont.kind(), Kind::Shared | Kind::Global) {
            cx.error_spanned_by(
                target,
                "only a table whose rows belong to one organization (scoped or inherited) checks \
                 references: a shared or global table's rows may be seen by every organization",
            );
            continue;
        }
        let ty = option_of(field.ty).unwrap_or(field.ty);
        if !is_id_of(ty, &target_name) {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "`{}` references `{target_name}`: type it `Id<{target_name}>` or \
                     `Option<Id<{target_name}>>`, found `{}`",
                    field.ident,
                    type_name(field.ty)
                ),
            );
        }
    }
}

// An append-only or read-only model never changes a row: soft delete and
// cascades would, and the two declarations say different things.
fn check_writes(cx: &mut Ctxt, cont: &Container<'_>) {
    let attrs = &cont.attrs;
    let sealed = match (&attrs.append_only, &attrs.read_only) {
        (Some(append), Some(_)) => {
            cx.error_spanned_by(
                append,
                "a model is `append_only` (inserted and read) or `read_only` (read), not both: keep one",
            );
            return;
        }
        (Some(path), None) => ("append_only", path),
        (None, Some(path)) => ("read_only", path),
        (None, None) => return,
    };
    let (key, path) = sealed;
    if attrs.soft_delete.is_some() {
        cx.error_spanned_by(
            path,
            format!(
                "`{key}` rows are never changed, and soft delete deactivates rows by changing \
                 them: drop `soft_delete`, or `{key}`"
            ),
        );
    }
    if let Some(first) = attrs.cascade.iter().flatten().next() {
        cx.error_spanned_by(
            first,
            format!(
                "a `{key}` model is never deleted, so it has nothing to cascade: drop `cascade`"
            ),
        );
    }
}

// Soft delete keeps a `bool` flag (`is_active` unless named), optionally a
// `bool` cascade marker; cascades need soft delete.
fn check_soft_delete(cx: &mut Ctxt, cont: &Container<'_>) {
    let attrs = &cont.attrs;
    if let Some(soft) = &attrs.soft_delete {
        match cont.field(Role::Active) {
            None => cx.push(syn::Error::new(
                soft.span,
                format!(
                    "soft delete keeps a flag in a `bool` field: add `{}: bool`, or name another \
                     with `#[tenancy(soft_delete = \"field\")]`",
                    soft.value
                ),
            )),
            Some(field) if !last_segment_is(field.ty, "bool") => cx.error_spanned_by(
                field.ty,
                format!(
                    "the soft-delete flag `{}` must be a `bool` (true while the row is active), found `{}`",
                    field.ident,
                    type_name(field.ty)
                ),
            ),
            Some(_) => {}
        }
    }
    let markers: Vec<_> = cont
        .fields
        .iter()
        .filter(|f| f.role == Role::Marker)
        .collect();
    for (index, marker) in markers.iter().enumerate() {
        if attrs.soft_delete.is_none() {
            cx.error_spanned_by(
                marker.ident,
                "a cascade marker belongs to a soft-delete model: add `#[tenancy(soft_delete)]`",
            );
        } else if !last_segment_is(marker.ty, "bool") {
            cx.error_spanned_by(
                marker.ty,
                format!(
                    "the cascade marker must be a `bool`, found `{}`",
                    type_name(marker.ty)
                ),
            );
        }
        if index > 0 {
            cx.error_spanned_by(marker.ident, "a model has one cascade marker at most");
        }
    }
    if let (Some(children), None) = (&attrs.cascade, &attrs.soft_delete)
        && let Some(first) = children.first()
    {
        cx.error_spanned_by(
            first,
            "a cascade deactivates and restores children with their parent: declare \
             `#[tenancy(soft_delete)]` on this model",
        );
    }
}

// The database fills the id and the scope gives the organization, so only
// data columns can be left to a database default.
fn check_db_default(cx: &mut Ctxt, cont: &Container<'_>) {
    for field in &cont.fields {
        if let (Some(path), Role::Id | Role::Org | Role::Active | Role::Marker) =
            (&field.attrs.db_default, field.role)
        {
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
        // On SQLite these name the row id, which is the `INTEGER PRIMARY
        // KEY`: a data column of that name would set the id.
        let rowid = ["rowid", "oid", "_rowid_"]
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(&field.column));
        if rowid && field.role != Role::Id {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` maps to column `{}`, which SQLite reads as the row id (the INTEGER \
                     PRIMARY KEY): give it another `#[tenancy(column = \"...\")]`",
                    field.ident, field.column
                ),
            );
        }
        // SQLite matches names without regard to ASCII case, even quoted:
        // `Organization_Id` would be the organization column there.
        let earlier = cont.fields[..index]
            .iter()
            .find(|other| other.column.eq_ignore_ascii_case(&field.column));
        if let Some(earlier) = earlier {
            let case = if earlier.column == field.column {
                String::new()
            } else {
                format!(
                    " (`{}` is `{}` to SQLite, which ignores the case of names)",
                    field.column, earlier.column
                )
            };
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` and `{}` both map to column `{}`{case}: give one of them another \
                     `#[tenancy(column = \"...\")]`",
                    earlier.ident, field.ident, earlier.column
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

/// `T` for `Option<T>`.
fn option_of(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty)?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let mut args = args.args.iter();
    match (segment.ident == "Option", args.next(), args.next()) {
        (true, Some(GenericArgument::Type(inner)), None) => Some(inner),
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
