//! OpenAPI schemas (utoipa) of the types an app's API sends and takes, so
//! that `#[derive(utoipa::ToSchema)]` works on structs holding them and
//! the published document says what the wire carries: ids are 64-bit
//! integers, amounts are exact decimals in strings.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::id::{Id, OrgId, UserId};

fn id_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some(description))
        .examples([serde_json::json!(42)])
        .into()
}

/// A row id: the same schema for every model, since the model is a
/// compile-time distinction only. utoipa's derive reads a field of a
/// generic type through `ComposeSchema` (which gives `PartialSchema`), so
/// that is the trait implemented; the model parameter is ignored.
impl<T: ?Sized> utoipa::__dev::ComposeSchema for Id<T> {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        id_schema("The id of a row, unique in its table.")
    }
}

impl<T: ?Sized> ToSchema for Id<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Id")
    }
}

impl PartialSchema for OrgId {
    fn schema() -> RefOr<Schema> {
        id_schema("The id of an organization.")
    }
}

impl ToSchema for OrgId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OrgId")
    }
}

impl PartialSchema for UserId {
    fn schema() -> RefOr<Schema> {
        id_schema("The id of a user.")
    }
}

impl ToSchema for UserId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("UserId")
    }
}

#[cfg(feature = "rust_decimal")]
impl PartialSchema for crate::Amount {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("decimal".into())))
            .pattern(Some(r"^-?[0-9]{1,13}(\.[0-9]{1,6})?$"))
            .description(Some(
                "An exact decimal of at most 6 decimal places, sent as a string. \
                 Requests may also give a JSON number of up to 15 significant digits.",
            ))
            .examples([serde_json::json!("12.5")])
            .into()
    }
}

#[cfg(feature = "rust_decimal")]
impl ToSchema for crate::Amount {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Amount")
    }
}

#[cfg(feature = "axum")]
impl PartialSchema for crate::http::Problem {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
        };
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A problem (RFC 9457), sent as `application/problem+json`; branch on `code`.",
            ))
            .property("type", text("Always `about:blank`."))
            .property("title", text("The kind of failure, in words."))
            .property(
                "status",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("The HTTP status.")),
            )
            .property("detail", text("This occurrence, in words fit to show."))
            .property(
                "code",
                text("A stable machine-readable code: `not_found`, `invalid`, `busy`..."),
            )
            .property(
                "field",
                text("The request field that was refused, if one was."),
            )
            .property(
                "contact",
                text("Whom to contact (a billing lapse: the owner)."),
            )
            .required("type")
            .required("title")
            .required("status")
            .required("code")
            .into()
    }
}

#[cfg(feature = "axum")]
impl ToSchema for crate::http::Problem {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Problem")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_integers_and_amounts_strings() {
        let id = serde_json::to_value(<Id<()> as PartialSchema>::schema()).unwrap_or_default();
        assert_eq!(id["type"], "integer", "{id}");
        assert_eq!(id["format"], "int64", "{id}");
        #[cfg(feature = "rust_decimal")]
        {
            let amount = serde_json::to_value(<crate::Amount as PartialSchema>::schema())
                .unwrap_or_default();
            assert_eq!(amount["type"], "string", "{amount}");
        }
    }
}
