//! Stubs written beside the errors of an invalid model, so that code using
//! the model reports the misuse and not a cascade of "`Recipe` is not a
//! scoped model" or "cannot find `NewRecipe`" errors. They are never run:
//! the crate does not compile.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Container;
use crate::expand::{column_consts, insert_type};

pub(crate) fn expand(cont: &Container<'_>) -> TokenStream {
    let krate = cont.krate();
    let model = cont.ident;
    let generics = &cont.input.generics;
    if !generics.params.is_empty() {
        return TokenStream::new();
    }
    let columns = column_consts(cont);
    let insert_type = insert_type(cont);
    let new = cont.insert_ident();
    quote! {
        #insert_type

        const _: () = {
            #columns

            #[automatically_derived]
            impl #krate::__private::Scoped for #model {
                type New = #new;

                const TABLE: &'static str = "";

                fn id(&self) -> #krate::__private::Id<Self> {
                    ::core::unreachable!()
                }

                fn organization_id(&self) -> #krate::__private::OrgId {
                    ::core::unreachable!()
                }

                fn __model() -> &'static #krate::__private::ModelInfo {
                    ::core::unreachable!()
                }
            }
        };
    }
}
