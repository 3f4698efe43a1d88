//! The struct being derived, read into the shape the rules and the
//! expansion work on.

use quote::format_ident;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::attr::{ContainerAttrs, FieldAttrs};
use crate::ctxt::Ctxt;

/// What a field is to the table.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The primary key, `id`.
    Id,
    /// The organization column, `organization_id`.
    Org,
    /// The soft-delete flag, kept by deletes and restores.
    Active,
    /// The cascade marker, kept by a parent's deletes and restores.
    Marker,
    /// Any other column.
    Data,
}

/// How the table is tied to organizations, as declared.
pub(crate) enum Kind<'a> {
    Scoped,
    Shared,
    Inherited { parent: &'a syn::Path },
    Global,
}

pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    pub(crate) role: Role,
    /// The column's name in the database.
    pub(crate) column: String,
}

pub(crate) struct Container<'a> {
    pub(crate) input: &'a DeriveInput,
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) fields: Vec<Field<'a>>,
}

impl<'a> Container<'a> {
    /// Reads the struct; `None` when it is not a struct with named fields,
    /// after recording why.
    pub(crate) fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = ContainerAttrs::parse(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                _ => {
                    cx.error_spanned_by(
                        &input.ident,
                        "`#[derive(Scoped)]` needs a struct with named fields, one per column",
                    );
                    return None;
                }
            },
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "`#[derive(Scoped)]` works on structs only: a model is a struct with one field per column",
                );
                return None;
            }
        };
        let attrs_soft_delete = attrs.soft_delete.as_ref().map(|s| s.value.clone());
        let fields = fields
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let name = ident.unraw().to_string();
                let attrs = FieldAttrs::parse(cx, &field.attrs);
                let soft_delete = attrs_soft_delete.as_deref();
                let role = match name.as_str() {
                    "id" => Role::Id,
                    "organization_id" => Role::Org,
                    _ if Some(name.as_str()) == soft_delete => Role::Active,
                    _ if attrs.cascade_marker.is_some() => Role::Marker,
                    _ => Role::Data,
                };
                let column = attrs
                    .column
                    .as_ref()
                    .map_or(name, |column| column.value.clone());
                Some(Field {
                    original: field,
                    ident,
                    ty: &field.ty,
                    attrs,
                    role,
                    column,
                })
            })
            .collect();
        Some(Self {
            input,
            ident: &input.ident,
            vis: &input.vis,
            attrs,
            fields,
        })
    }

    pub(crate) fn field(&self, role: Role) -> Option<&Field<'a>> {
        self.fields.iter().find(|field| field.role == role)
    }

    /// The declared kind; conflicting declarations are reported by `valid`,
    /// and read here in this order.
    pub(crate) fn kind(&self) -> Kind<'_> {
        let attrs = &self.attrs;
        if attrs.global.is_some() {
            Kind::Global
        } else if let (Some(parent), Some(_)) = (&attrs.parent, &attrs.via) {
            Kind::Inherited { parent }
        } else if attrs.shared.is_some() {
            Kind::Shared
        } else {
            Kind::Scoped
        }
    }

    /// The field holding the parent's id, for an inherited table.
    pub(crate) fn via_field(&self) -> Option<&Field<'a>> {
        let via = self.attrs.via.as_ref()?;
        self.fields.iter().find(|field| field.ident == via)
    }

    /// The table a field references: its `references` attribute, or the
    /// parent for the `via` field.
    pub(crate) fn reference_of<'s>(&'s self, field: &'s Field<'a>) -> Option<&'s syn::Path> {
        field.attrs.references.as_ref().or_else(|| {
            let via = self.attrs.via.as_ref()?;
            (field.ident == via)
                .then_some(self.attrs.parent.as_ref())
                .flatten()
        })
    }

    /// The columns of the insert type: neither key, nor filled by the
    /// database.
    pub(crate) fn insert_fields(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields
            .iter()
            .filter(|field| field.role == Role::Data && field.attrs.db_default.is_none())
    }

    /// `NewRecipe` for `Recipe`, unless renamed.
    pub(crate) fn insert_ident(&self) -> Ident {
        self.attrs
            .insert
            .clone()
            .unwrap_or_else(|| format_ident!("New{}", self.ident))
    }

    /// The path of `tenancy_core`, which users may rename.
    pub(crate) fn krate(&self) -> syn::Path {
        self.attrs
            .krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::tenancy_core))
    }
}

impl Field<'_> {
    /// `NAME` for `name`: the column constant.
    pub(crate) fn const_ident(&self) -> Ident {
        format_ident!(
            "{}",
            self.ident.unraw().to_string().to_uppercase(),
            span = self.ident.span()
        )
    }
}
