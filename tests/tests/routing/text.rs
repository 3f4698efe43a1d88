//! (b) Text: the organization predicates of a statement, read from its SQL
//! on either backend. What Citus routes by is the value each distributed
//! table's column is compared with, so the check asks for that of every
//! tenant table a statement names; the plans (`plan.rs`) say whether
//! PostgreSQL draws the same conclusion.

use sqlx::{Postgres, Sqlite};
use tenancy_core::sea_query::{Value, Values};
use tenancy_core::{Backend, Id, OrgId};

use crate::cases::{Case, cases, join_cases};
use crate::schema::{Batch, Ingredient, Kitchen, Recipe, TABLES, org_value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    Sqlite,
}

/// The placeholder at byte `at` of `sql`, if there is one, and bound to
/// `org` when the values are known: its length. SQLite's `?` are numbered
/// by how many come before.
fn bound_placeholder(
    sql: &str,
    at: usize,
    values: Option<&Values>,
    org: &Value,
    dialect: Dialect,
) -> Option<usize> {
    let rest = &sql[at..];
    let (index, len) = match dialect {
        Dialect::Postgres => {
            let digits = rest
                .strip_prefix('$')?
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            let n: usize = rest.get(1..=digits)?.parse().ok()?;
            (n.checked_sub(1)?, digits + 1)
        }
        Dialect::Sqlite => (
            sql[..at].matches('?').count(),
            rest.starts_with('?').then_some(1)?,
        ),
    };
    values
        .is_none_or(|values| values.0.get(index) == Some(org))
        .then_some(len)
}

/// The spans of the parenthesized groups that enclose byte `at` of `sql`,
/// innermost first, then the whole statement.
fn enclosing_groups(sql: &str, at: usize) -> Vec<(usize, usize)> {
    let mut open = Vec::new();
    for (i, c) in sql[..at].char_indices() {
        match c {
            '(' => open.push(i),
            ')' => {
                open.pop();
            }
            _ => {}
        }
    }
    let mut groups = Vec::new();
    for &start in open.iter().rev() {
        let mut depth = 0;
        let mut end = sql.len();
        for (i, c) in sql[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = start + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        groups.push((start + 1, end));
    }
    groups.push((0, sql.len()));
    groups
}

/// The text of `sql[start..end]` outside nested parentheses.
fn top_level(sql: &str, (start, end): (usize, usize)) -> String {
    let mut depth = 0;
    let mut out = String::new();
    for c in sql[start..end].chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether the predicate at byte `at` is a conjunct, one that no row
/// escapes: it follows `WHERE`, `ON` or `AND`, and no group around it (nor
/// the statement) has an `OR` at its own level.
fn is_conjunct(sql: &str, at: usize) -> bool {
    let before = sql[..at].trim_end();
    let follows = ["WHERE", "AND", "ON"].iter().any(|k| before.ends_with(k));
    follows
        && enclosing_groups(sql, at)
            .into_iter()
            .all(|group| !top_level(sql, group).contains(" OR "))
}

/// The tenant tables a statement names after `FROM`, `JOIN`, `UPDATE` or
/// `INSERT INTO`, with the name each is qualified by (its alias, or its
/// own name), and whether it is an insert's target.
fn tenant_references(sql: &str) -> Vec<(&'static str, String, bool)> {
    let mut out = Vec::new();
    for keyword in ["FROM \"", "JOIN \"", "UPDATE \"", "INSERT INTO \""] {
        for (at, _) in sql.match_indices(keyword) {
            let rest = &sql[at + keyword.len()..];
            let Some(end) = rest.find('"') else { continue };
            let Some(table) = TABLES.into_iter().find(|t| *t == &rest[..end]) else {
                continue;
            };
            let qualifier = match rest[end + 1..].strip_prefix(" AS \"") {
                Some(alias) => alias[..alias.find('"').unwrap_or(0)].to_owned(),
                None => table.to_owned(),
            };
            out.push((table, qualifier, keyword == "INSERT INTO \""));
        }
    }
    out
}

/// Whether `"<qualifier>"."organization_id" = <placeholder bound to org>`
/// is a conjunct of `sql`.
fn bound_to_org(
    sql: &str,
    qualifier: &str,
    values: Option<&Values>,
    org: &Value,
    dialect: Dialect,
) -> bool {
    let needle = format!("\"{qualifier}\".\"organization_id\" = ");
    sql.match_indices(&needle).any(|(at, _)| {
        is_conjunct(sql, at)
            && bound_placeholder(sql, at + needle.len(), values, org, dialect).is_some()
    })
}

/// Whether an insert into `table` (`INSERT INTO "t" (<columns>) VALUES
/// (..)` or `.. SELECT ..`) gives its organization column a placeholder
/// bound to `org`, and nothing more.
fn insert_binds_org(
    sql: &str,
    table: &str,
    values: Option<&Values>,
    org: &Value,
    dialect: Dialect,
) -> bool {
    let head = format!("INSERT INTO \"{table}\" (");
    let Some(columns_at) = sql.find(&head).map(|at| at + head.len()) else {
        return false;
    };
    let Some(columns_len) = sql[columns_at..].find(')') else {
        return false;
    };
    let columns = sql[columns_at..columns_at + columns_len].split(", ");
    let Some(index) = columns.into_iter().position(|c| c == "\"organization_id\"") else {
        return false;
    };
    let rest_at = columns_at + columns_len + 1;
    let Some(list_at) = [" VALUES (", " SELECT "]
        .into_iter()
        .find(|start| sql[rest_at..].starts_with(start))
        .map(|start| rest_at + start.len())
    else {
        return false;
    };
    // The expressions of the list, split at top-level commas.
    let (mut depth, mut item, mut item_start) = (0, 0, list_at);
    for (i, c) in sql[list_at..].char_indices() {
        let at = list_at + i;
        let ends_list = depth == 0
            && (c == ')'
                || sql[at..].starts_with(" WHERE ")
                || sql[at..].starts_with(" RETURNING "));
        if ends_list || (depth == 0 && c == ',') {
            if item == index {
                let expression = sql[item_start..at].trim();
                let start = at - sql[item_start..at].trim_start().len();
                return bound_placeholder(sql, start, values, org, dialect)
                    == Some(expression.len());
            }
            if ends_list {
                return false;
            }
            (item, item_start) = (item + 1, at + 1);
        }
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
    }
    false
}

/// Checks the text of a statement generated for `org`. For every tenant
/// table the statement names after `FROM`, `JOIN`, `UPDATE` or `INSERT
/// INTO` (with the alias it is given):
///
/// - for an insert's target, the column list includes `organization_id`
///   and the expression in its position is a placeholder;
/// - for every other, `"<alias>"."organization_id" = <placeholder>` is a
///   conjunct (after `WHERE`, `ON` or `AND`, with no `OR` at the level of
///   any group around it); equality with another table's column is not
///   enough (it was the join's defect: PostgreSQL and Citus cannot route
///   by it at plan time);
///
/// and, when `values` are given, each such placeholder is bound to `org`
/// (`$n` is value `n`; SQLite's `?` are numbered in order). Returns the
/// number of tables checked.
pub(crate) fn check_text(
    sql: &str,
    values: Option<&Values>,
    org: &Value,
    dialect: Dialect,
) -> Result<usize, String> {
    let references = tenant_references(sql);
    if references.is_empty() {
        return Err(format!("names no tenant table: {sql}"));
    }
    for (table, qualifier, inserted) in &references {
        let ok = if *inserted {
            insert_binds_org(sql, table, values, org, dialect)
        } else {
            bound_to_org(sql, qualifier, values, org, dialect)
        };
        if !ok {
            return Err(format!(
                "{table} (as {qualifier}) has no organization predicate bound to {org:?}: {sql}"
            ));
        }
    }
    Ok(references.len())
}

/// A kitchen no database holds: the statements need ids, not rows.
fn made_up(org: OrgId) -> Kitchen {
    let id = |n| org.get() * 10 + n;
    let recipe = |n| Recipe {
        id: Id::new(id(n)),
        organization_id: org,
        name: "Lavender soap".into(),
        is_active: true,
    };
    let batch = |n| Batch {
        id: Id::new(id(n)),
        organization_id: org,
        recipe_id: Id::new(id(1)),
        label: "B1".into(),
        is_active: true,
        deactivated_with_parent: false,
    };
    let ingredient = |n| Ingredient {
        id: Id::new(id(n)),
        organization_id: org,
        name: "Lye".into(),
        stock: 5,
    };
    Kitchen {
        org,
        recipes: [recipe(1), recipe(2)],
        batches: [batch(1), batch(2), batch(3)],
        ingredients: [ingredient(1), ingredient(2)],
    }
}

fn every_case<DB: Backend>(k: &Kitchen, foreign: &Kitchen) -> Vec<Case> {
    let mut all = cases::<DB>(k, foreign);
    all.extend(join_cases::<DB>(k));
    all
}

#[test]
fn every_generated_statement_names_its_organization() {
    let (k, foreign) = (made_up(OrgId::new(101)), made_up(OrgId::new(102)));
    let (org, other) = (org_value(k.org), org_value(foreign.org));
    let (mut statements, mut predicates) = (0, 0);
    for (dialect, cases) in [
        (Dialect::Postgres, every_case::<Postgres>(&k, &foreign)),
        (Dialect::Sqlite, every_case::<Sqlite>(&k, &foreign)),
    ] {
        for case in cases {
            let values = Some(&case.values);
            predicates += check_text(&case.sql, values, &org, dialect)
                .unwrap_or_else(|e| panic!("{} ({dialect:?}): {e}", case.label));
            let refused = check_text(&case.sql, values, &other, dialect);
            assert!(
                refused.is_err(),
                "{}: passes for another organization",
                case.label
            );
            statements += 1;
        }
    }
    eprintln!(
        "routing: {statements} generated statements (both backends) carry {predicates} \
         organization predicates"
    );
    assert_eq!(statements, 2 * 30);
}
