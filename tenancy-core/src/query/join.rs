//! Parents with their children, in one statement.
//!
//! Listing recipes with their ingredients row by row costs a statement per
//! recipe; a join costs one. The join is where cross-tenant leaks hide in
//! hand-written SQL (a join on `recipe_id` alone pairs rows of different
//! organizations when ids are reused or smuggled), so the condition the
//! builder writes always carries `child.organization_id =
//! parent.organization_id` when both tables have the column; an inherited
//! child is reached through its parent only.

use std::fmt;
use std::marker::PhantomData;

use sea_query::{Alias, ExprTrait, JoinType, Order, Query, SelectStatement, Value, Values};
use sqlx::Acquire;

use super::select::Select;
use super::{Reach, Statement, column, literal};
use crate::error::{Error, Result};
use crate::exec::{self, Backend, Prepared};
use crate::model::{Kind, ModelInfo, Stores, Table};

/// The alias of the child table, so that a table can be joined to itself
/// (a batch with the batches split from it).
const CHILD: &str = "tenancy_child";

/// Implemented by a model for each model one of its columns references, so
/// that [`Select::with_children`] only pairs tables that are related.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no reference to `{Parent}` to join on",
    note = "give `{Self}` a `#[tenancy(references = {Parent})]` field, or declare it \
            `#[tenancy(parent = {Parent}, via = ...)]`; a model with two fields that \
            reference `{Parent}` cannot be joined to it, since the join could not tell \
            which of them to join on"
)]
pub trait References<Parent> {}

/// Parents with their children, built by [`Select::with_children`].
///
/// ```
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
/// }
///
/// #[derive(Scoped)]
/// #[tenancy(table = "batches")]
/// struct Batch {
///     id: Id<Batch>,
///     organization_id: OrgId,
///     #[tenancy(references = Recipe)]
///     recipe_id: Id<Recipe>,
/// }
///
/// let scope = Scope::for_job(OrgId::new(7), "doc example");
/// let (sql, _) = Recipe::select(&scope).with_children::<Batch>().to_sql::<sqlx::Sqlite>();
/// assert!(sql.contains(r#"ON "tenancy_child"."recipe_id" = "recipes"."id" AND "tenancy_child"."organization_id" = "recipes"."organization_id""#));
/// ```
#[must_use = "a select does nothing until it is fetched"]
pub struct WithChildren<P, C> {
    parents: Select<P>,
    child: PhantomData<fn() -> C>,
}

impl<P: Table> Select<P> {
    /// Each selected row with its children of model `C`, in one statement:
    /// `(parent, children)` in the select's order, children by id. Filters,
    /// ordering and paging apply to the parents.
    pub fn with_children<C>(self) -> WithChildren<P, C>
    where
        C: Table + References<P>,
    {
        WithChildren {
            parents: self,
            child: PhantomData,
        }
    }
}

impl<P: Table, C: Table> WithChildren<P, C> {
    /// The SQL this runs on `DB`, with the values bound to it.
    ///
    /// # Panics
    ///
    /// Never; a child without a reference to the parent (impossible through
    /// the derive) renders a statement that matches no child.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        self.statement().render::<DB>()
    }

    fn statement(&self) -> Statement {
        let parent = P::__model();
        let child = C::__model();
        let Statement::Select(parents) = self.parents.rows_statement() else {
            return Statement::Select(Query::select());
        };
        let org = match self.parents.access() {
            Reach::Org(org) => Some(org),
            Reach::SystemRows | Reach::All => None,
        };
        Statement::Select(join(parent, child, parents, self.parents.ordering(), org))
    }

    /// Every selected parent with its children.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the statement fails or a row does not decode.
    pub async fn fetch_all<'c, A, DB>(self, connection: A) -> Result<Vec<(P, Vec<C>)>>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        P: Table,
        DB: Stores<P>,
        C: Table,
        DB: Stores<C>,
    {
        let parent = P::__model();
        let child = C::__model();
        let child_offset = parent.columns.len();
        let parent_id = column_index(parent, parent.id_column);
        let child_id = child_offset + column_index(child, child.id_column);
        let prepared = Prepared::<DB>::rendered(self.statement())?;
        exec::run(connection, self.parents.tenant(), move |mut lent| {
            Box::pin(async move {
                let mut out: Vec<(P, Vec<C>)> = Vec::new();
                let mut current: Option<i64> = None;
                prepared
                    .for_each_row(&mut lent, |row| {
                        let id = <DB as Backend>::__get_key(row, parent_id)?;
                        if id != current || out.is_empty() {
                            out.push((<DB as Stores<P>>::__decode_row(row, 0)?, Vec::new()));
                            current = id;
                        }
                        let has_child = <DB as Backend>::__get_key(row, child_id)?.is_some();
                        if let (true, Some((_, children))) = (has_child, out.last_mut()) {
                            children.push(<DB as Stores<C>>::__decode_row(row, child_offset)?);
                        }
                        Ok::<(), Error>(())
                    })
                    .await?;
                Ok(out)
            })
        })
        .await
    }
}

fn column_index(model: &ModelInfo, name: &str) -> usize {
    model.columns.iter().position(|c| *c == name).unwrap_or(0)
}

/// `SELECT parent.*, child.* FROM (<parents>) AS parent LEFT JOIN child ON
/// child.ref = parent.id [AND child.org = parent.org] [AND child active]
/// ORDER BY <parents' order>, parent.id, child.id`.
fn join(
    parent: &'static ModelInfo,
    child: &'static ModelInfo,
    parents: SelectStatement,
    order: &[super::OrderKey],
    org: Option<Value>,
) -> SelectStatement {
    let mut select = Query::select();
    for name in parent.columns {
        select.expr(column(parent.table, name));
    }
    for name in child.columns {
        select.expr(column(CHILD, name));
    }
    let via = child.reference_to(parent);
    let mut on = match via {
        Some(via) => column(CHILD, via).eq(column(parent.table, parent.id_column)),
        None => super::nothing(),
    };
    if let (Some(child_org), Some(parent_org)) = (child_org_column(child), parent.org_column()) {
        on = on.and(column(CHILD, child_org).eq(column(parent.table, parent_org)));
        // The same organization again, as a value: the parents are a
        // sub-select the planner does not look into, and without it the
        // children of every partition (every Citus shard) are candidates.
        if let Some(org) = org {
            on = on.and(column(CHILD, child_org).eq(org));
        }
    }
    if let Some(soft) = child.soft_delete {
        on = on.and(column(CHILD, soft.active).eq(literal(true)));
    }
    select
        .from_subquery(parents, Alias::new(parent.table))
        .join_as(JoinType::LeftJoin, child.table, Alias::new(CHILD), on);
    for key in order {
        key.apply(&mut select, (Alias::new(parent.table), key.column));
    }
    select
        .order_by((Alias::new(parent.table), parent.id_column), Order::Asc)
        .order_by((Alias::new(CHILD), child.id_column), Order::Asc);
    select
}

/// The child's own organization column: scoped children carry one, and
/// their join must match it; shared children may be system rows.
fn child_org_column(child: &ModelInfo) -> Option<&'static str> {
    match child.kind {
        Kind::Scoped { org_column } => Some(org_column),
        Kind::Shared { .. } | Kind::Inherited { .. } | Kind::Global => None,
    }
}

impl<P, C> fmt::Debug for WithChildren<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithChildren")
            .field("parents", &self.parents)
            .finish()
    }
}
