//! Stubs written beside the errors of an invalid model, so that code using
//! the model reports the misuse and not a cascade of "`Recipe` is not a
//! scoped model" or "cannot find `NewRecipe`" errors. They are never run:
//! the crate does not compile.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Container, Kind};
use crate::expand::{column_consts, column_table, insert_type};

pub(crate) fn expand(cont: &Container<'_>) -> TokenStream {
    let krate = cont.krate();
    let p = quote!(#krate::__private);
    let model = cont.ident;
    let generics = &cont.input.generics;
    if !generics.params.is_empty() {
        return TokenStream::new();
    }
    let columns = column_consts(cont);
    let (columns_const, column_at) = column_table(cont);
    let insert_type = insert_type(cont);
    let new = cont.insert_ident();
    let kind = if matches!(cont.kind(), Kind::Global) {
        quote! {
            #[automatically_derived]
            impl #p::Global for #model {
                const TABLE: &'static str = "";

                fn id(&self) -> #p::Id<Self> {
                    ::core::unreachable!()
                }
            }
        }
    } else {
        quote! {
            #[automatically_derived]
            impl #p::Scoped for #model {
                const TABLE: &'static str = "";

                fn id(&self) -> #p::Id<Self> {
                    ::core::unreachable!()
                }
            }
        }
    };
    quote! {
        #insert_type

        const _: () = {
            #columns

            #[automatically_derived]
            impl #p::Table for #model {
                type New = #new;

                #columns_const

                fn __model() -> &'static #p::ModelInfo {
                    ::core::unreachable!()
                }

                fn __id(&self) -> i64 {
                    ::core::unreachable!()
                }
            }

            #column_at

            #kind

            #[automatically_derived]
            impl #p::Insertable for #model {}

            #[automatically_derived]
            impl #p::Changeable for #model {}
        };
    }
}
