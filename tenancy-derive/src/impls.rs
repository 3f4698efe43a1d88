//! The trait impls of a valid model, by kind of table, and the
//! compile-time checks of the models its attributes name.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Container, Kind, Role};

/// `Table`: the table's description, built once in a static.
pub(crate) fn table(cont: &Container<'_>) -> TokenStream {
    let p = private(cont);
    let model = cont.ident;
    let new = cont.insert_ident();
    let table = table_name(cont);
    let column = |role| {
        cont.field(role)
            .map(|f| f.column.clone())
            .unwrap_or_default()
    };
    let id_column = column(Role::Id);
    let id_ident = cont.field(Role::Id).map(|f| f.ident);
    let kind = match cont.kind() {
        Kind::Scoped => {
            let org = column(Role::Org);
            quote!(#p::Kind::Scoped { org_column: #org })
        }
        Kind::Shared => {
            let org = column(Role::Org);
            quote!(#p::Kind::Shared { org_column: #org })
        }
        Kind::Inherited { parent, .. } => {
            let via = cont
                .via_field()
                .map(|f| f.column.clone())
                .unwrap_or_default();
            quote!(#p::Kind::Inherited {
                parent: <#parent as #p::Table>::__model,
                via_column: #via,
            })
        }
        Kind::Global => quote!(#p::Kind::Global),
    };
    let insert_columns = cont.insert_fields().map(|f| &f.column);
    let references = cont.fields.iter().filter_map(|field| {
        let target = cont.reference_of(field)?;
        let column = &field.column;
        let nullable = is_option(field.ty);
        Some(quote!(#p::Reference {
            column: #column,
            target: <#target as #p::Table>::__model,
            nullable: #nullable,
        }))
    });
    let soft_delete = cont.field(Role::Active).map(|active| {
        let active = &active.column;
        let marker = match cont.field(Role::Marker) {
            Some(marker) => {
                let marker = &marker.column;
                quote!(::core::option::Option::Some(#marker))
            }
            None => quote!(::core::option::Option::None),
        };
        quote!(.with_soft_delete(#p::SoftDeleteColumns { active: #active, marker: #marker }))
    });
    let cascades = cont
        .attrs
        .cascade
        .iter()
        .flatten()
        .map(|child| quote!(<#child as #p::Table>::__model));
    let new_references = cont.insert_fields().filter_map(|field| {
        cont.reference_of(field)?;
        let ident = field.ident;
        let column = &field.column;
        Some(if is_option(field.ty) {
            quote!((#column, new.#ident.map(|id| id.get())))
        } else {
            quote!((#column, ::core::option::Option::Some(new.#ident.get())))
        })
    });
    let nullable = cont
        .fields
        .iter()
        .filter(|field| is_option(field.ty))
        .map(|field| &field.column);
    let (columns_const, column_at) = crate::expand::column_table(cont);
    quote! {
        #[automatically_derived]
        impl #p::Table for #model {
            type New = #new;

            #columns_const

            fn __id(&self) -> i64 {
                self.#id_ident.get()
            }

            fn __model() -> &'static #p::ModelInfo {
                static MODEL: #p::ModelInfo = #p::ModelInfo::new(
                    #table,
                    <#model as #p::Table>::__COLUMNS,
                    #id_column,
                    #kind,
                    &[#(#insert_columns),*],
                )
                .with_references(&[#(#references),*])
                .with_nullable(&[#(#nullable),*])
                #soft_delete
                .with_cascades(&[#(#cascades),*]);
                &MODEL
            }

            #[allow(unused_variables)]
            fn __references(new: &#new) -> #p::Vec<(&'static str, ::core::option::Option<i64>)> {
                ::std::vec![#(#new_references),*]
            }
        }

        #column_at
    }
}

/// The public traits of the model's kind.
pub(crate) fn kind_traits(cont: &Container<'_>) -> TokenStream {
    let p = private(cont);
    let model = cont.ident;
    let table = table_name(cont);
    let id = cont.field(Role::Id).map(|f| f.ident);
    let org = cont.field(Role::Org).map(|f| f.ident);
    let id_fn = quote! {
        #[inline]
        fn id(&self) -> #p::Id<Self> {
            self.#id
        }
    };
    let tenant = quote! {
        #[automatically_derived]
        impl #p::Scoped for #model {
            const TABLE: &'static str = #table;
            #id_fn
        }

        #[automatically_derived]
        impl #p::ReferenceTarget for #model {}
    };
    let kind = match cont.kind() {
        Kind::Scoped => quote! {
            #tenant

            #[automatically_derived]
            impl #p::OrgOwned for #model {
                #[inline]
                fn organization_id(&self) -> #p::OrgId {
                    self.#org
                }
            }
        },
        Kind::Shared => quote! {
            #tenant

            #[automatically_derived]
            impl #p::Shared for #model {
                #[inline]
                fn organization_id(&self) -> ::core::option::Option<#p::OrgId> {
                    self.#org
                }
            }
        },
        Kind::Inherited { .. } => tenant,
        Kind::Global => quote! {
            #[automatically_derived]
            impl #p::Global for #model {
                const TABLE: &'static str = #table;
                #id_fn
            }
        },
    };
    let soft_delete = cont.field(Role::Active).map(|_| {
        quote! {
            #[automatically_derived]
            impl #p::SoftDelete for #model {}
        }
    });
    let insertable = cont.attrs.read_only.is_none().then(|| {
        quote! {
            #[automatically_derived]
            impl #p::Insertable for #model {}
        }
    });
    let changeable =
        (cont.attrs.read_only.is_none() && cont.attrs.append_only.is_none()).then(|| {
            quote! {
                #[automatically_derived]
                impl #p::Changeable for #model {}
            }
        });
    // Each model referenced, with how many fields reference it: two fields
    // may point at the same model (a transfer's `from` and `to` location),
    // and each trait below is implemented once per model.
    let mut targets: Vec<(String, &syn::Path, usize)> = Vec::new();
    for target in cont
        .fields
        .iter()
        .filter_map(|field| cont.reference_of(field))
    {
        let key = quote!(#target).to_string();
        match targets.iter_mut().find(|(seen, _, _)| *seen == key) {
            Some((_, _, count)) => *count += 1,
            None => targets.push((key, target, 1)),
        }
    }
    // A child with a cascade marker may be cascaded from any model it
    // references (through every field that references it).
    let cascades_from = cont.field(Role::Marker).map(|_| {
        let targets = targets.iter().map(|(_, target, _)| target);
        quote! {
            #(
                #[automatically_derived]
                impl #p::CascadesFrom<#targets> for #model {}
            )*
        }
    });
    // A model it references through one field, it may be joined to as a
    // child; through two, a join could not tell which to join on.
    let references = targets
        .iter()
        .filter(|(_, _, count)| *count == 1)
        .map(|(_, target, _)| target);
    let joins = quote! {
        #(
            #[automatically_derived]
            impl #p::References<#references> for #model {}
        )*
    };
    quote!(#kind #soft_delete #insertable #changeable #cascades_from #joins)
}

/// Checks of the models named in attributes, spanned on their names so
/// that the error points there: a parent must be scoped, a reference must
/// point at a tenant table, a cascade child must be able to follow.
pub(crate) fn compile_checks(cont: &Container<'_>) -> TokenStream {
    let p = private(cont);
    let model = cont.ident;
    let parent = cont.attrs.parent.iter().map(|parent| {
        quote_spanned! {parent.span()=>
            const _: fn() = #p::assert_parent::<#parent>;
        }
    });
    let references = cont.fields.iter().filter_map(|field| {
        let target = field.attrs.references.as_ref()?;
        Some(quote_spanned! {target.span()=>
            const _: fn() = #p::assert_reference_target::<#target>;
        })
    });
    let cascades = cont.attrs.cascade.iter().flatten().map(|child| {
        quote_spanned! {child.span()=>
            const _: fn() = #p::assert_cascade::<#child, #model>;
        }
    });
    quote!(#(#parent)* #(#references)* #(#cascades)*)
}

fn private(cont: &Container<'_>) -> TokenStream {
    let krate = cont.krate();
    quote!(#krate::__private)
}

fn table_name(cont: &Container<'_>) -> String {
    cont.attrs
        .table
        .as_ref()
        .map(|t| t.value.clone())
        .unwrap_or_default()
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Option"))
}
