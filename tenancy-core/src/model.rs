//! The `Scoped` trait: what a model whose rows belong to one organization
//! can do, and nothing else.
//!
//! Every operation starts from a [`Scope`](crate::Scope) (or, for
//! cross-organization reports, a [`SystemScope`](crate::SystemScope)); there
//! is no method that reads or writes a scoped table without one. The trait is
//! implemented by `#[derive(Scoped)]`, which also records the table's shape
//! in a [`ModelInfo`] that the query builders read.

use std::sync::OnceLock;

use crate::exec::{Backend, Shapes};
use crate::id::{Id, OrgId};
use crate::query::{Delete, Find, Insert, Select, Update};
use crate::scope::{ActsAcrossOrgs, ActsForOrg};

/// A model whose rows each belong to one organization.
///
/// Implement it with `#[derive(Scoped)]`; see the [crate docs](crate) for the
/// attributes. Do not implement it by hand: the derive checks the model
/// against the table's rules, which a hand-written impl could break. Every statement it builds for a [`Scope`](crate::Scope)
/// carries `organization_id = $n`, takes the organization from the scope
/// (never from the values), and treats another organization's rows as
/// absent.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scoped model",
    note = "add `#[derive(Scoped)]` and `#[tenancy(table = \"...\")]` to `{Self}`, \
            with `id: Id<{Self}>` and `organization_id: OrgId` fields"
)]
pub trait Scoped: Sized + Send + Unpin + 'static {
    /// The values of a new row: every column but the id, the organization
    /// and columns the database fills in.
    type New: Send + 'static;

    /// The table's name.
    const TABLE: &'static str;

    /// This row's id.
    fn id(&self) -> Id<Self>;

    /// The organization this row belongs to.
    fn organization_id(&self) -> OrgId;

    /// The table's shape, for the query builders.
    #[doc(hidden)]
    fn __model() -> &'static ModelInfo;

    /// Rows of the scope's organization, narrowed with
    /// [`filter`](Select::filter), ordered, paged and counted.
    fn select(scope: &impl ActsForOrg) -> Select<Self> {
        Select::new(Some(scope.acting_org()))
    }

    /// Rows of every organization, for cross-organization work such as
    /// reports. The only statement without an organization predicate; it
    /// takes a [`SystemScope`](crate::SystemScope), whose reason says why,
    /// and logs it (target `tenancy::system`).
    fn select_across_orgs(system: &impl ActsAcrossOrgs) -> Select<Self> {
        tracing::info!(
            target: "tenancy::system",
            table = Self::TABLE,
            reason = system.acting_reason(),
            "cross-organization select"
        );
        Select::new(None)
    }

    /// The row with this id, if it belongs to the scope's organization.
    fn find(scope: &impl ActsForOrg, id: Id<Self>) -> Find<Self> {
        Find::new(scope.acting_org(), id)
    }

    /// Inserts a row into the scope's organization and returns it as stored.
    fn insert(scope: &impl ActsForOrg, new: Self::New) -> Insert<Self> {
        Insert::new(scope.acting_org(), new)
    }

    /// Sets chosen columns of the row with this id, if it belongs to the
    /// scope's organization, and returns it as stored.
    fn update(scope: &impl ActsForOrg, id: Id<Self>) -> Update<Self> {
        Update::new(scope.acting_org(), id)
    }

    /// Deletes the row with this id, if it belongs to the scope's
    /// organization.
    fn delete(scope: &impl ActsForOrg, id: Id<Self>) -> Delete<Self> {
        Delete::new(scope.acting_org(), id)
    }
}

/// Reads rows of a model from, and binds its new values for, one backend.
///
/// Implemented by `#[derive(Scoped)]` for every backend on which all of the
/// model's field types can be encoded and decoded.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read or written on `{DB}`",
    note = "every field type of `{Self}` must implement sqlx's `Type`, `Encode` and `Decode` \
            for `{DB}` (SQLite has no `Decimal`: store exact amounts as text or integer minor units)"
)]
pub trait RowCodec<DB: Backend>: Scoped {
    /// Decodes a row whose columns are [`ModelInfo::columns`], in order.
    #[doc(hidden)]
    fn __decode(row: &DB::Row) -> Result<Self, sqlx::Error>;

    /// Appends the values of a new row, in [`ModelInfo::insert_columns`]
    /// order.
    #[doc(hidden)]
    fn __bind_new(
        new: Self::New,
        arguments: &mut DB::Arguments,
    ) -> Result<(), sqlx::error::BoxDynError>;
}

/// The shape of a scoped table, written by `#[derive(Scoped)]`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ModelInfo {
    pub(crate) table: &'static str,
    /// Every column, in field order: the order rows are decoded in.
    pub(crate) columns: &'static [&'static str],
    pub(crate) id_column: &'static str,
    pub(crate) org_column: &'static str,
    /// The columns of `New`, in the order `__bind_new` binds them.
    pub(crate) insert_columns: &'static [&'static str],
    /// Each backend's statements, built on first use.
    pub(crate) shapes: [OnceLock<Shapes>; 2],
}

impl ModelInfo {
    /// Describes a table; called in a `static` by the derive.
    #[must_use]
    pub const fn new(
        table: &'static str,
        columns: &'static [&'static str],
        id_column: &'static str,
        org_column: &'static str,
        insert_columns: &'static [&'static str],
    ) -> Self {
        Self {
            table,
            columns,
            id_column,
            org_column,
            insert_columns,
            shapes: [OnceLock::new(), OnceLock::new()],
        }
    }

    pub(crate) fn shapes<DB: Backend>(&'static self) -> &'static Shapes {
        self.shapes[DB::SHAPE_SLOT].get_or_init(|| Shapes::build::<DB>(self))
    }
}
