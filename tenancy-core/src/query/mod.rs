//! Scoped statements: the builders users chain, and the sea-query
//! statements behind them.
//!
//! Each builder starts from a scope, so the organization predicate is part
//! of the statement from its first line and no method removes it. The
//! functions in this module are the only places that write SQL for scoped
//! models; each adds `organization_id = $n` before anything else, and the
//! tests of every operation check it on both backends.

mod delete;
mod insert;
mod select;
mod update;

pub use delete::Delete;
pub use insert::Insert;
pub use select::{Find, Select};
pub use update::Update;

use sea_query::{
    Asterisk, Condition, DeleteStatement, Expr, ExprTrait, InsertStatement, Order, Query,
    ReturningClause, SelectStatement, UpdateStatement, Value, Values,
};

use crate::exec::Backend;
use crate::id::OrgId;
use crate::model::ModelInfo;

/// The organization the cached statements are rendered with; only the
/// placeholder it leaves in the SQL is kept.
pub(crate) const PLACEHOLDER_ORG: OrgId = OrgId::new(0);

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
            Self::Select(s) => s.build(dialect()),
            Self::Insert(s) => s.build(dialect()),
            Self::Update(s) => s.build(dialect()),
            Self::Delete(s) => s.build(dialect()),
        }
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

fn org_predicate(model: &ModelInfo, org: OrgId) -> Expr {
    Expr::col(model.org_column).eq(org)
}

fn id_predicate(model: &ModelInfo, id: i64) -> Expr {
    Expr::col(model.id_column).eq(id)
}

fn returning(model: &ModelInfo) -> ReturningClause {
    Query::returning().columns(model.columns.iter().copied())
}

/// `SELECT <columns> FROM t WHERE org = $1 [AND filter] ORDER BY .., id
/// [LIMIT .. OFFSET ..]`. `org` is `None` only for cross-organization work.
pub(crate) fn list(
    model: &ModelInfo,
    org: Option<OrgId>,
    filter: Option<Condition>,
    order: &[(&'static str, Order)],
    paging: Paging,
) -> Statement {
    let mut select = Query::select();
    select
        .columns(model.columns.iter().copied())
        .from(model.table);
    if let Some(org) = org {
        select.and_where(org_predicate(model, org));
    }
    if let Some(filter) = filter {
        select.cond_where(filter);
    }
    for (column, direction) in order {
        select.order_by(*column, direction.clone());
    }
    // The id breaks ties, so that pages of an ordered list never overlap.
    if !order.iter().any(|(column, _)| *column == model.id_column) {
        select.order_by(model.id_column, Order::Asc);
    }
    let paging = paging.normalized();
    if let Some(limit) = paging.limit {
        select.limit(limit);
    }
    if let Some(offset) = paging.offset {
        select.offset(offset);
    }
    Statement::Select(select)
}

/// `SELECT COUNT(*) FROM t WHERE org = $1 [AND filter]`.
pub(crate) fn count(model: &ModelInfo, org: Option<OrgId>, filter: Option<Condition>) -> Statement {
    let mut select = Query::select();
    select.expr(Expr::col(Asterisk).count()).from(model.table);
    if let Some(org) = org {
        select.and_where(org_predicate(model, org));
    }
    if let Some(filter) = filter {
        select.cond_where(filter);
    }
    Statement::Select(select)
}

/// `SELECT <columns> FROM t WHERE org = $1 AND id = $2`.
pub(crate) fn find(model: &ModelInfo, org: OrgId, id: i64) -> Statement {
    let mut select = Query::select();
    select
        .columns(model.columns.iter().copied())
        .from(model.table)
        .and_where(org_predicate(model, org))
        .and_where(id_predicate(model, id));
    Statement::Select(select)
}

/// `INSERT INTO t (org, <new columns>) VALUES ($1, ..) RETURNING <columns>`,
/// with placeholders for the new values (bound by the model's codec).
pub(crate) fn insert(model: &ModelInfo, org: OrgId) -> Statement {
    let placeholders = model
        .insert_columns
        .iter()
        .map(|_| Expr::val(Value::BigInt(Some(0))));
    let mut insert = Query::insert();
    insert
        .into_table(model.table)
        .columns(std::iter::once(model.org_column).chain(model.insert_columns.iter().copied()))
        // Cannot panic: one value per column, from the same list.
        .values_panic(std::iter::once(Expr::val(org)).chain(placeholders))
        .returning(returning(model));
    Statement::Insert(insert)
}

/// `UPDATE t SET .. WHERE org = $n AND id = $m RETURNING <columns>`.
pub(crate) fn update(
    model: &ModelInfo,
    org: OrgId,
    id: i64,
    sets: Vec<(&'static str, Value)>,
) -> Statement {
    let mut update = Query::update();
    update
        .table(model.table)
        .values(
            sets.into_iter()
                .map(|(column, value)| (column, Expr::val(value))),
        )
        .and_where(org_predicate(model, org))
        .and_where(id_predicate(model, id))
        .returning(returning(model));
    Statement::Update(update)
}

/// `DELETE FROM t WHERE org = $1 AND id = $2`.
pub(crate) fn delete(model: &ModelInfo, org: OrgId, id: i64) -> Statement {
    let mut delete = Query::delete();
    delete
        .from_table(model.table)
        .and_where(org_predicate(model, org))
        .and_where(id_predicate(model, id));
    Statement::Delete(delete)
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
}
