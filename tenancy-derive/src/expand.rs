//! Writes the code of a valid scoped model: the insert type, the column
//! constants, `Scoped` and the row codec.
//!
//! Generated code names `tenancy_core` items only through
//! `<crate>::__private`, so that users need no imports and a renamed crate
//! works with `#[tenancy(crate = "...")]`.

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::DeriveInput;

use crate::ast::{Container, Field, Role};
use crate::ctxt::Ctxt;
use crate::{fallback, impls, valid};

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let Some(cont) = Container::from_ast(&mut cx, input) else {
        return errors(cx);
    };
    valid::check(&mut cx, &cont);
    match cx.into_result() {
        Ok(()) => expand(&cont),
        Err(error) => {
            let stubs = fallback::expand(&cont);
            let error = error.into_compile_error();
            quote!(#error #stubs)
        }
    }
}

fn errors(cx: Ctxt) -> TokenStream {
    cx.into_result()
        .err()
        .map(syn::Error::into_compile_error)
        .unwrap_or_default()
}

fn expand(cont: &Container<'_>) -> TokenStream {
    let insert_type = insert_type(cont);
    let columns = column_consts(cont);
    let table = impls::table(cont);
    let kind = impls::kind_traits(cont);
    let checks = impls::compile_checks(cont);
    let codec = row_codec(cont);
    quote! {
        #insert_type

        #[doc(hidden)]
        const _: () = {
            #columns
            #table
            #kind
            #checks
            #codec
        };
    }
}

/// `struct NewRecipe`: the data columns a caller provides.
pub(crate) fn insert_type(cont: &Container<'_>) -> TokenStream {
    let model = cont.ident;
    let vis = cont.vis;
    let new = cont.insert_ident();
    let derives = match &cont.attrs.insert_derive {
        Some(paths) => quote!(#(#paths),*),
        None => quote!(Debug, Clone),
    };
    // serde's field attributes (`rename`, `default`, ...) mean the same on
    // the insert type when it derives serde's traits, and nothing otherwise.
    let derives_serde = cont.attrs.insert_derive.iter().flatten().any(|path| {
        path.segments
            .last()
            .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
    });
    let fields = cont.insert_fields().map(|field| {
        let attrs = field.original.attrs.iter().filter(|attr| {
            attr.path().is_ident("doc") || (derives_serde && attr.path().is_ident("serde"))
        });
        let vis = &field.original.vis;
        let ident = field.ident;
        // `Self` means the model in the model, so it must say so in `NewX`.
        let ty = replace_self(field.ty.to_token_stream(), model);
        quote!(#(#attrs)* #vis #ident: #ty)
    });
    let doc = format!(
        "The values of a new [`{model}`], for `{model}::insert`.\n\n\
         It has no id (the database assigns it) and no organization (it comes from the \
         `Scope`), so a row can only be inserted into the scope's own organization."
    );
    quote! {
        #[doc = #doc]
        #[derive(#derives)]
        #vis struct #new {
            #(#fields,)*
        }
    }
}

/// `tokens` with every `Self` replaced by `model`.
fn replace_self(tokens: TokenStream, model: &syn::Ident) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) if ident == "Self" => {
                TokenTree::Ident(syn::Ident::new(&model.to_string(), ident.span()))
            }
            TokenTree::Group(group) => {
                let mut replaced =
                    Group::new(group.delimiter(), replace_self(group.stream(), model));
                replaced.set_span(group.span());
                TokenTree::Group(replaced)
            }
            other => other,
        })
        .collect()
}

/// `Recipe::NAME` and friends: typed handles on each column.
pub(crate) fn column_consts(cont: &Container<'_>) -> TokenStream {
    let krate = cont.krate();
    let model = cont.ident;
    // Only reachable with invalid models (see `valid`), whose fallback must
    // not add a duplicate-definition error to the one already reported.
    let mut seen = std::collections::HashSet::new();
    let unique = cont
        .fields
        .iter()
        .enumerate()
        .filter(move |(_, field)| seen.insert(field.const_ident().to_string()));
    let consts = unique.map(|(index, field): (usize, &Field<'_>)| {
        // As visible as the field: a private column stays private.
        let vis = &field.original.vis;
        let name = field.const_ident();
        let ty = field.ty;
        let column = &field.column;
        let kind = column_kind(field);
        let doc = format!("The `{column}` column of [`{model}`].");
        quote_spanned! {field.ident.span()=>
            #[doc = #doc]
            #vis const #name: #krate::__private::Column<#model, #ty, #krate::__private::kind::#kind> =
                #krate::__private::Column::__at::<#index>();
        }
    });
    quote! {
        #[automatically_derived]
        // A model need not use every column in a filter.
        #[allow(dead_code)]
        impl #model {
            #(#consts)*
        }
    }
}

/// The kind of a field's column (see `tenancy_core::column::kind`).
fn column_kind(field: &Field<'_>) -> TokenStream {
    match field.role {
        Role::Id => quote!(IdColumn),
        Role::Org => quote!(OrganizationColumn),
        Role::Active | Role::Marker => quote!(SoftDeleteColumn),
        Role::Data if field.attrs.fixed.is_some() => quote!(FixedColumn),
        Role::Data => quote!(DataColumn),
    }
}

/// `Table::__COLUMNS` (every column, in field order) for the `Table` impl,
/// and `ColumnAt` for each column: what the column constants are built
/// from.
pub(crate) fn column_table(cont: &Container<'_>) -> (TokenStream, TokenStream) {
    let p = {
        let krate = cont.krate();
        quote!(#krate::__private)
    };
    let model = cont.ident;
    let names = cont.fields.iter().map(|field| &field.column);
    let names = quote!(const __COLUMNS: &'static [&'static str] = &[#(#names),*];);
    let at = cont.fields.iter().enumerate().map(|(index, field)| {
        let kind = column_kind(field);
        let ty = field.ty;
        quote! {
            #[automatically_derived]
            impl #p::ColumnAt<#index> for #model {
                type Kind = #p::kind::#kind;
                type Value = #ty;
            }
        }
    });
    (names, quote!(#(#at)*))
}

/// Decoding rows and binding new values, for every backend on which every
/// field type can be decoded and encoded.
fn row_codec(cont: &Container<'_>) -> TokenStream {
    let krate = cont.krate();
    let p = quote!(#krate::__private);
    let model = cont.ident;
    let decode_bounds = cont.fields.iter().map(|field| {
        let ty = field.ty;
        quote!(#ty: for<'__r> #p::Decode<'__r, __DB> + #p::Type<__DB>)
    });
    let encode_bounds = cont.insert_fields().map(|field| {
        let ty = field.ty;
        quote!(#ty: for<'__q> #p::Encode<'__q, __DB>)
    });
    let decoded = cont.fields.iter().enumerate().map(|(index, field)| {
        let ident = field.ident;
        quote!(#ident: <__DB as #p::Backend>::__get(row, offset + #index)?)
    });
    let bound = cont.insert_fields().enumerate().map(|(index, field)| {
        let ident = field.ident;
        quote!(#index => #p::Arguments::add(arguments, &new.#ident),)
    });
    quote! {
        #[automatically_derived]
        impl<__DB: #p::Backend> #p::RowCodec<__DB> for #model
        where
            #(#decode_bounds,)*
            #(#encode_bounds,)*
        {
            fn __decode(
                row: &<__DB as #p::Database>::Row,
                offset: usize,
            ) -> #p::Result<Self, #p::SqlxError> {
                #p::Result::Ok(Self { #(#decoded,)* })
            }

            #[allow(unused_variables)]
            fn __bind_field(
                new: &<Self as #p::Table>::New,
                index: usize,
                arguments: &mut <__DB as #p::Database>::Arguments,
            ) -> #p::Result<(), #p::BoxDynError> {
                match index {
                    #(#bound)*
                    _ => #p::Result::Err(#p::BoxDynError::from("no such field of a new row")),
                }
            }
        }
    }
}
