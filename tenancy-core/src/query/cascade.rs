//! Cascades of soft delete: the rows a parent's delete deactivates, and
//! the ones its restore brings back, as deep as the models declare them.
//!
//! A delete deactivates the active children of the row (and marks them as
//! taken by a cascade), then their children, and so on down every declared
//! cascade. A restore brings back, level by level, the marked children of
//! the rows it brought back or that stayed active, but only those that no
//! other parent still holds: a child cascaded from two parents (a batch
//! from its recipe and its supplier) comes back only once neither is
//! deleted. Each level is one statement whose sub-selects name the rows of
//! the level above, so a cascade costs one statement per chain of declared
//! cascades from the row's model down, whatever the number of rows.

use sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, Value};

use super::{Purpose, Reach, Statement, column, literal, nothing, row_predicates, scope_predicate};
use crate::model::ModelInfo;

/// What a cascade does to the children of the rows it reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Cascade {
    /// Deactivate the active children and mark them.
    Deactivate,
    /// Reactivate the marked children that no other parent holds.
    Restore,
}

/// Every chain of cascades from `model` down, depth first, each from the
/// model to the child its statement writes: the order the statements of a
/// cascade run in. A model already below the top of the chain is not
/// followed again, so that models cascading to each other end; a model
/// that cascades to itself (a folder to its subfolders) goes one level.
pub(crate) fn chains(model: &'static ModelInfo) -> Vec<Vec<&'static ModelInfo>> {
    let mut chains = Vec::new();
    let mut chain = vec![model];
    walk(&mut chain, &mut chains);
    chains
}

fn walk(chain: &mut Vec<&'static ModelInfo>, chains: &mut Vec<Vec<&'static ModelInfo>>) {
    let Some(&parent) = chain.last() else { return };
    for child in parent.cascades.iter().map(|child| child()) {
        if chain[1..].iter().any(|seen| std::ptr::eq(*seen, child)) {
            continue;
        }
        chain.push(child);
        chains.push(chain.clone());
        walk(chain, chains);
        chain.pop();
    }
}

/// The rows of one level of a cascade: the row deleted or restored, or a
/// sub-select of the rows of a level below it.
enum Rows {
    One(Value),
    Of(Box<SelectStatement>),
}

/// `UPDATE child SET active = .., marker = .. WHERE <scope> AND <child of
/// the rows above> AND ..`: the rows of the last model of `chain` that a
/// delete or restore of the row `parent_id` of its first model reaches.
pub(crate) fn statement(
    chain: &[&'static ModelInfo],
    access: &Reach<Value>,
    parent_id: Value,
    action: Cascade,
) -> Statement {
    let mut update = Query::update();
    let Some((&child, above)) = chain.split_last() else {
        update.and_where(nothing());
        return Statement::Update(update);
    };
    update.table(child.table);
    for predicate in row_predicates(child, access, Purpose::Write, true) {
        update.and_where(predicate);
    }
    update.and_where(child_of(
        child,
        child.table,
        above,
        access,
        parent_id,
        action,
    ));
    let Some(soft) = child.soft_delete else {
        update.and_where(nothing());
        return Statement::Update(update);
    };
    let active = column(child.table, soft.active);
    match (action, soft.marker) {
        (Cascade::Deactivate, marker) => {
            update
                .value(soft.active, literal(false))
                .and_where(active.eq(literal(true)));
            if let Some(marker) = marker {
                update.value(marker, literal(true));
            }
        }
        (Cascade::Restore, Some(marker)) => {
            update
                .value(soft.active, literal(true))
                .value(marker, literal(false))
                .and_where(active.eq(literal(false)))
                .and_where(column(child.table, marker).eq(literal(true)))
                .and_where(no_parent_holds(child, access));
        }
        // Without a marker nothing tells which children the parent's delete
        // deactivated: restore none.
        (Cascade::Restore, None) => {
            update.and_where(nothing());
        }
    }
    Statement::Update(update)
}

/// Rows of `child` (named `qualifier`) that reference, through any of their
/// columns that reference the last model of `above`, a row of that level.
fn child_of(
    child: &'static ModelInfo,
    qualifier: &str,
    above: &[&'static ModelInfo],
    access: &Reach<Value>,
    parent_id: Value,
    action: Cascade,
) -> Expr {
    let Some(&parent) = above.last() else {
        return nothing();
    };
    let rows = level(above, access, parent_id, action);
    child
        .references
        .iter()
        .filter(|reference| std::ptr::eq((reference.target)(), parent))
        .map(|reference| {
            let via = column(qualifier, reference.column);
            match &rows {
                Rows::One(id) => via.eq(id.clone()),
                Rows::Of(select) => via.in_subquery((**select).clone()),
            }
        })
        .reduce(ExprTrait::or)
        .unwrap_or_else(nothing)
}

/// The rows of the last model of `chain` that the cascade has reached: on
/// a delete, those it deactivated (inactive and marked); on a restore,
/// those active now.
fn level(
    chain: &[&'static ModelInfo],
    access: &Reach<Value>,
    parent_id: Value,
    action: Cascade,
) -> Rows {
    let Some((&model, above)) = chain.split_last() else {
        return Rows::One(parent_id);
    };
    if above.is_empty() {
        return Rows::One(parent_id);
    }
    let alias = format!("tenancy_cascade_{}", chain.len());
    let mut select = Query::select();
    select
        .column((Alias::new(&alias), model.id_column))
        .from_as(model.table, Alias::new(&alias));
    // Sub-selects of the scope predicate get aliases of their own.
    if let Some(predicate) = scope_predicate(model, access, Purpose::Read, &alias, 10 * chain.len())
    {
        select.and_where(predicate);
    }
    select.and_where(child_of(model, &alias, above, access, parent_id, action));
    if let Some(soft) = model.soft_delete {
        let active = column(&alias, soft.active);
        match (action, soft.marker) {
            (Cascade::Deactivate, Some(marker)) => {
                select
                    .and_where(active.eq(literal(false)))
                    .and_where(column(&alias, marker).eq(literal(true)));
            }
            (Cascade::Deactivate, None) => {
                select.and_where(active.eq(literal(false)));
            }
            (Cascade::Restore, _) => {
                select.and_where(active.eq(literal(true)));
            }
        }
    }
    Rows::Of(Box::new(select))
}

/// No row of a model that cascades to `child` and is deleted is referenced
/// by the child row: the condition for bringing a marked child back.
fn no_parent_holds(child: &'static ModelInfo, access: &Reach<Value>) -> Expr {
    child
        .references
        .iter()
        .filter_map(|reference| {
            let parent = (reference.target)();
            let cascades_here = parent
                .cascades
                .iter()
                .any(|declared| std::ptr::eq(declared(), child));
            let soft = parent.soft_delete.filter(|_| cascades_here)?;
            let alias = format!("tenancy_holder_{}", reference.column);
            let mut held = Query::select();
            held.expr(Expr::cust("1"))
                .from_as(parent.table, Alias::new(&alias))
                .and_where(
                    column(&alias, parent.id_column).eq(column(child.table, reference.column)),
                )
                .and_where(column(&alias, soft.active).eq(literal(false)));
            if let Some(predicate) = scope_predicate(parent, access, Purpose::Read, &alias, 90) {
                held.and_where(predicate);
            }
            Some(Expr::exists(held).not())
        })
        .reduce(ExprTrait::and)
        .unwrap_or_else(|| literal(true))
}
