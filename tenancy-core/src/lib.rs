//! Organization-scoped data access for sqlx apps, where leaking another
//! tenant's rows does not compile.
//!
//! In a multi-tenant app every row of most tables belongs to one
//! organization, and one forgotten `WHERE organization_id = ?` shows a
//! customer another customer's data. This crate makes the scoped query the
//! only short path: a model that derives [`Scoped`] can only be read and
//! written through a [`Scope`], the proof of which organization the code
//! acts for, and every statement it builds carries the organization
//! predicate. Where other libraries return every tenant's rows when no
//! tenant is set, here that query cannot be written.
//!
//! # Example
//!
//! ```
//! use tenancy_core::{Id, OrgId, Scope, Scoped};
//!
//! #[derive(Debug, Scoped)]
//! #[tenancy(table = "recipes")]
//! struct Recipe {
//!     id: Id<Recipe>,
//!     organization_id: OrgId,
//!     name: String,
//! }
//!
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // One connection: each connection to `sqlite::memory:` is its own database.
//! let pool = sqlx::sqlite::SqlitePoolOptions::new()
//!     .max_connections(1)
//!     .connect("sqlite::memory:")
//!     .await?;
//! sqlx::query(
//!     "CREATE TABLE recipes (id INTEGER PRIMARY KEY, organization_id INTEGER NOT NULL, name TEXT NOT NULL)",
//! )
//! .execute(&pool)
//! .await?;
//!
//! // Authentication hands over a `Scope`; a background job builds its own.
//! let soapworks = Scope::for_job(OrgId::new(1), "doc example");
//! let candleco = Scope::for_job(OrgId::new(2), "doc example");
//!
//! let lavender = Recipe::insert(&soapworks, NewRecipe { name: "Lavender soap".into() })
//!     .execute(&pool)
//!     .await?;
//! assert_eq!(lavender.organization_id, OrgId::new(1));
//!
//! // Another organization's id looks exactly like a missing one.
//! let err = Recipe::find(&candleco, lavender.id).fetch_one(&pool).await.unwrap_err();
//! assert!(err.is_not_found());
//! assert!(Recipe::select(&candleco).fetch_all(&pool).await?.is_empty());
//! # Ok::<(), tenancy_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! # What the derive generates
//!
//! For `struct Recipe` with `#[derive(Scoped)]`:
//!
//! - `impl Scoped for Recipe`: [`select`](Scoped::select) (filter, order,
//!   limit, offset, count, aggregates, row locks), [`find`](Scoped::find),
//!   [`insert`](Scoped::insert) and [`insert_many`](Scoped::insert_many),
//!   [`update`](Scoped::update) (values set, or moved by an amount under a
//!   guard) and [`update_matching`](Scoped::update_matching),
//!   [`delete`](Scoped::delete), each starting from a [`Scope`];
//! - `struct NewRecipe`: the values of a new row, without the id and
//!   without the organization (it comes from the scope);
//! - one [`Column`] constant per field (`Recipe::NAME`), typed by model and
//!   value, for filters, ordering and updates, and usable as a sea-query
//!   identifier;
//! - decoding and binding for each backend on which the field types work.
//!
//! Attributes on the struct:
//!
//! - `#[tenancy(table = "recipes")]` names the table (required; one
//!   identifier: reach other schemas through the connection's `search_path`);
//! - `#[tenancy(insert = "CreateRecipe")]` renames the insert type;
//! - `#[tenancy(insert_derive(Debug, serde::Deserialize))]` chooses its
//!   derives (default `Debug, Clone`; `insert_derive()` for none). When they
//!   include serde's, the fields' `#[serde(...)]` attributes are kept;
//! - `#[tenancy(append_only)]` makes rows insertable and readable, never
//!   updated or deleted through the model (histories, ledgers: a
//!   correction is a new row); `#[tenancy(read_only)]` makes them readable
//!   only. Writing such rows through the model does not compile
//!   ([`Insertable`], [`Changeable`]);
//! - `#[tenancy(crate = "...")]` points at this crate when it is renamed.
//!
//! On a field: `#[tenancy(column = "...")]` names its column,
//! `#[tenancy(db_default)]` leaves it to the database on insert (it is not
//! in the insert type), and `#[tenancy(fixed)]` lets inserts set it but no
//! update.
//!
//! The id must be `id: Id<Self>` and the organization `organization_id:
//! OrgId`; every key is a `BIGINT` on PostgreSQL and an `INTEGER` on SQLite.
//! Column constants are as visible as their fields.
//!
//! # Cross-tenant reads look like absence
//!
//! A find, update or delete of another organization's id is
//! [`Error::NotFound`], exactly as for an id that does not exist, so no
//! answer confirms that another tenant's row exists.
//! [`Scope::ensure_owns`] gives the same answer for rows obtained by other
//! paths.
//!
//! # Connections, transactions and the second wall
//!
//! Every operation takes a pool, a connection or a transaction
//! (`&mut *tx`). On PostgreSQL an operation outside a transaction names its
//! organization for row-level security ([`ddl::row_level_security`]) in
//! the statement's own round trip: it calls a temporary function, made
//! once per connection for each statement, that sets the
//! transaction-local `tenancy.org_id`, runs the statement with its bound
//! values and puts the setting back. Operations that must commit together
//! go in a transaction begun by [`Scope::begin`] (`BEGIN; SET LOCAL
//! tenancy.org_id = ..` in one message), where each costs its own
//! statement and nothing more; a transaction begun otherwise names no
//! organization and, on tables with row-level security, sees no row. An
//! app that installs no row-level security says so once
//! ([`ddl::Models::declare_without_row_level_security`]), and its lone
//! operations are plain statements.
//! The `audit` module (features `sqlite`, `postgres`) checks a live
//! database against the models, and
//! [`ddl::citus`] prints the DDL that distributes them on Citus. See
//! `docs/defense-in-depth.md` in the repository.
//!
//! # Feature flags
//!
//! | feature        | default | enables |
//! |----------------|---------|---------|
//! | `derive`       | yes     | `#[derive(Scoped)]` |
//! | `sqlite`       |         | execution on `sqlx::Sqlite`, and the schema `audit` of it |
//! | `postgres`     |         | execution on `sqlx::Postgres`, and the schema `audit` of it |
//! | `rust_decimal` |         | [`Amount`], exact quantities and money on both backends; `Decimal` values in filters and updates |
//! | `uuid`         |         | `Uuid` values in filters and updates |
//! | `axum`         |         | [`Scope`] as an axum extractor, `http::Problem` |
//! | `openapi`      |         | OpenAPI schemas (utoipa) of ids, [`Amount`] and `http::Problem` |
//! | `testing`      |         | `testing::assert_isolated`, an isolation check for your models |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "rust_decimal")]
mod amount;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres"))))]
pub mod audit;
mod column;
pub mod ddl;
mod error;
mod exec;
mod filter;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod http;
mod id;
mod model;
#[cfg(feature = "openapi")]
mod openapi;
pub mod pool;
mod query;
mod scope;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod text_enum;

#[cfg(feature = "rust_decimal")]
#[cfg_attr(docsrs, doc(cfg(feature = "rust_decimal")))]
pub use amount::{Amount, AmountError};
pub use column::{Column, Filter, Numeric, Settable, kind};
pub use error::{Error, Result};
pub use exec::{Backend, Decodes};
pub use id::{Id, OrgId, UserId};
pub use model::{
    Changeable, Global, Insertable, OrgOwned, RowCodec, Scoped, Shared, SoftDelete, Stores,
};
pub use query::{
    Delete, Find, Insert, InsertMany, Locked, Restore, Select, Update, WithChildren, aggregate,
    rows,
};
pub use scope::{Actor, ActsAcrossOrgs, ActsForOrg, Scope, SystemScope};
pub use sea_query::{NullOrdering, Order};
pub use text_enum::{TextEnum, UnknownText};

/// The sea-query version this crate builds statements with, for
/// [`Filter::custom`] conditions and for reading [`Select::to_sql`] values.
pub use sea_query;

/// `#[derive(Scoped)]`: see [the crate docs](crate#what-the-derive-generates).
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use tenancy_derive::Scoped;

/// `#[derive(TextEnum)]`: see [`TextEnum`](trait@TextEnum).
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use tenancy_derive::TextEnum;

/// What code generated by `#[derive(Scoped)]` refers to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::column::{Column, ColumnAt, kind};
    pub use crate::exec::Backend;
    pub use crate::id::{Id, OrgId};
    pub use crate::model::{
        CascadesFrom, Changeable, Global, Insertable, Kind, ModelInfo, OrgOwned, Reference,
        ReferenceTarget, RowCodec, Scoped, Shared, SoftDelete, SoftDeleteColumns, Table,
        assert_cascade, assert_parent, assert_reference_target,
    };
    pub use crate::query::References;
    pub use crate::text_enum::__derive as text_enum;
    pub use core::result::Result;
    pub use sea_query::{Nullable, Value as SeaValue};
    pub use sqlx::encode::IsNull;
    pub use sqlx::error::BoxDynError;
    pub use sqlx::{Arguments, Database, Decode, Encode, Error as SqlxError, Type};
    pub use std::vec::Vec;
}
