//! What the audit reads of the ways past row-level security: exclusion
//! constraints and partitions of the declared tables, and the views of
//! every schema (PostgreSQL's own aside) with what they read.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::super::check::Catalog;
use super::super::side_doors::{ExclusionInfo, PartitionInfo, ViewGraph, ViewInfo};
use crate::error::Result;

/// The exclusion constraints of the declared tables: each element's column
/// (or expression's text) and operator, in order.
const EXCLUSIONS: &str = "SELECT c.relname::text, con.conname::text, am.amname::text,
        ARRAY(SELECT coalesce(a.attname::text, pg_catalog.pg_get_indexdef(x.indexrelid, k.ord::int, true))
            FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            LEFT JOIN pg_catalog.pg_attribute AS a
                ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
            WHERE k.ord <= x.indnkeyatts
            ORDER BY k.ord),
        ARRAY(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY AS e(op, ord)
            JOIN pg_catalog.pg_operator AS o ON o.oid = e.op
            ORDER BY e.ord)
    FROM pg_catalog.pg_constraint AS con
    JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_index AS x ON x.indexrelid = con.conindid
    JOIN pg_catalog.pg_class AS i ON i.oid = con.conindid
    JOIN pg_catalog.pg_am AS am ON am.oid = i.relam
    WHERE con.contype = 'x' AND n.nspname = current_schema() AND c.relname::text = ANY($1)
    ORDER BY c.relname, con.conname";

/// Every partition, at every depth, of the tenant tables ($1): its own
/// row-level security and policies, and whether the connected role may
/// read or write it (a column's privilege is enough to read or write it).
const PARTITIONS: &str = "SELECT t.relname::text, c.oid::regclass::text,
        c.relrowsecurity, c.relforcerowsecurity,
        ARRAY(SELECT p.polname::text FROM pg_catalog.pg_policy AS p
            WHERE p.polrelid = c.oid ORDER BY p.polname),
        ARRAY(SELECT p.polpermissive FROM pg_catalog.pg_policy AS p
            WHERE p.polrelid = c.oid ORDER BY p.polname),
        has_schema_privilege(c.relnamespace, 'USAGE')
            AND (has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE')
                OR has_table_privilege(c.oid, 'DELETE'))
    FROM pg_catalog.pg_class AS t
    JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.oid) AS tree
    JOIN pg_catalog.pg_class AS c ON c.oid = tree.relid
    WHERE n.nspname = current_schema() AND t.relkind = 'p' AND t.relname::text = ANY($1)
        AND tree.relid <> t.oid
    ORDER BY t.relname, tree.level, c.relname";

/// Views and materialized views outside PostgreSQL's own schemas: a view
/// in another schema reads the tenant tables as well as one beside them.
/// `security_invoker` is read as PostgreSQL reads a boolean option.
const VIEWS: &str = r"SELECT c.oid::int8, c.oid::regclass::text, c.relkind = 'm',
        coalesce((SELECT o.option_value::boolean
            FROM pg_catalog.pg_options_to_table(c.reloptions) AS o
            WHERE o.option_name = 'security_invoker'), false),
        c.relowner::int8, pg_catalog.pg_get_userbyid(c.relowner)::text,
        has_schema_privilege(c.relnamespace, 'USAGE') AND has_any_column_privilege(c.oid, 'SELECT')
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'";

/// The relations each of those views reads directly: the dependencies of
/// its rewrite rule.
const VIEW_READS: &str = r"SELECT DISTINCT r.ev_class::int8, d.refobjid::int8
    FROM pg_catalog.pg_rewrite AS r
    JOIN pg_catalog.pg_class AS v ON v.oid = r.ev_class
    JOIN pg_catalog.pg_namespace AS n ON n.oid = v.relnamespace
    JOIN pg_catalog.pg_depend AS d ON d.classid = 'pg_catalog.pg_rewrite'::regclass
        AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
        AND d.refobjid <> r.ev_class
    WHERE v.relkind IN ('v', 'm')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'";

/// The tenant tables ($1) and their partitions, each with the roles, of
/// views' owners and the connected one, that its row-level security does
/// not hold: superusers, roles with `BYPASSRLS`, its owner (or a member of
/// it) when it is not forced, and members of the system role its
/// `tenancy_system` policy lets through (a view a system login owns reads
/// every organization).
const TENANT_RELATIONS: &str = "WITH roots AS (
        SELECT t.oid FROM pg_catalog.pg_class AS t
        JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
        WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND t.relname::text = ANY($1)),
    tenant AS (
        SELECT oid FROM roots
        UNION SELECT tree.relid FROM roots CROSS JOIN LATERAL pg_catalog.pg_partition_tree(roots.oid) AS tree)
    SELECT c.oid::int8, c.oid::regclass::text,
        ARRAY(SELECT r.oid::int8 FROM pg_catalog.pg_roles AS r
            WHERE (r.rolname = current_user OR r.oid IN (SELECT v.relowner FROM pg_catalog.pg_class AS v
                    WHERE v.relkind IN ('v', 'm')))
                AND (r.rolsuper OR r.rolbypassrls
                    OR (pg_catalog.pg_has_role(r.oid, c.relowner, 'USAGE') AND NOT c.relforcerowsecurity)
                    OR EXISTS (SELECT FROM pg_catalog.pg_policy AS p, unnest(p.polroles) AS o (oid)
                        WHERE p.polrelid = c.oid AND p.polname = 'tenancy_system' AND o.oid <> 0
                            AND pg_catalog.pg_has_role(r.oid, o.oid, 'USAGE'))))
    FROM tenant JOIN pg_catalog.pg_class AS c ON c.oid = tenant.oid";

/// The connected role's oid.
const ROLE: &str = "SELECT oid::int8 FROM pg_catalog.pg_roles WHERE rolname = current_user";

/// Adds the exclusion constraints of the `declared` tables and the
/// partitions of the `tenant` ones to their tables in `catalog`.
pub(super) async fn tables(
    connection: &mut PgConnection,
    declared: &[&str],
    tenant: &[&str],
    catalog: &mut Catalog,
) -> Result<()> {
    type Exclusion = (String, String, String, Vec<String>, Vec<String>);
    let exclusions: Vec<Exclusion> = sqlx::query_as(EXCLUSIONS)
        .bind(declared)
        .fetch_all(&mut *connection)
        .await?;
    for (table, name, method, columns, operators) in exclusions {
        if let Some(info) = catalog.tables.get_mut(&table) {
            info.exclusions.push(ExclusionInfo {
                name,
                method,
                elements: columns.into_iter().zip(operators).collect(),
            });
        }
    }
    type Partition = (String, String, bool, bool, Vec<String>, Vec<bool>, bool);
    let partitions: Vec<Partition> = sqlx::query_as(PARTITIONS)
        .bind(tenant)
        .fetch_all(&mut *connection)
        .await?;
    for (table, name, enabled, forced, policies, permissive, accessible) in partitions {
        if let Some(info) = catalog.tables.get_mut(&table) {
            info.partitions.push(PartitionInfo {
                name,
                enabled,
                forced,
                policies: policies.into_iter().zip(permissive).collect(),
                accessible,
            });
        }
    }
    Ok(())
}

/// The views, what they read, and the roles row-level security does not
/// hold on the `tenant` tables and their partitions.
pub(super) async fn views(connection: &mut PgConnection, tenant: &[&str]) -> Result<ViewGraph> {
    let mut graph = ViewGraph {
        role: sqlx::query_scalar(ROLE).fetch_one(&mut *connection).await?,
        ..ViewGraph::default()
    };
    type View = (i64, String, bool, bool, i64, String, bool);
    let views: Vec<View> = sqlx::query_as(VIEWS).fetch_all(&mut *connection).await?;
    for (oid, name, materialized, invoker, owner, owner_name, readable) in views {
        let view = ViewInfo {
            name,
            materialized,
            invoker,
            owner,
            owner_name,
            readable,
        };
        graph.views.insert(oid, view);
    }
    let reads: Vec<(i64, i64)> = sqlx::query_as(VIEW_READS)
        .fetch_all(&mut *connection)
        .await?;
    let mut by_view: HashMap<i64, Vec<i64>> = HashMap::new();
    for (view, relation) in reads {
        by_view.entry(view).or_default().push(relation);
    }
    graph.reads = by_view;
    let relations: Vec<(i64, String, Vec<i64>)> = sqlx::query_as(TENANT_RELATIONS)
        .bind(tenant)
        .fetch_all(&mut *connection)
        .await?;
    for (oid, name, escaping) in relations {
        graph.tenant.insert(oid, name);
        graph
            .escapes
            .extend(escaping.into_iter().map(|role| (role, oid)));
    }
    Ok(graph)
}
