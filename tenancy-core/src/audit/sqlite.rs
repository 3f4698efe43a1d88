//! The catalog of a SQLite database, from `sqlite_master` and the
//! table-valued pragma functions, table names bound as parameters.

use sqlx::{Sqlite, SqliteConnection};

use super::check::{Catalog, ColumnInfo, ForeignKeyInfo, IndexInfo, TableInfo};
use crate::ddl::Models;
use crate::error::Result;

/// The tables of the main database, SQLite's own aside.
const TABLES: &str = r"SELECT name FROM sqlite_master
    WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'";

/// Columns: name, whether null is accepted, position in the primary key
/// (0 when not in it).
const COLUMNS: &str = r#"SELECT name, "notnull" = 0, pk FROM pragma_table_info(?1) ORDER BY cid"#;

/// Indexes and their key columns, in order; `origin` is `pk` for the
/// primary key's index, and `name` is null for an expression.
const INDEXES: &str = r#"SELECT il.name, il."unique" = 1, il.origin = 'pk', ii.name
    FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii
    ORDER BY il.name, ii.seqno"#;

/// Foreign keys, column by column; `to` is null when the key names no
/// columns (it then points at the target's primary key).
const FOREIGN_KEYS: &str = r#"SELECT id, "table", "from", "to"
    FROM pragma_foreign_key_list(?1) ORDER BY id, seq"#;

/// Reads what the audit compares: every table, and the columns, indexes
/// and foreign keys of the declared ones.
pub(super) async fn catalog(pool: &sqlx::Pool<Sqlite>, models: &Models) -> Result<Catalog> {
    let mut connection = pool.acquire().await?;
    let connection = &mut *connection;
    let names: Vec<String> = sqlx::query_scalar(TABLES)
        .fetch_all(&mut *connection)
        .await?;
    let mut catalog = Catalog::default();
    for name in names {
        catalog.tables.insert(name, TableInfo::default());
    }
    for declared in models.tables() {
        if !catalog.tables.contains_key(declared) {
            continue;
        }
        let info = table(connection, declared, &catalog).await?;
        catalog.tables.insert(declared.to_owned(), info);
    }
    Ok(catalog)
}

async fn table(
    connection: &mut SqliteConnection,
    name: &str,
    catalog: &Catalog,
) -> Result<TableInfo> {
    let columns: Vec<(String, bool, i64)> = sqlx::query_as(COLUMNS)
        .bind(name)
        .fetch_all(&mut *connection)
        .await?;
    let rows: Vec<(String, bool, bool, Option<String>)> = sqlx::query_as(INDEXES)
        .bind(name)
        .fetch_all(&mut *connection)
        .await?;
    let mut indexes: Vec<IndexInfo> = Vec::new();
    for (index, unique, primary, column) in rows {
        let column = column.unwrap_or_else(|| "<expression>".to_owned());
        match indexes.last_mut() {
            Some(last) if last.name == index => last.columns.push(column),
            _ => indexes.push(IndexInfo {
                name: index,
                columns: vec![column],
                unique,
                primary,
            }),
        }
    }
    // An `INTEGER PRIMARY KEY` is the rowid itself, with no index of its own.
    let primary_key = primary_key(&columns);
    if !primary_key.is_empty() && !indexes.iter().any(|index| index.primary) {
        indexes.push(IndexInfo {
            name: "PRIMARY KEY".to_owned(),
            columns: primary_key,
            unique: true,
            primary: true,
        });
    }
    let foreign_keys = foreign_keys(connection, name, catalog).await?;
    Ok(TableInfo {
        columns: columns
            .into_iter()
            .map(|(name, nullable, _)| ColumnInfo { name, nullable })
            .collect(),
        indexes,
        foreign_keys,
        ..TableInfo::default()
    })
}

/// The primary key's columns, in key order.
fn primary_key(columns: &[(String, bool, i64)]) -> Vec<String> {
    let mut key: Vec<(i64, String)> = columns
        .iter()
        .filter(|(_, _, position)| *position > 0)
        .map(|(name, _, position)| (*position, name.clone()))
        .collect();
    key.sort();
    key.into_iter().map(|(_, name)| name).collect()
}

async fn foreign_keys(
    connection: &mut SqliteConnection,
    name: &str,
    catalog: &Catalog,
) -> Result<Vec<ForeignKeyInfo>> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(FOREIGN_KEYS)
        .bind(name)
        .fetch_all(&mut *connection)
        .await?;
    let mut keys: Vec<(i64, ForeignKeyInfo)> = Vec::new();
    for (id, target, from, to) in rows {
        // SQLite's names are case-insensitive: name the target as the
        // catalog does.
        let target = catalog
            .tables
            .keys()
            .find(|known| known.eq_ignore_ascii_case(&target))
            .cloned()
            .unwrap_or(target);
        match keys.last_mut() {
            Some((last, key)) if *last == id => {
                key.columns.push(from);
                key.target_columns.extend(to);
            }
            _ => keys.push((
                id,
                ForeignKeyInfo {
                    columns: vec![from],
                    target,
                    target_columns: to.into_iter().collect(),
                },
            )),
        }
    }
    let mut resolved = Vec::with_capacity(keys.len());
    for (_, mut key) in keys {
        // `REFERENCES target` without columns: the target's primary key.
        if key.target_columns.len() != key.columns.len() {
            let columns: Vec<(String, bool, i64)> = sqlx::query_as(COLUMNS)
                .bind(&key.target)
                .fetch_all(&mut *connection)
                .await?;
            key.target_columns = primary_key(&columns);
        }
        resolved.push(key);
    }
    Ok(resolved)
}
