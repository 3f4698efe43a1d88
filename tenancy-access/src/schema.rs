//! The tables of access rules, for each backend, and how the schema-wide
//! tools of `tenancy-core` learn that they are this crate's.
//!
//! Apply them with [`apply`], or copy both files of each backend into your
//! own migrations (`tenancy-access/migrations/`): `0001_access.sql`, the
//! tables, and `0002_access_version.sql`, the version and the triggers that
//! keep [`ContextCache`](crate::ContextCache) from serving a changed
//! context.

use tenancy_core::ddl::Models;

/// The tables on SQLite.
pub const SQLITE: &str = concat!(
    include_str!("../migrations/sqlite/0001_access.sql"),
    include_str!("../migrations/sqlite/0002_access_version.sql"),
);

/// The tables on PostgreSQL.
pub const POSTGRES: &str = concat!(
    include_str!("../migrations/postgres/0001_access.sql"),
    include_str!("../migrations/postgres/0002_access_version.sql"),
);

/// The app's models start from these: the access tables declared as this
/// crate's, so that the schema audit does not report them as undeclared
/// and row-level security leaves them to the access rules, which read
/// them before any organization is named.
///
/// ```
/// let models = tenancy_access::schema::models();
/// assert!(models.library_tables().any(|table| table == "memberships"));
/// ```
#[must_use]
pub fn models() -> Models {
    Models::new()
        .with_library_schema(SQLITE)
        .with_library_schema(POSTGRES)
}

/// Creates the tables, the access version and its triggers.
///
/// # Errors
///
/// [`Error::Database`](tenancy_core::Error::Database) when a statement
/// fails, for instance because the tables exist.
pub async fn apply<DB>(pool: &sqlx::Pool<DB>) -> tenancy_core::Result<()>
where
    DB: crate::AccessStore,
{
    let sql = if <DB as sqlx::Database>::NAME == "PostgreSQL" {
        POSTGRES
    } else {
        SQLITE
    };
    let mut conn = crate::store::acquire(pool).await?;
    sqlx::raw_sql(sql)
        .execute(DB::__executor(&mut **conn))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables of the migrations, as the docs list them.
    const TABLES: [&str; 15] = [
        "subscription_tiers",
        "users",
        "organizations",
        "memberships",
        "permissions",
        "roles",
        "role_permissions",
        "user_role_assignments",
        "user_event_log",
        "stripe_events",
        "sessions",
        "password_credentials",
        "sign_in_attempts",
        "invitations",
        "access_version",
    ];

    #[test]
    fn both_backends_create_the_same_tables() {
        for sql in [SQLITE, POSTGRES] {
            let models = Models::new().with_library_schema(sql);
            assert_eq!(models.library_tables().collect::<Vec<_>>(), TABLES);
        }
        assert_eq!(models().library_tables().count(), TABLES.len());
    }

    /// A new migration file must join `SQLITE` and `POSTGRES`, or its
    /// tables would be neither applied nor declared.
    #[test]
    fn every_migration_file_is_read() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut on_disk = 0;
        for (backend, all) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            for entry in std::fs::read_dir(root.join(backend)).unwrap() {
                let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                assert!(all.contains(&sql));
                on_disk += 1;
            }
        }
        assert_eq!(on_disk, 4);
    }
}
