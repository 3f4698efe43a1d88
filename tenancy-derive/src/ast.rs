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
    /// Any other column.
    Data,
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
        let fields = fields
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let name = ident.unraw().to_string();
                let attrs = FieldAttrs::parse(cx, &field.attrs);
                let role = match name.as_str() {
                    "id" => Role::Id,
                    "organization_id" => Role::Org,
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
