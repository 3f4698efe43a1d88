//! `#[derive(TextEnum)]`: a fieldless enum stored as `TEXT`, one fixed
//! word per variant, on every backend.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Path};

/// The impls of `TextEnum`, sqlx's `Type`, `Encode` and `Decode`, and
/// sea-query's value conversions; every misuse reported at once.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

struct Variant {
    ident: syn::Ident,
    text: String,
}

/// `LotState::InUse` is stored as `in_use`, `HttpServer` and `HTTPServer`
/// as `http_server`: a word starts at an upper-case letter after a lower-
/// case one or a digit, or before a lower-case one after upper-case ones.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn krate(input: &DeriveInput) -> syn::Result<Path> {
    let mut krate = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("tenancy")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let path: LitStr = meta.value()?.parse()?;
                krate = Some(path.parse::<Path>()?);
                Ok(())
            } else {
                Err(meta.error("unknown tenancy attribute on a TextEnum; the one key is `crate`"))
            }
        })?;
    }
    Ok(krate.unwrap_or_else(|| syn::parse_quote!(::tenancy_core)))
}

fn variants(input: &DeriveInput) -> syn::Result<Vec<Variant>> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "TextEnum is derived for enums whose variants have no fields",
        ));
    };
    if data.variants.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "a TextEnum needs at least one variant",
        ));
    }
    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match errors.as_mut() {
        Some(errors) => errors.combine(error),
        None => errors = Some(error),
    };
    let mut out: Vec<Variant> = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            push(syn::Error::new(
                variant.span(),
                "a TextEnum variant cannot have fields: it is stored as one word",
            ));
            continue;
        }
        let mut text = None;
        for attr in variant
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("tenancy"))
        {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let value: LitStr = meta.value()?.parse()?;
                    if value.value().is_empty() {
                        return Err(meta.error("a stored text cannot be empty"));
                    }
                    text = Some(value.value());
                    Ok(())
                } else {
                    Err(meta
                        .error("unknown tenancy attribute on a variant; the one key is `rename`"))
                }
            });
            if let Err(error) = parsed {
                push(error);
            }
        }
        let text = text.unwrap_or_else(|| snake_case(&variant.ident.to_string()));
        if out.iter().any(|v| v.text == text) {
            push(syn::Error::new(
                variant.span(),
                format!("two variants are stored as `{text}`: rename one"),
            ));
        }
        out.push(Variant {
            ident: variant.ident.clone(),
            text,
        });
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(out),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let krate = krate(input)?;
    let variants = variants(input)?;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "a TextEnum cannot be generic",
        ));
    }
    let p = quote!(#krate::__private);
    let name = &input.ident;
    let type_name = name.to_string();
    let idents: Vec<_> = variants.iter().map(|v| &v.ident).collect();
    let texts: Vec<_> = variants.iter().map(|v| &v.text).collect();
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::TextEnum for #name {
                const TYPE_NAME: &'static str = #type_name;
                const TEXTS: &'static [&'static str] = &[#(#texts),*];

                fn as_text(&self) -> &'static str {
                    match self {
                        #(Self::#idents => #texts,)*
                    }
                }

                fn from_text(text: &str) -> ::core::option::Option<Self> {
                    match text {
                        #(#texts => ::core::option::Option::Some(Self::#idents),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            #[automatically_derived]
            impl ::core::convert::From<#name> for #p::SeaValue {
                fn from(value: #name) -> Self {
                    #p::text_enum::value(&value)
                }
            }

            #[automatically_derived]
            impl #p::Nullable for #name {
                fn null() -> #p::SeaValue {
                    #p::text_enum::null()
                }
            }

            #[automatically_derived]
            impl<__DB: #p::Database> #p::Type<__DB> for #name
            where
                ::std::string::String: #p::Type<__DB>,
            {
                fn type_info() -> <__DB as #p::Database>::TypeInfo {
                    <::std::string::String as #p::Type<__DB>>::type_info()
                }

                fn compatible(ty: &<__DB as #p::Database>::TypeInfo) -> bool {
                    <::std::string::String as #p::Type<__DB>>::compatible(ty)
                }
            }

            #[automatically_derived]
            impl<'__q, __DB: #p::Database> #p::Encode<'__q, __DB> for #name
            where
                &'static str: #p::Encode<'__q, __DB>,
            {
                fn encode_by_ref(
                    &self,
                    buf: &mut <__DB as #p::Database>::ArgumentBuffer,
                ) -> ::core::result::Result<#p::IsNull, #p::BoxDynError> {
                    <&'static str as #p::Encode<'__q, __DB>>::encode(#krate::TextEnum::as_text(self), buf)
                }
            }

            #[automatically_derived]
            impl<'__r, __DB: #p::Database> #p::Decode<'__r, __DB> for #name
            where
                &'__r str: #p::Decode<'__r, __DB>,
            {
                fn decode(
                    value: <__DB as #p::Database>::ValueRef<'__r>,
                ) -> ::core::result::Result<Self, #p::BoxDynError> {
                    let text = <&'__r str as #p::Decode<'__r, __DB>>::decode(value)?;
                    #p::text_enum::decode(text)
                }
            }
        };
    })
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn variants_are_snake_case() {
        assert_eq!(snake_case("InUse"), "in_use");
        assert_eq!(snake_case("Expired"), "expired");
        assert_eq!(snake_case("A"), "a");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("HttpServer"), "http_server");
        assert_eq!(snake_case("Step2Done"), "step2_done");
    }
}
