//! A ready isolation check for your own models, to run in your test suite
//! (feature `testing`).
//!
//! [`assert_isolated`] inserts rows of a model into two organizations
//! through the library, then checks from each side that the other's rows are
//! absent: not listed, not counted, not found, not deleted (and, with soft
//! delete, not restored), and still intact afterwards. It runs on your
//! schema, so it also catches a migration that broke what the model
//! promises, such as a unique key without the organization column.
//!
//! ```no_run
//! # use tenancy_core::{Id, OrgId, Scoped};
//! # #[derive(Scoped)]
//! # #[tenancy(table = "recipes")]
//! # struct Recipe { id: Id<Recipe>, organization_id: OrgId, name: String }
//! # async fn demo(pool: sqlx::SqlitePool) {
//! tenancy_core::testing::assert_isolated::<Recipe, _>(
//!     &pool,
//!     [OrgId::new(1), OrgId::new(2)],
//!     async |org, n| NewRecipe { name: format!("recipe {n} of {org}") },
//! )
//! .await;
//! # }
//! ```

use std::collections::BTreeSet;

use crate::error::Error;
use crate::id::{Id, OrgId};
use crate::model::{Changeable, Insertable, Scoped, Stores};
use crate::scope::Scope;
use crate::{Backend, Select};

/// How many rows each organization gets.
const ROWS_PER_ORG: usize = 3;

/// Checks that rows of `M` in each of `orgs` are invisible and untouchable
/// from the other, making rows with `make(org, n)`.
///
/// `make` may write what a row needs first (a parent row of the same
/// organization, for an inherited model). Rows of shared tables that are
/// system rows (no organization) are ignored: every organization may see
/// them. It writes, updates and deletes rows, so it checks models whose
/// rows may change (not `append_only` or `read_only` ones, whose finds and
/// lists are scoped by the same statements).
///
/// # Panics
///
/// When isolation is broken, with a message naming the operation and the
/// row; and when the database refuses the rows `make` describes.
pub async fn assert_isolated<M, DB>(
    pool: &sqlx::Pool<DB>,
    orgs: [OrgId; 2],
    mut make: impl AsyncFnMut(OrgId, usize) -> M::New,
) where
    M: Scoped + Insertable + Changeable,
    DB: Stores<M>,
    DB: Backend,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    assert_ne!(
        orgs[0], orgs[1],
        "assert_isolated needs two different organizations"
    );
    let table = M::__model().table;
    let mut created: [Vec<Id<M>>; 2] = [Vec::new(), Vec::new()];
    for (side, org) in orgs.iter().enumerate() {
        let scope = Scope::for_job(*org, "tenancy isolation check");
        for n in 0..ROWS_PER_ORG {
            let new = make(*org, n).await;
            let row = M::insert(&scope, new)
                .execute(pool)
                .await
                .unwrap_or_else(|e| panic!("inserting a `{table}` row for {org:?} failed: {e:?}"));
            created[side].push(row.id());
        }
    }
    for (side, org) in orgs.iter().enumerate() {
        let scope = Scope::for_job(*org, "tenancy isolation check");
        let own: BTreeSet<_> = created[side].iter().copied().collect();
        let other: BTreeSet<_> = created[1 - side].iter().copied().collect();
        let visible = ids(M::select(&scope), pool).await;
        assert!(
            own.is_subset(&visible),
            "`{table}`: {org:?} does not see all of its own rows"
        );
        let leaked: Vec<_> = visible.intersection(&other).collect();
        assert!(
            leaked.is_empty(),
            "`{table}`: {org:?} lists another organization's rows {leaked:?}"
        );
        for id in &other {
            let found = M::find(&scope, *id).fetch_optional(pool).await;
            assert!(
                matches!(found, Ok(None)),
                "`{table}`: {org:?} finds another organization's row {id:?}: {:?}",
                found.map(|row| row.map(|row| row.id()))
            );
            let deleted = M::delete(&scope, *id).execute(pool).await;
            assert!(
                matches!(deleted, Err(Error::NotFound { .. })),
                "`{table}`: {org:?} deleting another organization's row {id:?} gave {deleted:?}, not NotFound"
            );
            let updated = M::update(&scope, *id).execute(pool).await;
            assert!(
                matches!(updated, Err(Error::NotFound { .. })),
                "`{table}`: {org:?} updating another organization's row {id:?} gave {:?}, not NotFound",
                updated.map(|row| row.id())
            );
        }
    }
    for (side, org) in orgs.iter().enumerate() {
        let scope = Scope::for_job(*org, "tenancy isolation check");
        let visible = ids(M::select(&scope), pool).await;
        for id in &created[side] {
            assert!(
                visible.contains(id),
                "`{table}`: {org:?}'s row {id:?} did not survive the other organization's attempts"
            );
        }
    }
}

async fn ids<M, DB>(select: Select<M>, pool: &sqlx::Pool<DB>) -> BTreeSet<Id<M>>
where
    M: Scoped + Insertable + Changeable,
    DB: Stores<M>,
    DB: Backend,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let table = M::__model().table;
    select
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("listing `{table}` failed: {e:?}"))
        .iter()
        .map(Scoped::id)
        .collect()
}
