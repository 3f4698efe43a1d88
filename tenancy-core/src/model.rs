//! The traits of models, by kind of table, and the description of a table
//! that the derive writes and the statement builders read.
//!
//! Tables are of four kinds, declared, never guessed (see the crate docs):
//! scoped, inherited and shared tables hold tenant data and implement
//! [`Scoped`], whose every operation starts from a [`Scope`](crate::Scope);
//! global tables implement [`Global`] instead, and cannot be read through a
//! scope nor written without a [`SystemScope`](crate::SystemScope).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::column::Filter;
use crate::exec::{Backend, Shapes};
use crate::id::{Id, OrgId};
use crate::query::{Delete, Find, Insert, InsertMany, Restore, Select, Update, rows};
use crate::scope::{ActsAcrossOrgs, ActsForOrg};

/// What every derived model is, whatever its kind: a table description and
/// the type of its new rows. Used by generated code and the builders only.
#[doc(hidden)]
pub trait Table: Sized + Send + Unpin + 'static {
    /// The values of a new row: every column but the id, the organization
    /// and columns the database fills in.
    type New: Send + Sync + 'static;

    /// Every column, in field order: the names the column constants take
    /// (see [`ColumnAt`](crate::column::ColumnAt)).
    const __COLUMNS: &'static [&'static str];

    /// The table's description.
    fn __model() -> &'static ModelInfo;

    /// This row's id.
    fn __id(&self) -> i64;

    /// The referenced ids a new row holds, by column, to name the one a
    /// refused insert points at.
    fn __references(new: &Self::New) -> Vec<(&'static str, Option<i64>)> {
        let _ = new;
        Vec::new()
    }
}

/// A model whose rows may be inserted through the model's API: every model
/// but those declared `#[tenancy(read_only)]`. Implemented by the derive.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is read-only: its rows are not inserted through the model",
    label = "declared `#[tenancy(read_only)]`",
    note = "a read-only model is read through its API and written by the code that owns its table \
            (the rules that keep it consistent); drop `read_only` to insert rows here"
)]
pub trait Insertable: Table {}

/// A model whose rows may be updated and deleted through the model's API:
/// every model but those declared `#[tenancy(append_only)]` (ledgers,
/// histories) or `#[tenancy(read_only)]`. Implemented by the derive.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is append-only or read-only: its rows are never updated or deleted",
    label = "declared `#[tenancy(append_only)]` or `#[tenancy(read_only)]`",
    note = "a history or ledger is corrected by inserting a new row (an adjustment) that says \
            what changed; drop the declaration if rows of this table may change"
)]
pub trait Changeable: Table {}

/// A model of tenant data: a scoped, inherited or shared table.
///
/// Implement it with `#[derive(Scoped)]`; see the [crate docs](crate) for the
/// kinds and attributes. Do not implement it by hand: the derive checks the
/// model against the table's rules, which a hand-written impl could break.
/// Every statement it builds for a [`Scope`](crate::Scope) carries the
/// organization predicate of its kind, takes the organization from the
/// scope (never from the values), and treats other organizations' rows as
/// absent.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model of tenant data",
    note = "add `#[derive(Scoped)]` and `#[tenancy(table = \"...\")]` to `{Self}`, with `id: \
            Id<{Self}>` and `organization_id: OrgId` fields (or `#[tenancy(parent = ..., via = ...)]` \
            for a table scoped through its parent)"
)]
pub trait Scoped: Table {
    /// The table's name.
    const TABLE: &'static str;

    /// This row's id.
    fn id(&self) -> Id<Self>;

    /// Rows the scope's organization may see, narrowed with
    /// [`filter`](Select::filter), ordered, paged and counted.
    fn select(scope: &impl ActsForOrg) -> Select<Self> {
        Select::for_org(scope.acting_org())
    }

    /// Rows of every organization, for cross-organization work such as
    /// reports; the only select without an organization predicate. It takes
    /// a [`SystemScope`](crate::SystemScope), whose reason says why, and
    /// logs it (target `tenancy::system`).
    fn select_across_orgs(system: &impl ActsAcrossOrgs) -> Select<Self> {
        tracing::info!(
            target: "tenancy::system",
            table = Self::TABLE,
            reason = system.acting_reason(),
            "cross-organization select"
        );
        Select::across_orgs()
    }

    /// The row with this id, if the scope's organization may see it.
    fn find(scope: &impl ActsForOrg, id: Id<Self>) -> Find<Self> {
        Find::for_org(scope.acting_org(), id)
    }

    /// Inserts a row into the scope's organization and returns it as stored.
    fn insert(scope: &impl ActsForOrg, new: Self::New) -> Insert<Self>
    where
        Self: Insertable,
    {
        Insert::for_org(scope.acting_org(), new)
    }

    /// Inserts rows into the scope's organization in as few statements as
    /// the backend allows, all or none, and returns them as stored.
    fn insert_many(
        scope: &impl ActsForOrg,
        rows: impl IntoIterator<Item = Self::New>,
    ) -> InsertMany<Self>
    where
        Self: Insertable,
    {
        InsertMany::for_org(scope.acting_org(), rows.into_iter().collect())
    }

    /// Sets chosen columns of the row with this id, if it belongs to the
    /// scope's organization, and returns it as stored.
    fn update(scope: &impl ActsForOrg, id: Id<Self>) -> Update<Self>
    where
        Self: Changeable,
    {
        Update::for_org(scope.acting_org(), id)
    }

    /// Sets chosen columns of every row of the scope's organization that
    /// matches `filter` (active rows, with soft delete), in one statement,
    /// and returns how many it changed: state changes such as "expire
    /// every lot past its date".
    fn update_matching(
        scope: &impl ActsForOrg,
        filter: Filter<Self>,
    ) -> Update<Self, rows::Matching>
    where
        Self: Changeable,
    {
        Update::matching_for_org(scope.acting_org(), filter)
    }

    /// Deletes the row with this id, if it belongs to the scope's
    /// organization. With soft delete, deactivates it (see [`SoftDelete`]).
    fn delete(scope: &impl ActsForOrg, id: Id<Self>) -> Delete<Self>
    where
        Self: Changeable,
    {
        Delete::for_org(scope.acting_org(), id)
    }
}

/// A model whose rows carry their own, non-null organization column: a
/// *scoped* table, the common case.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no organization column of its own",
    note = "this needs a scoped model: `#[derive(Scoped)]` with a non-null `organization_id: OrgId` field"
)]
pub trait OrgOwned: Scoped {
    /// The organization this row belongs to.
    fn organization_id(&self) -> OrgId;
}

/// A *shared* table: rows of one organization (`organization_id` set) beside
/// system rows that every organization sees (`organization_id` null), such
/// as roles.
///
/// Through a [`Scope`](crate::Scope), reads see the organization's rows and
/// the system rows; writes touch the organization's rows only, and an
/// update or delete of a system row is [`Error::Forbidden`](crate::Error).
/// System rows are written with a [`SystemScope`](crate::SystemScope).
pub trait Shared: Scoped {
    /// The organization this row belongs to; `None` for a system row.
    fn organization_id(&self) -> Option<OrgId>;

    /// Inserts a system row, seen by every organization.
    fn insert_system(system: &impl ActsAcrossOrgs, new: Self::New) -> Insert<Self>
    where
        Self: Insertable,
    {
        let _ = system.acting_reason();
        Insert::system(new)
    }

    /// Sets chosen columns of the system row with this id.
    fn update_system(system: &impl ActsAcrossOrgs, id: Id<Self>) -> Update<Self>
    where
        Self: Changeable,
    {
        let _ = system.acting_reason();
        Update::system(id)
    }

    /// Deletes the system row with this id.
    fn delete_system(system: &impl ActsAcrossOrgs, id: Id<Self>) -> Delete<Self>
    where
        Self: Changeable,
    {
        let _ = system.acting_reason();
        Delete::system(id)
    }
}

/// A model with soft delete: [`Scoped::delete`] deactivates rows instead of
/// removing them, reads hide inactive rows unless asked
/// ([`Select::include_inactive`], [`Find::include_inactive`]), and
/// [`restore`](SoftDelete::restore) brings a row back.
///
/// When the model declares cascades (`#[tenancy(soft_delete, cascade(Child))]`),
/// deleting a row deactivates its active children in the same transaction,
/// and restoring it restores exactly those children: not the ones that were
/// already inactive.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no soft delete",
    note = "declare it with `#[tenancy(soft_delete)]` and an `is_active: bool` field \
            (or `#[tenancy(soft_delete = \"column\")]`)"
)]
pub trait SoftDelete: Scoped {
    /// Reactivates the row with this id, if it belongs to the scope's
    /// organization, with the children its deletion deactivated.
    fn restore(scope: &impl ActsForOrg, id: Id<Self>) -> Restore<Self>
    where
        Self: Changeable,
    {
        Restore::for_org(scope.acting_org(), id)
    }
}

/// A *global* table: rows that belong to no organization (units, unit
/// conversions, permissions).
///
/// Anyone may read it; only a [`SystemScope`](crate::SystemScope) writes it.
/// It is declared with `#[tenancy(global)]`, so that an audit can tell a
/// table that is global on purpose from one that forgot its organization
/// column.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a global model",
    note = "declare a table without organizations with `#[derive(Scoped)]` and `#[tenancy(global)]`"
)]
pub trait Global: Table {
    /// The table's name.
    const TABLE: &'static str;

    /// This row's id.
    fn id(&self) -> Id<Self>;

    /// Every row, narrowed with [`filter`](Select::filter), ordered and
    /// paged.
    fn select() -> Select<Self> {
        Select::across_orgs()
    }

    /// The row with this id.
    fn find(id: Id<Self>) -> Find<Self> {
        Find::global(id)
    }

    /// Inserts a row.
    fn insert(system: &impl ActsAcrossOrgs, new: Self::New) -> Insert<Self>
    where
        Self: Insertable,
    {
        let _ = system.acting_reason();
        Insert::global(new)
    }

    /// Inserts rows in as few statements as the backend allows, all or
    /// none, and returns them as stored.
    fn insert_many(
        system: &impl ActsAcrossOrgs,
        rows: impl IntoIterator<Item = Self::New>,
    ) -> InsertMany<Self>
    where
        Self: Insertable,
    {
        let _ = system.acting_reason();
        InsertMany::global(rows.into_iter().collect())
    }

    /// Sets chosen columns of the row with this id.
    fn update(system: &impl ActsAcrossOrgs, id: Id<Self>) -> Update<Self>
    where
        Self: Changeable,
    {
        let _ = system.acting_reason();
        Update::global(id)
    }

    /// Sets chosen columns of every row that matches `filter`, and returns
    /// how many it changed.
    fn update_matching(
        system: &impl ActsAcrossOrgs,
        filter: Filter<Self>,
    ) -> Update<Self, rows::Matching>
    where
        Self: Changeable,
    {
        let _ = system.acting_reason();
        Update::matching_global(filter)
    }

    /// Deletes the row with this id.
    fn delete(system: &impl ActsAcrossOrgs, id: Id<Self>) -> Delete<Self>
    where
        Self: Changeable,
    {
        let _ = system.acting_reason();
        Delete::global(id)
    }
}

/// Reads rows of a model from, and binds its new values for, one backend.
///
/// Implemented by `#[derive(Scoped)]` for every backend on which all of the
/// model's field types can be encoded and decoded.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read or written on `{DB}`",
    note = "every field type of `{Self}` must implement sqlx's `Type`, `Encode` and `Decode` \
            for `{DB}` (SQLite has no `Decimal`: use `tenancy_core::Amount`, feature `rust_decimal`, \
            for exact quantities and money on both backends)"
)]
pub trait RowCodec<DB: Backend>: Table {
    /// Decodes a row whose columns, from `offset` on, are
    /// [`ModelInfo`]'s columns, in order.
    #[doc(hidden)]
    fn __decode(row: &DB::Row, offset: usize) -> Result<Self, sqlx::Error>;

    /// Appends field number `index` of the new row (in insert-column
    /// order) to the arguments.
    #[doc(hidden)]
    fn __bind_field(
        new: &Self::New,
        index: usize,
        arguments: &mut DB::Arguments,
    ) -> Result<(), sqlx::error::BoxDynError>;
}

/// A backend that reads and writes model `M`: the bound that code generic
/// over the backend names.
///
/// Every backend stores every model whose field types it can encode and
/// decode (a blanket implementation over [`RowCodec`]), so there is nothing
/// to implement. What it adds is the direction: a bound on the backend, not
/// on the model, can be a supertrait, and Rust carries supertraits along
/// where it does not carry other bounds. One trait of the app's then
/// stands for "a backend for all of my models":
///
/// ```
/// use tenancy_core::{Backend, Id, OrgId, Scope, Scoped, Stores};
///
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
///     name: String,
/// }
///
/// /// The backends this app runs on.
/// trait Store: Backend + Stores<Recipe> {}
/// impl<DB: Backend + Stores<Recipe>> Store for DB {}
///
/// // No bound per model at each function: `DB: Store` says it all.
/// async fn names<DB: Store>(pool: &sqlx::Pool<DB>, scope: &Scope) -> tenancy_core::Result<Vec<String>> {
///     let recipes = Recipe::select(scope).fetch_all(pool).await?;
///     Ok(recipes.into_iter().map(|recipe| recipe.name).collect())
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot read or write `{M}`",
    note = "every field type of `{M}` must implement sqlx's `Type`, `Encode` and `Decode` \
            for `{Self}`; in code generic over the backend, add `Stores<{M}>` to its bounds"
)]
pub trait Stores<M: Table>: Backend {
    /// Decodes a row of `M` whose columns start at `offset`.
    #[doc(hidden)]
    fn __decode_row(row: &Self::Row, offset: usize) -> Result<M, sqlx::Error>;

    /// Appends field number `index` of a new row of `M` to the arguments.
    #[doc(hidden)]
    fn __bind_new(
        new: &M::New,
        index: usize,
        arguments: &mut Self::Arguments,
    ) -> Result<(), sqlx::error::BoxDynError>;
}

impl<DB: Backend, M: RowCodec<DB>> Stores<M> for DB {
    fn __decode_row(row: &DB::Row, offset: usize) -> Result<M, sqlx::Error> {
        M::__decode(row, offset)
    }

    fn __bind_new(
        new: &M::New,
        index: usize,
        arguments: &mut DB::Arguments,
    ) -> Result<(), sqlx::error::BoxDynError> {
        M::__bind_field(new, index, arguments)
    }
}

/// Implemented by a soft-delete model for each model it may be cascaded
/// from: it references that model and has a cascade marker.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be cascaded from `{Parent}`",
    note = "a cascade child needs `#[tenancy(soft_delete)]`, a `#[tenancy(references = {Parent})]` \
            field (or `parent = {Parent}`) and a `#[tenancy(cascade_marker)]` bool field"
)]
pub trait CascadesFrom<Parent>: SoftDelete {}

/// Implemented by the models a checked reference may point at: tables of
/// tenant data (scoped, inherited, shared).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the target of a checked reference",
    note = "`references` points at a tenant table (scoped, inherited or shared); a global table \
            needs no tenant check: drop `references` and keep a plain `Id` field"
)]
pub trait ReferenceTarget: Scoped {}

/// Compile-time check of `#[tenancy(parent = P)]`.
#[doc(hidden)]
pub const fn assert_parent<P: OrgOwned>() {}

/// Compile-time check of `#[tenancy(references = T)]`.
#[doc(hidden)]
pub const fn assert_reference_target<T: ReferenceTarget>() {}

/// Compile-time check of `#[tenancy(cascade(C))]` on `P`.
#[doc(hidden)]
pub const fn assert_cascade<C: CascadesFrom<P>, P: SoftDelete>() {}

/// How a table is tied to organizations.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Its own non-null organization column.
    Scoped {
        /// The organization column.
        org_column: &'static str,
    },
    /// A nullable organization column: null for system rows.
    Shared {
        /// The organization column.
        org_column: &'static str,
    },
    /// No organization column: scoped through a parent row.
    Inherited {
        /// The parent's table.
        parent: fn() -> &'static ModelInfo,
        /// The column holding the parent's id.
        via_column: &'static str,
    },
    /// No organization at all.
    Global,
}

/// A column that holds the id of a row of another tenant table, checked to
/// be visible to the same organization on every write.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    /// The column holding the id.
    pub column: &'static str,
    /// The referenced table.
    pub target: fn() -> &'static ModelInfo,
    /// Whether the column may be null (no reference to check).
    pub nullable: bool,
}

/// The columns of soft delete.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct SoftDeleteColumns {
    /// `true` while the row is active.
    pub active: &'static str,
    /// `true` when a cascade from a parent deactivated the row.
    pub marker: Option<&'static str>,
}

/// The description of a table, written by `#[derive(Scoped)]` in a static.
#[doc(hidden)]
#[derive(Debug)]
pub struct ModelInfo {
    pub(crate) table: &'static str,
    /// Every column, in field order: the order rows are decoded in.
    pub(crate) columns: &'static [&'static str],
    pub(crate) id_column: &'static str,
    pub(crate) kind: Kind,
    /// The columns of `New`, in the order `__bind_field` numbers them.
    pub(crate) insert_columns: &'static [&'static str],
    pub(crate) references: &'static [Reference],
    pub(crate) soft_delete: Option<SoftDeleteColumns>,
    /// Children deactivated and restored with this row.
    pub(crate) cascades: &'static [fn() -> &'static ModelInfo],
    /// The columns whose field is an `Option`.
    pub(crate) nullable: &'static [&'static str],
    /// Each backend's statements, built on first use.
    pub(crate) shapes: [OnceLock<Shapes>; 2],
    /// Set by [`Models::declare_without_row_level_security`](crate::ddl::Models::declare_without_row_level_security):
    /// no statement of this table names its organization to the database.
    pub(crate) without_row_level_security: AtomicBool,
}

impl ModelInfo {
    /// Describes a table of the given kind; the derive adds the rest with
    /// the methods below, all in a `static`.
    #[must_use]
    pub const fn new(
        table: &'static str,
        columns: &'static [&'static str],
        id_column: &'static str,
        kind: Kind,
        insert_columns: &'static [&'static str],
    ) -> Self {
        Self {
            table,
            columns,
            id_column,
            kind,
            insert_columns,
            references: &[],
            soft_delete: None,
            cascades: &[],
            nullable: &[],
            shapes: [OnceLock::new(), OnceLock::new()],
            without_row_level_security: AtomicBool::new(false),
        }
    }

    /// Adds the columns whose references are checked.
    #[must_use]
    pub const fn with_references(mut self, references: &'static [Reference]) -> Self {
        self.references = references;
        self
    }

    /// Declares soft delete.
    #[must_use]
    pub const fn with_soft_delete(mut self, columns: SoftDeleteColumns) -> Self {
        self.soft_delete = Some(columns);
        self
    }

    /// Declares the children a soft delete cascades to.
    #[must_use]
    pub const fn with_cascades(mut self, children: &'static [fn() -> &'static ModelInfo]) -> Self {
        self.cascades = children;
        self
    }

    /// Declares the columns that may hold null.
    #[must_use]
    pub const fn with_nullable(mut self, columns: &'static [&'static str]) -> Self {
        self.nullable = columns;
        self
    }

    /// Whether the app declared that this table has no row-level
    /// security.
    pub(crate) fn is_without_row_level_security(&self) -> bool {
        self.without_row_level_security.load(Ordering::Relaxed)
    }

    pub(crate) fn shapes<DB: Backend>(&'static self) -> &'static Shapes {
        self.shapes[DB::SHAPE_SLOT].get_or_init(Shapes::default)
    }

    /// The organization column, for kinds that have one.
    pub(crate) fn org_column(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Scoped { org_column } | Kind::Shared { org_column } => Some(org_column),
            Kind::Inherited { .. } | Kind::Global => None,
        }
    }

    /// The column of this child that references `parent`, for cascades.
    pub(crate) fn reference_to(&self, parent: &'static ModelInfo) -> Option<&'static str> {
        self.references
            .iter()
            .find(|reference| std::ptr::eq((reference.target)(), parent))
            .map(|reference| reference.column)
    }
}
