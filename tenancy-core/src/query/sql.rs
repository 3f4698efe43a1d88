//! The SQL of each operation: one function per statement, each starting
//! with the predicates of [`row_predicates`] so that no statement of a
//! model is written without its organization.

use sea_query::{Asterisk, Condition, Expr, ExprTrait, Order, Query, SelectStatement, Value};

use super::{
    OrderKey, Paging, Purpose, Reach, Statement, column, literal, reference_check, returning,
    row_predicates, sentinel,
};
use crate::model::ModelInfo;

/// `SELECT <columns> FROM t WHERE <scope> [AND active] [AND filter] ORDER
/// BY .., id [LIMIT .. OFFSET ..]`.
pub(crate) fn list(
    model: &ModelInfo,
    access: &Reach<Value>,
    inactive: bool,
    filter: Option<Condition>,
    order: &[OrderKey],
    paging: Paging,
) -> Statement {
    list_for(
        model,
        access,
        Purpose::Read,
        inactive,
        filter,
        order,
        paging,
    )
}

/// [`list`] of the rows `purpose` reaches: a locked select takes the rows
/// its organization may write, never a shared table's system rows, which
/// every organization reads and none may hold.
pub(crate) fn list_for(
    model: &ModelInfo,
    access: &Reach<Value>,
    purpose: Purpose,
    inactive: bool,
    filter: Option<Condition>,
    order: &[OrderKey],
    paging: Paging,
) -> Statement {
    let mut select = Query::select();
    select
        .columns(model.columns.iter().copied())
        .from(model.table);
    for predicate in row_predicates(model, access, purpose, inactive) {
        select.and_where(predicate);
    }
    if let Some(filter) = filter {
        select.cond_where(filter);
    }
    for key in order {
        key.apply(&mut select, key.column);
    }
    // The id breaks ties, so that pages of an ordered list never overlap.
    if !order.iter().any(|key| key.column == model.id_column) {
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

/// `SELECT COUNT(*) FROM t WHERE <scope> [AND active] [AND filter]`.
pub(crate) fn count(
    model: &ModelInfo,
    access: &Reach<Value>,
    inactive: bool,
    filter: Option<Condition>,
) -> Statement {
    let mut select = Query::select();
    select.expr(Expr::col(Asterisk).count()).from(model.table);
    for predicate in row_predicates(model, access, Purpose::Read, inactive) {
        select.and_where(predicate);
    }
    if let Some(filter) = filter {
        select.cond_where(filter);
    }
    Statement::Select(select)
}

/// `SELECT <columns> FROM t WHERE <scope> [AND active] AND id = $id`.
pub(crate) fn find(
    model: &ModelInfo,
    access: &Reach<Value>,
    inactive: bool,
    id: Value,
) -> Statement {
    let mut select = Query::select();
    select
        .columns(model.columns.iter().copied())
        .from(model.table);
    for predicate in row_predicates(model, access, Purpose::Read, inactive) {
        select.and_where(predicate);
    }
    select.and_where(column(model.table, model.id_column).eq(id));
    Statement::Select(select)
}

/// `INSERT INTO t (org, <new columns>) VALUES (..) RETURNING <columns>`, or,
/// when references must be checked, `INSERT .. SELECT <values> WHERE
/// EXISTS (..) AND ..`, so that a refused reference writes nothing.
pub(crate) fn insert(model: &ModelInfo, access: &Reach<Value>, new: Vec<Value>) -> Statement {
    insert_rows(model, access, vec![new])
}

/// [`insert`] of several rows in one statement: `VALUES (..), (..)`, or
/// with references to check, one `SELECT .. WHERE <checks>` per row joined
/// by `UNION ALL`, so that a row whose reference is refused is left out
/// (and the caller sees fewer rows come back).
pub(crate) fn insert_rows(
    model: &ModelInfo,
    access: &Reach<Value>,
    rows: Vec<Vec<Value>>,
) -> Statement {
    let mut columns: Vec<&'static str> = Vec::with_capacity(model.insert_columns.len() + 3);
    let mut fixed: Vec<Expr> = Vec::with_capacity(3);
    if let Some(org_column) = model.org_column() {
        columns.push(org_column);
        fixed.push(match access {
            Reach::Org(org) => Expr::val(org.clone()),
            // System rows of a shared table; nothing else inserts without
            // an organization (a scoped table refuses the null).
            Reach::SystemRows | Reach::All => Expr::cust("NULL"),
        });
    }
    if let Some(soft) = model.soft_delete {
        // New rows are active, and no cascade deactivated them.
        columns.push(soft.active);
        fixed.push(literal(true));
        if let Some(marker) = soft.marker {
            columns.push(marker);
            fixed.push(literal(false));
        }
    }
    columns.extend(model.insert_columns.iter().copied());
    let checked = matches!(access, Reach::Org(_)) && !model.references.is_empty();
    let mut insert = Query::insert();
    insert
        .into_table(model.table)
        .columns(columns)
        .returning(returning(model));
    let mut union: Option<SelectStatement> = None;
    for new in rows {
        let mut values = fixed.clone();
        let mut checks = Vec::new();
        for (column, value) in model.insert_columns.iter().zip(new) {
            if let (Some(reference), true) = (
                model.references.iter().find(|r| r.column == *column),
                checked,
            ) {
                checks.push(reference_check(
                    (reference.target)(),
                    access,
                    value.clone(),
                    reference.nullable,
                    0,
                ));
            }
            values.push(Expr::val(value));
        }
        if !checked {
            // Cannot panic: one value per column, pushed together above.
            insert.values_panic(values);
            continue;
        }
        let mut select = Query::select();
        select.exprs(values);
        for check in checks {
            select.and_where(check);
        }
        match union.as_mut() {
            None => union = Some(select),
            Some(first) => {
                first.union(sea_query::UnionType::All, select);
            }
        }
    }
    if let Some(select) = union {
        // Cannot fail: every select has one expression per column.
        if insert.select_from(select).is_err() {
            return Statement::Insert(Query::insert());
        }
    }
    Statement::Insert(insert)
}

/// What an update does to one column.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    /// `column = value`.
    Set(Value),
    /// `column = column + amount`, on rows where `column <= ceiling`, the
    /// largest value that adding leaves in range.
    Add { amount: Value, ceiling: Value },
    /// `column = column - amount`, on rows where `column >= floor`.
    Subtract { amount: Value, floor: Value },
}

impl Change {
    /// The change with its values replaced by the sentinels of positions
    /// `*next..`, which it advances.
    pub(crate) fn with_sentinels(&self, next: &mut usize) -> Self {
        let mut sentinel = || {
            let value = sentinel::set(*next);
            *next += 1;
            value
        };
        match self {
            Self::Set(_) => Self::Set(sentinel()),
            Self::Add { .. } => Self::Add {
                amount: sentinel(),
                ceiling: sentinel(),
            },
            Self::Subtract { .. } => Self::Subtract {
                amount: sentinel(),
                floor: sentinel(),
            },
        }
    }

    /// Its values, in the order of [`with_sentinels`](Self::with_sentinels).
    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        let (first, second) = match self {
            Self::Set(value) => (value, None),
            Self::Add { amount, ceiling } => (amount, Some(ceiling)),
            Self::Subtract { amount, floor } => (amount, Some(floor)),
        };
        std::iter::once(first).chain(second)
    }

    /// The predicate that keeps the result in range, if any.
    pub(crate) fn bound(&self, column: Expr) -> Option<Expr> {
        match self {
            Self::Set(_) => None,
            Self::Add { ceiling, .. } => Some(column.lte(ceiling.clone())),
            Self::Subtract { floor, .. } => Some(column.gte(floor.clone())),
        }
    }
}

/// Which rows an update changes.
#[derive(Clone, Debug)]
pub(crate) enum Rows {
    /// The row with this id.
    Id(Value),
    /// Every (active) row that matches the guard.
    Matching,
}

/// `UPDATE t SET .. WHERE <scope> [AND active] AND <rows> [AND <references
/// of the columns set>] [AND <bounds of relative changes>] [AND guard]`,
/// returning the columns when one row is changed.
pub(crate) fn update(
    model: &ModelInfo,
    access: &Reach<Value>,
    rows: Rows,
    changes: &[(&'static str, Change)],
    guard: Option<Condition>,
) -> Statement {
    let mut update = Query::update();
    update.table(model.table);
    let mut checks = Vec::new();
    for (name, change) in changes {
        let own = column(model.table, name);
        match change {
            Change::Set(value) => {
                if let (Some(reference), Reach::Org(_)) =
                    (model.references.iter().find(|r| r.column == *name), access)
                {
                    checks.push(reference_check(
                        (reference.target)(),
                        access,
                        value.clone(),
                        reference.nullable,
                        0,
                    ));
                }
                update.value(*name, Expr::val(value.clone()));
            }
            Change::Add { amount, .. } => {
                update.value(*name, own.clone().add(amount.clone()));
            }
            Change::Subtract { amount, .. } => {
                update.value(*name, own.clone().sub(amount.clone()));
            }
        }
        checks.extend(change.bound(own));
    }
    for predicate in row_predicates(model, access, Purpose::Write, false) {
        update.and_where(predicate);
    }
    let one = match rows {
        Rows::Id(id) => {
            update.and_where(column(model.table, model.id_column).eq(id));
            true
        }
        Rows::Matching => false,
    };
    for check in checks {
        update.and_where(check);
    }
    if let Some(guard) = guard {
        update.cond_where(guard);
    }
    if one {
        update.returning(returning(model));
    }
    Statement::Update(update)
}

/// `DELETE FROM t WHERE <scope> AND id = $id`, or, with soft delete,
/// `UPDATE t SET active = FALSE[, marker = FALSE] WHERE <scope> AND active
/// AND id = $id`.
pub(crate) fn delete(model: &ModelInfo, access: &Reach<Value>, id: Value) -> Statement {
    let id_predicate = column(model.table, model.id_column).eq(id);
    match model.soft_delete {
        Some(soft) => {
            let mut update = Query::update();
            update.table(model.table).value(soft.active, literal(false));
            if let Some(marker) = soft.marker {
                // Deleted on its own: a parent's restore leaves it deleted.
                update.value(marker, literal(false));
            }
            for predicate in row_predicates(model, access, Purpose::Write, false) {
                update.and_where(predicate);
            }
            update.and_where(id_predicate);
            Statement::Update(update)
        }
        None => {
            let mut delete = Query::delete();
            delete.from_table(model.table);
            for predicate in row_predicates(model, access, Purpose::Write, false) {
                delete.and_where(predicate);
            }
            delete.and_where(id_predicate);
            Statement::Delete(delete)
        }
    }
}

/// `UPDATE t SET active = TRUE[, marker = FALSE] WHERE <scope> AND id = $id
/// RETURNING <columns>`. Restoring an active row changes nothing.
pub(crate) fn restore(model: &ModelInfo, access: &Reach<Value>, id: Value) -> Statement {
    let mut update = Query::update();
    update.table(model.table);
    if let Some(soft) = model.soft_delete {
        update.value(soft.active, literal(true));
        if let Some(marker) = soft.marker {
            update.value(marker, literal(false));
        }
    }
    for predicate in row_predicates(model, access, Purpose::Write, true) {
        update.and_where(predicate);
    }
    update
        .and_where(column(model.table, model.id_column).eq(id))
        .returning(returning(model));
    Statement::Update(update)
}
