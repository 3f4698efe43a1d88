//! A cache of request contexts that is checked against the database on
//! every use, so that it cannot serve a revoked role.
//!
//! Reading a request's context (principal, organization, membership,
//! owner, billing, permissions) is one statement, but a heavy one: it
//! touches every access table. Most requests repeat the previous one's
//! answer, so the cache keeps it, and verifies it with one indexed lookup
//! instead: the session (still valid, still acting in the same
//! organization) and `access_version.version`, a counter that triggers on
//! every access table (users, organizations, memberships, roles, role
//! permissions, role assignments, permissions, tiers) bump in the same
//! transaction as the change. A context is served only when the counter
//! has not moved since the statement that read it, so no write by any path,
//! any app instance or a hand-written `UPDATE` can leave it stale. A moved
//! counter costs that request a second statement, the full read.
//!
//! Billing deadlines are not cached answers: the context holds the stored
//! billing state, and the gate weighs it against the clock on every request.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sqlx::Acquire;

use super::session::{Credential, RequestContext};
use super::store::{AccessStore, Live, Lookup};
use crate::error::Result;
use crate::id::OrgId;

/// How many contexts [`ContextCache::default`] keeps.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Request contexts, each served only after the database confirms it still
/// holds: one indexed lookup reads the session (still valid, still acting
/// in the same organization) and `access_version`, a counter that triggers
/// bump in the same transaction as any change of an access table (users,
/// organizations, memberships, roles, role permissions, role assignments,
/// permissions, tiers). A context is served only while the counter has not
/// moved since the statement that read it; otherwise it is read again.
/// Writes with triggers disabled (PostgreSQL's `session_replication_role =
/// replica`) must bump the counter themselves.
///
/// One cache serves one database: share it (it is cheap to clone) between
/// the app's handlers, never between databases.
#[derive(Clone)]
pub struct ContextCache {
    inner: Arc<Inner>,
}

struct Inner {
    capacity: usize,
    entries: quick_cache::sync::Cache<Key, Arc<Entry>>,
    hits: AtomicU64,
    reloads: AtomicU64,
    misses: AtomicU64,
}

/// A context is cached per credential and organization asked for.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    lookup: Lookup,
    requested: Option<OrgId>,
}

struct Entry {
    context: Arc<RequestContext>,
    version: i64,
}

impl Entry {
    /// Whether what the check read now is what the context was read from.
    fn holds(&self, live: &Live) -> bool {
        let context = &self.context;
        let session_holds = match live.session {
            Some((session, user, selected_org)) => {
                context.session == Some(session)
                    && context.user == user
                    && context.selected_org == selected_org
            }
            None => context.session.is_none(),
        };
        session_holds && live.version == self.version
    }
}

/// How a [`ContextCache`] has served so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Contexts served after a check alone.
    pub hits: u64,
    /// Contexts read again because an access table or the session changed
    /// since they were cached.
    pub reloads: u64,
    /// Contexts read because none was cached.
    pub misses: u64,
}

impl ContextCache {
    /// A cache of at most `capacity` contexts (one per session and
    /// organization asked for); the least used go first. A `capacity` of 0
    /// keeps nothing: every request reads its context in full.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                capacity,
                entries: quick_cache::sync::Cache::new(capacity.max(1)),
                hits: AtomicU64::new(0),
                reloads: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// The context of a request, as [`request_context`](super::request_context)
    /// reads it: from the cache when one indexed lookup confirms it still
    /// holds, else by the full statement (one round trip when nothing was
    /// cached, two when the cached context went stale).
    ///
    /// `None` when the credential proves nobody (an unknown, expired or
    /// revoked token); nothing is cached for it.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when a statement fails.
    pub async fn request_context<'c, A, DB>(
        &self,
        conn: A,
        credential: &Credential,
        requested: Option<OrgId>,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<RequestContext>>>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: AccessStore,
    {
        let key = Key {
            lookup: credential.lookup(),
            requested,
        };
        let mut conn = crate::exec::acquire(conn).await?;
        let cached = self.inner.entries.get(&key);
        if let Some(entry) = &cached {
            let Some(live) = DB::__check(&mut **conn, &key.lookup, now).await? else {
                self.inner.entries.remove(&key);
                return Ok(None);
            };
            if entry.holds(&live) {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(Arc::clone(&entry.context)));
            }
        }
        let counter = if cached.is_some() {
            &self.inner.reloads
        } else {
            &self.inner.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let Some(read) = DB::__request_context(&mut **conn, &key.lookup, requested, now).await?
        else {
            self.inner.entries.remove(&key);
            return Ok(None);
        };
        let context = Arc::new(read.context);
        let entry = Arc::new(Entry {
            context: Arc::clone(&context),
            version: read.version,
        });
        if self.inner.capacity > 0 {
            self.inner.entries.insert(key, entry);
        }
        Ok(Some(context))
    }

    /// How the cache has served so far.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            reloads: self.inner.reloads.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
        }
    }

    /// The number of contexts cached now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether no context is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }
}

impl Default for ContextCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for ContextCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextCache")
            .field("len", &self.len())
            .field("capacity", &self.inner.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}
