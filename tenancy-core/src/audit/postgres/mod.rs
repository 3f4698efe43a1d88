//! The catalog of a PostgreSQL database, from `pg_catalog`: the tables of
//! `current_schema()` only, with the declared tables' names bound as one
//! array parameter, and the views of every schema but PostgreSQL's own,
//! which read those tables wherever they are.

use std::collections::HashMap;

use sqlx::Postgres;

mod side_doors;

use super::check::{
    Catalog, ColumnInfo, ForeignKeyInfo, IndexInfo, RoleInfo, SecurityInfo, TableInfo,
    expected_policies,
};
use crate::ddl::{self, Models};
use crate::error::Result;

/// Ordinary and partitioned tables (partitions aside): row-level security,
/// and the owner when the connected role owns the table or is a member of
/// its owner.
const TABLES: &str = "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
        CASE WHEN pg_has_role(c.relowner, 'MEMBER') THEN pg_get_userbyid(c.relowner)::text END
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition";

/// The columns of the declared tables.
const COLUMNS: &str = "SELECT c.relname::text, a.attname::text, NOT a.attnotnull
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
        AND c.relname::text = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum";

/// The indexes of the declared tables (those of primary keys and unique
/// constraints included), with their key columns in order: a column's
/// name, or an expression's text.
const INDEXES: &str = "SELECT c.relname::text, i.relname::text, x.indisunique, x.indisprimary,
        ARRAY(SELECT coalesce(a.attname::text, pg_catalog.pg_get_indexdef(x.indexrelid, k.ord::int, true))
            FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            LEFT JOIN pg_catalog.pg_attribute AS a
                ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
            WHERE k.ord <= x.indnkeyatts
            ORDER BY k.ord)
    FROM pg_catalog.pg_index AS x
    JOIN pg_catalog.pg_class AS c ON c.oid = x.indrelid
    JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname::text = ANY($1)
    ORDER BY c.relname, i.relname";

/// The foreign keys of the declared tables to tables of the same schema,
/// with their columns in order. Keys cloned for partitions of a
/// partitioned target (`conparentid` set) are left out: the key on the
/// parent says it all.
const FOREIGN_KEYS: &str = "SELECT c.relname::text, t.relname::text,
        ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
            ORDER BY k.ord),
        ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
            ORDER BY k.ord)
    FROM pg_catalog.pg_constraint AS con
    JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_class AS t ON t.oid = con.confrelid AND t.relnamespace = n.oid
    WHERE con.contype = 'f' AND con.conparentid = 0
        AND n.nspname = current_schema() AND c.relname::text = ANY($1)
    ORDER BY c.relname, con.conname";

/// The row-level security policies of the declared tables.
const POLICIES: &str = "SELECT c.relname::text, p.polname::text, p.polpermissive
    FROM pg_catalog.pg_policy AS p
    JOIN pg_catalog.pg_class AS c ON c.oid = p.polrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname::text = ANY($1)
    ORDER BY c.relname, p.polname";

/// The connected role.
const ROLE: &str = "SELECT current_user::text, r.rolsuper, r.rolbypassrls
    FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user";

/// The tenancy settings with a value on this connection, outside any
/// transaction: whatever put them there (a role or database default, the
/// server's configuration, the connection's options, a session `SET`).
const TENANT_SETTINGS: &str = "SELECT name, value FROM (VALUES
        ($1, current_setting($1, true))) AS s(name, value)
    WHERE coalesce(value, '') <> ''";

/// The roles `tenancy_system` policies are `TO` that the connected role is
/// a member of, or `PUBLIC` for policies that apply to every role. A member
/// without `INHERIT` counts too: it may `SET ROLE` to the system role. A member
/// without `INHERIT` counts too: it may `SET ROLE` to the system role.
const ACROSS_ORGS_THROUGH: &str = "SELECT DISTINCT CASE WHEN o.oid = 0 THEN 'PUBLIC' \
        ELSE pg_catalog.pg_get_userbyid(o.oid)::text END
    FROM pg_catalog.pg_policy AS p, unnest(p.polroles) AS o (oid)
    WHERE p.polname = 'tenancy_system'
      AND (o.oid = 0 OR pg_catalog.pg_has_role(current_user, o.oid, 'MEMBER'))
    ORDER BY 1";

/// Reads what the audit compares: every table of the current schema, the
/// details of the declared ones (their partitions included), the views of
/// every schema and the connected role, on one connection.
pub(super) async fn catalog(pool: &sqlx::Pool<Postgres>, models: &Models) -> Result<Catalog> {
    let mut connection = pool.acquire().await?;
    let connection = &mut *connection;
    let declared: Vec<&str> = models.tables().collect();

    let mut details: HashMap<String, TableInfo> = HashMap::new();
    let columns: Vec<(String, String, bool)> = sqlx::query_as(COLUMNS)
        .bind(&declared)
        .fetch_all(&mut *connection)
        .await?;
    for (table, name, nullable) in columns {
        let info = details.entry(table).or_default();
        info.columns.push(ColumnInfo { name, nullable });
    }
    let indexes: Vec<(String, String, bool, bool, Vec<String>)> = sqlx::query_as(INDEXES)
        .bind(&declared)
        .fetch_all(&mut *connection)
        .await?;
    for (table, name, unique, primary, columns) in indexes {
        details.entry(table).or_default().indexes.push(IndexInfo {
            name,
            columns,
            unique,
            primary,
        });
    }
    let foreign_keys: Vec<(String, String, Vec<String>, Vec<String>)> =
        sqlx::query_as(FOREIGN_KEYS)
            .bind(&declared)
            .fetch_all(&mut *connection)
            .await?;
    for (table, target, columns, target_columns) in foreign_keys {
        details
            .entry(table)
            .or_default()
            .foreign_keys
            .push(ForeignKeyInfo {
                columns,
                target,
                target_columns,
            });
    }
    let policies: Vec<(String, String, bool)> = sqlx::query_as(POLICIES)
        .bind(&declared)
        .fetch_all(&mut *connection)
        .await?;
    let mut policies_by_table: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for (table, name, permissive) in policies {
        policies_by_table
            .entry(table)
            .or_default()
            .push((name, permissive));
    }

    let tables: Vec<(String, bool, bool, Option<String>)> =
        sqlx::query_as(TABLES).fetch_all(&mut *connection).await?;
    let mut catalog = Catalog::default();
    for (name, enabled, forced, owned_through) in tables {
        let mut info = details.remove(&name).unwrap_or_default();
        info.security = Some(SecurityInfo {
            enabled,
            forced,
            policies: policies_by_table.remove(&name).unwrap_or_default(),
            owned_through,
        });
        catalog.tables.insert(name, info);
    }
    // The tables `ddl::row_level_security` writes policies for.
    let statements = ddl::row_level_security(models);
    let tenant: Vec<&str> = models
        .iter()
        .filter(|model| !expected_policies(&statements, model).is_empty())
        .map(|model| model.table)
        .collect();
    side_doors::tables(connection, &declared, &tenant, &mut catalog).await?;
    catalog.views = side_doors::views(connection, &tenant).await?;
    let (name, superuser, bypass_rls): (String, bool, bool) =
        sqlx::query_as(ROLE).fetch_one(&mut *connection).await?;
    let tenant_settings: Vec<(String, String)> = sqlx::query_as(TENANT_SETTINGS)
        .bind(ddl::ORG_SETTING)
        .fetch_all(&mut *connection)
        .await?;
    let across_orgs_through: Vec<String> = sqlx::query_scalar(ACROSS_ORGS_THROUGH)
        .fetch_all(&mut *connection)
        .await?;
    catalog.role = Some(RoleInfo {
        name,
        superuser,
        bypass_rls,
        tenant_settings,
        across_orgs_through,
    });
    Ok(catalog)
}
