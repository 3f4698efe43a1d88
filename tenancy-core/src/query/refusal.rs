//! Why a write changed nothing.
//!
//! A scoped write is one statement whose predicates refuse what the scope
//! may not do; when it changes no row, the cause is one of: the row is not
//! there for this organization (`NotFound`), it is a system row of a shared
//! table (`Forbidden`: visible, never writable), or a referenced row is not
//! visible to the organization (`Invalid`, naming the column), or the row
//! fails a requirement of the update (its guard: `ConditionFailed`; the
//! range of a relative change: `Invalid`); when none holds any more, a
//! concurrent change refused it (`Conflict`). Finding out takes a few more
//! statements, run only on this failure path.

use sea_query::{Condition, Expr, ExprTrait, Value};

use super::{Purpose, Reach, Statement, row_predicates};
use crate::error::{Error, Result};
use crate::exec::{Backend, Lent, Prepared};
use crate::model::{Kind, ModelInfo};

/// A condition that an update puts on its row, and what its failure means.
#[derive(Debug)]
pub(crate) struct Requirement {
    pub(crate) condition: Condition,
    pub(crate) unmet: Unmet,
}

/// What a [`Requirement`] that fails means.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Unmet {
    /// The caller's guard: [`Error::ConditionFailed`].
    Guard,
    /// The range of a relative change of this column: [`Error::Invalid`].
    Range(&'static str),
}

impl Unmet {
    fn error(self, model: &ModelInfo) -> Error {
        match self {
            Self::Guard => Error::ConditionFailed { table: model.table },
            Self::Range(column) => Error::invalid(
                column,
                "the change would take the value out of the range its type can hold",
            ),
        }
    }
}

/// `SELECT COUNT(*) FROM t WHERE <scope for purpose> [AND active] AND id =
/// $id [AND condition]`.
fn probe(
    model: &ModelInfo,
    access: &Reach<Value>,
    purpose: Purpose,
    inactive: bool,
    id: i64,
) -> Statement {
    probe_meeting(model, access, purpose, inactive, id, None)
}

fn probe_meeting(
    model: &ModelInfo,
    access: &Reach<Value>,
    purpose: Purpose,
    inactive: bool,
    id: i64,
    condition: Option<Condition>,
) -> Statement {
    let mut select = sea_query::Query::select();
    select
        .expr(Expr::col(sea_query::Asterisk).count())
        .from(model.table);
    for predicate in row_predicates(model, access, purpose, inactive) {
        select.and_where(predicate);
    }
    select.cond_where(Condition::all().add(Expr::col((model.table, model.id_column)).eq(id)));
    if let Some(condition) = condition {
        select.cond_where(condition);
    }
    Statement::Select(select)
}

async fn exists<DB: Backend>(connection: &mut Lent<'_, DB>, statement: Statement) -> Result<bool> {
    let count = Prepared::<DB>::rendered(statement)?
        .fetch_count(connection)
        .await?;
    Ok(count > 0)
}

/// The error for a write by `reach` of row `id` (none for an insert) of
/// `model` that changed nothing, given the references it wrote and the
/// requirements it put on the row.
pub(crate) async fn explain<DB: Backend>(
    connection: &mut Lent<'_, DB>,
    model: &ModelInfo,
    reach: Reach,
    id: Option<i64>,
    inactive: bool,
    references: &[(&'static str, Option<i64>)],
    requirements: Vec<Requirement>,
) -> Error {
    let explained = try_explain::<DB>(
        connection,
        model,
        reach,
        id,
        inactive,
        references,
        requirements,
    );
    match explained.await {
        Ok(error) | Err(error) => error,
    }
}

async fn try_explain<DB: Backend>(
    connection: &mut Lent<'_, DB>,
    model: &ModelInfo,
    reach: Reach,
    id: Option<i64>,
    inactive: bool,
    references: &[(&'static str, Option<i64>)],
    requirements: Vec<Requirement>,
) -> Result<Error> {
    let access = reach.access();
    let not_found = Error::NotFound { table: model.table };
    if let Some(id) = id {
        let writable = probe(model, &access, Purpose::Write, inactive, id);
        if !exists::<DB>(connection, writable).await? {
            let shared = matches!(model.kind, Kind::Shared { .. });
            if shared && matches!(reach, Reach::Org(_)) {
                let readable = probe(model, &access, Purpose::Read, inactive, id);
                if exists::<DB>(connection, readable).await? {
                    return Ok(Error::Forbidden);
                }
            }
            return Ok(not_found);
        }
        for requirement in requirements {
            let meeting = probe_meeting(
                model,
                &access,
                Purpose::Write,
                inactive,
                id,
                Some(requirement.condition),
            );
            if !exists::<DB>(connection, meeting).await? {
                return Ok(requirement.unmet.error(model));
            }
        }
    }
    for (column, value) in references {
        let (Some(value), Some(reference)) =
            (value, model.references.iter().find(|r| r.column == *column))
        else {
            continue;
        };
        let target = (reference.target)();
        let visible = probe(target, &access, Purpose::Read, false, *value);
        if !exists::<DB>(connection, visible).await? {
            return Ok(Error::invalid(
                *column,
                format!(
                    "refers to no row of `{}` that this organization can see",
                    target.table
                ),
            ));
        }
    }
    // Every check passes now: a change committed meanwhile (a referenced
    // row deactivated, then restored) refused the write. Trying again may
    // succeed.
    Ok(Error::Conflict { constraint: None })
}

/// The value of an update's reference column, if it is a key.
pub(crate) fn key_of(value: &Value) -> Option<i64> {
    match value {
        Value::BigInt(value) => *value,
        _ => None,
    }
}
