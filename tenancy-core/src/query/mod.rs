//! Scoped statements: the builders users chain, and the sea-query
//! statements behind them.
//!
//! Each builder starts from a scope (or, for system and global rows, a
//! system scope), so the organization predicate is part of the statement
//! from its first line and no method removes it. The functions of `sql`
//! (and the joins, cascades and aggregates beside them) are the only places
//! that write SQL for models; each puts the predicate of the table's kind
//! first:
//!
//! | kind | reads | writes |
//! |---|---|---|
//! | scoped | `organization_id = $org` | the same |
//! | shared | `(organization_id = $org OR organization_id IS NULL)` | `organization_id = $org`; system rows: `IS NULL` |
//! | inherited | `EXISTS (parent row with id = via AND organization_id = $org)` | the same |
//! | global | none | none (a system scope is required) |
//!
//! Writes of a column that references another tenant table add
//! `EXISTS (referenced row visible to $org)`, in the same statement.

pub mod aggregate;
mod cascade;
mod delete;
mod insert;
mod join;
mod plan;
mod refusal;
mod select;
mod sql;
mod update;

pub use delete::{Delete, Restore};
pub use insert::{Insert, InsertMany};
pub use join::{References, WithChildren};
pub use select::{Find, Locked, Select};
pub use update::{Update, rows};

pub(crate) use cascade::Cascade;
pub(crate) use plan::{CacheKey, OrderShape, Param, Shape, ShapeKey, sentinel};
pub(crate) use sql::{
    Change, Rows, count, delete, find, insert, insert_rows, list, list_for, restore, update,
};

use sea_query::{
    Alias, DeleteStatement, Expr, ExprTrait, InsertStatement, IntoColumnRef, LockType,
    NullOrdering, Order, Query, ReturningClause, SelectStatement, UpdateStatement, Value, Values,
};

use crate::exec::{Backend, Tenant};
use crate::id::OrgId;
use crate::model::{Kind, ModelInfo};

/// The largest limit or offset the drivers accept (both bind `i64`).
const MAX_ROWS: u64 = i64::MAX.unsigned_abs();

/// A statement of any kind, rendered for one backend when it runs.
#[derive(Debug)]
pub(crate) enum Statement {
    Select(SelectStatement),
    Insert(InsertStatement),
    Update(UpdateStatement),
    Delete(DeleteStatement),
}

impl Statement {
    /// SQL with placeholders, and the values to bind to them.
    pub(crate) fn render<DB: Backend>(&self) -> (String, Values) {
        let dialect = DB::Dialect::default;
        match self {
            Self::Select(s) => {
                let (sql, values) = s.build(dialect());
                (DB::__finish_select(sql), values)
            }
            Self::Insert(s) => s.build(dialect()),
            Self::Update(s) => s.build(dialect()),
            Self::Delete(s) => s.build(dialect()),
        }
    }
}

/// A `SELECT` for SQLite, with its limit as `LIMIT +?`.
///
/// SQLite reads the value bound to a bare `LIMIT ?` while it plans the
/// statement, and marks the statement to be prepared again whenever that
/// parameter is bound anew (`sqlite3ExprIsInteger`): every run of a cached
/// statement with a limit would parse and plan it again, a tenth of a
/// page's cost. `+?` is the same limit, as an expression the planner does
/// not read. Only the statement's own trailing limit is changed: sea-query
/// writes it last, before the offset.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_select(mut sql: String) -> String {
    const LIMIT: &str = " LIMIT ?";
    if let Some(at) = sql.rfind(LIMIT) {
        let end = at + LIMIT.len();
        if matches!(&sql[end..], "" | " OFFSET ?") {
            sql.insert(end - 1, '+');
        }
    }
    sql
}

/// Whose rows a statement may touch: one organization's, the system rows
/// of a shared table, or every row (global tables, work across
/// organizations).
///
/// `O` is how the organization is held: an [`OrgId`] in a builder, a
/// sea-query value when a statement is rendered (the organization's id, or
/// a sentinel for a cached statement), nothing in a cache key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Reach<O = OrgId> {
    /// One organization's rows.
    Org(O),
    /// The system rows of a shared table.
    SystemRows,
    /// Every row.
    All,
}

impl Reach {
    /// The reach as statements render it.
    pub(crate) fn access(self) -> Reach<Value> {
        match self {
            Self::Org(org) => Reach::Org(Value::BigInt(Some(org.get()))),
            Self::SystemRows => Reach::SystemRows,
            Self::All => Reach::All,
        }
    }

    /// The part of the reach that changes the SQL: a cache key.
    pub(crate) fn kind(self) -> Reach<()> {
        match self {
            Self::Org(_) => Reach::Org(()),
            Self::SystemRows => Reach::SystemRows,
            Self::All => Reach::All,
        }
    }

    /// The organization's id, for a cached statement's binds.
    pub(crate) fn org(self) -> Option<i64> {
        match self {
            Self::Org(org) => Some(org.get()),
            Self::SystemRows | Self::All => None,
        }
    }

    /// Whom a statement of `model` with this reach acts for.
    pub(crate) fn tenant(self, model: &ModelInfo) -> Tenant {
        if model.is_without_row_level_security() {
            // No policy to tell whom the statement acts for: nobody.
            return Tenant::Unscoped;
        }
        match (self, model.kind) {
            (Self::Org(org), _) => Tenant::Org(org),
            (Self::All, Kind::Global) => Tenant::Unscoped,
            (Self::SystemRows | Self::All, _) => Tenant::System,
        }
    }
}

impl Reach<()> {
    /// The reach a cached statement is rendered with.
    pub(crate) fn with_sentinel(self) -> Reach<Value> {
        match self {
            Self::Org(()) => Reach::Org(sentinel::org()),
            Self::SystemRows => Reach::SystemRows,
            Self::All => Reach::All,
        }
    }
}

/// Whether a predicate guards a read or a write: shared tables let an
/// organization read system rows but never write them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Read,
    Write,
}

/// One key of a list's order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OrderKey {
    pub(crate) column: &'static str,
    pub(crate) direction: Order,
    /// Where nulls go, for a nullable column: stated in every statement,
    /// since the backends differ when it is not (PostgreSQL puts them
    /// last in ascending order, SQLite first).
    pub(crate) nulls: Option<NullOrdering>,
}

impl OrderKey {
    /// The key of `column` of `model`: a nullable column orders its nulls
    /// as PostgreSQL does by default, last ascending and first descending,
    /// unless `nulls` says otherwise.
    pub(crate) fn new(
        model: &ModelInfo,
        column: &'static str,
        direction: Order,
        nulls: Option<NullOrdering>,
    ) -> Self {
        let nulls = nulls.or_else(|| {
            model.nullable.contains(&column).then_some(match direction {
                Order::Desc => NullOrdering::First,
                _ => NullOrdering::Last,
            })
        });
        Self {
            column,
            direction,
            nulls,
        }
    }

    /// The key's shape for the statement cache; `None` for an ordering by
    /// a list of values (`Order::Field`), rendered per call.
    pub(crate) fn shape(&self) -> Option<OrderShape> {
        let descending = match self.direction {
            Order::Asc => false,
            Order::Desc => true,
            _ => return None,
        };
        let nulls = self.nulls.map(|nulls| matches!(nulls, NullOrdering::First));
        Some((self.column, descending, nulls))
    }

    /// Adds the key to `select`, with its column named by `column`.
    pub(crate) fn apply(&self, select: &mut SelectStatement, column: impl IntoColumnRef) {
        match self.nulls {
            Some(nulls) => select.order_by_with_nulls(column, self.direction.clone(), nulls),
            None => select.order_by(column, self.direction.clone()),
        };
    }
}

/// Limit and offset of a list, as the drivers accept them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
}

impl Paging {
    /// Clamps to what the drivers bind, and gives an offset without a limit
    /// the largest limit: SQLite accepts `OFFSET` only after `LIMIT`.
    pub(crate) fn normalized(self) -> Self {
        let offset = self.offset.map(|n| Ord::min(n, MAX_ROWS));
        let limit = match (self.limit, offset) {
            (Some(n), _) => Some(Ord::min(n, MAX_ROWS)),
            (None, Some(_)) => Some(MAX_ROWS),
            (None, None) => None,
        };
        Self { limit, offset }
    }
}

/// SQL's `TRUE` and `FALSE`, written as literals rather than bound, so that
/// cached statements have no parameter of their own.
fn literal(value: bool) -> Expr {
    Expr::cust(if value { "TRUE" } else { "FALSE" })
}

/// A predicate no row satisfies: what an impossible combination of kind and
/// access falls back to, so that a mistake hides rows instead of showing
/// them.
fn nothing() -> Expr {
    Expr::cust("1 = 0")
}

fn column(qualifier: &str, name: &'static str) -> Expr {
    Expr::col((Alias::new(qualifier), name))
}

/// The alias of the table of a sub-select `depth` levels down, so that a
/// table referencing itself (a category's parent category) stays
/// unambiguous.
fn alias(depth: usize) -> String {
    format!("tenancy_{depth}")
}

/// The rows of `model` (named `qualifier` in the statement) that `access`
/// may read or write; `None` when every row may be.
fn scope_predicate(
    model: &ModelInfo,
    access: &Reach<Value>,
    purpose: Purpose,
    qualifier: &str,
    depth: usize,
) -> Option<Expr> {
    match (model.kind, access) {
        (Kind::Global, _) | (_, Reach::All) => None,
        (Kind::Scoped { org_column }, Reach::Org(org)) => {
            Some(column(qualifier, org_column).eq(org.clone()))
        }
        (Kind::Shared { org_column }, Reach::Org(org)) => {
            let own = column(qualifier, org_column).eq(org.clone());
            Some(match purpose {
                Purpose::Write => own,
                Purpose::Read => own.or(column(qualifier, org_column).is_null()),
            })
        }
        (Kind::Shared { org_column }, Reach::SystemRows) => {
            Some(column(qualifier, org_column).is_null())
        }
        (Kind::Inherited { parent, via_column }, Reach::Org(_)) => {
            let parent = parent();
            let inner = alias(depth);
            let mut exists = Query::select();
            exists
                .expr(Expr::cust("1"))
                .from_as(parent.table, Alias::new(&inner))
                .and_where(column(&inner, parent.id_column).eq(column(qualifier, via_column)));
            let parent_scope = scope_predicate(parent, access, Purpose::Read, &inner, depth + 1);
            exists.and_where(parent_scope.unwrap_or_else(nothing));
            Some(Expr::exists(exists))
        }
        (Kind::Scoped { .. } | Kind::Inherited { .. }, Reach::SystemRows) => Some(nothing()),
    }
}

/// `EXISTS (row of target with id = value that access may read and is
/// active)`, or `value IS NULL OR ...` for a nullable reference.
fn reference_check(
    target: &ModelInfo,
    access: &Reach<Value>,
    value: Value,
    nullable: bool,
    depth: usize,
) -> Expr {
    let inner = alias(depth);
    let mut exists = Query::select();
    exists
        .expr(Expr::cust("1"))
        .from_as(target.table, Alias::new(&inner))
        .and_where(column(&inner, target.id_column).eq(value.clone()));
    if let Some(predicate) = scope_predicate(target, access, Purpose::Read, &inner, depth + 1) {
        exists.and_where(predicate);
    }
    if let Some(soft) = target.soft_delete {
        exists.and_where(column(&inner, soft.active).eq(literal(true)));
    }
    // On PostgreSQL, a write that names a row waits for a concurrent one
    // deactivating it and then sees it inactive, rather than writing a live
    // row under a parent deactivated meanwhile (where the cascade no longer
    // reaches it); the deactivation likewise waits for the write and then
    // cascades to its row. SQLite has one reach at a time and no clause.
    exists.lock(LockType::Share);
    let exists = Expr::exists(exists);
    if nullable {
        Expr::val(value).is_null().or(exists)
    } else {
        exists
    }
}

/// The predicates every statement on `model` starts with: scope, then (for
/// soft delete, unless `inactive` rows are wanted) activity.
fn row_predicates(
    model: &ModelInfo,
    access: &Reach<Value>,
    purpose: Purpose,
    inactive: bool,
) -> Vec<Expr> {
    let mut predicates = Vec::with_capacity(2);
    predicates.extend(scope_predicate(model, access, purpose, model.table, 0));
    if let (Some(soft), false) = (model.soft_delete, inactive) {
        predicates.push(column(model.table, soft.active).eq(literal(true)));
    }
    predicates
}

fn returning(model: &ModelInfo) -> ReturningClause {
    Query::returning().columns(model.columns.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_clamps_and_gives_offsets_a_limit() {
        let huge = Paging {
            limit: Some(u64::MAX),
            offset: Some(u64::MAX),
        };
        assert_eq!(
            huge.normalized(),
            Paging {
                limit: Some(MAX_ROWS),
                offset: Some(MAX_ROWS)
            }
        );
        let offset_only = Paging {
            limit: None,
            offset: Some(5),
        };
        assert_eq!(offset_only.normalized().limit, Some(MAX_ROWS));
        assert_eq!(Paging::default().normalized(), Paging::default());
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_limits_are_expressions_the_planner_does_not_read() {
        assert_eq!(
            sqlite_select("SELECT a FROM t LIMIT ?".into()),
            "SELECT a FROM t LIMIT +?"
        );
        assert_eq!(
            sqlite_select("SELECT a FROM t LIMIT ? OFFSET ?".into()),
            "SELECT a FROM t LIMIT +? OFFSET ?"
        );
        // Only the statement's own, trailing limit.
        let inner = "SELECT a FROM t WHERE b IN (SELECT b FROM u LIMIT ?) ORDER BY a";
        assert_eq!(sqlite_select(inner.into()), inner);
        assert_eq!(sqlite_select("SELECT 1".into()), "SELECT 1");
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_sqlite_select_renders_its_limit_as_an_expression() {
        let mut select = Query::select();
        select
            .column(sea_query::Asterisk)
            .from(sea_query::Alias::new("t"))
            .limit(5)
            .offset(10);
        let (sql, values) = Statement::Select(select).render::<sqlx::Sqlite>();
        assert!(sql.ends_with(" LIMIT +? OFFSET ?"), "{sql}");
        assert_eq!(values.0.len(), 2);
    }
}
