//! A cache of request contexts that is checked against the database on
//! every use, so that it does not serve a revoked role.
//!
//! Reading a request's context is one statement, but a heavy one: it
//! touches every access table. Most requests repeat the previous one's
//! answer, so [`ContextCache`] keeps it and verifies it with one indexed
//! lookup instead.

use crate::store::KEY;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use super::session::{Credential, RequestContext};
use super::store::{AccessStore, Live, Lookup};
use tenancy_core::OrgId;
use tenancy_core::Result;

/// How many contexts [`ContextCache::default`] keeps.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Request contexts (principal, organization, membership, owner, billing,
/// permissions), each served only after one indexed lookup confirms it
/// still holds.
///
/// The lookup reads the session (still valid, still acting in the same
/// organization) and `access_version.version`, a value that triggers on the
/// access tables (users, organizations, memberships, roles, role
/// permissions, role assignments, permissions, tiers) replace with a new
/// random one in the same transaction as any change of what a context
/// reads. A context is served only while the version is the one read with
/// it, so a change committed by any app instance, by the library or by
/// hand-written SQL is seen on the very next request. A changed version
/// costs that request a second statement, the full read.
///
/// What triggers cannot see must replace the version itself: writes with
/// triggers disabled, and, on SQLite, a rebuilt access table until its
/// triggers are recreated (see `migrations/*/0002_access_version.sql`). The
/// cache checks once, on first use, that every trigger is in place; when one
/// is missing it logs an error and reads every context in full.
///
/// Billing deadlines are not cached answers: the context holds the stored
/// billing state, and the billing gate weighs it against the clock on every
/// request.
///
/// One cache serves one database: share it (it is cheap to clone) between
/// the app's handlers, never between databases.
#[derive(Clone)]
pub struct ContextCache {
    inner: Arc<Inner>,
}

struct Inner {
    capacity: usize,
    /// [`UNCHECKED`], [`TRIGGERS_IN_PLACE`] or [`TRIGGERS_MISSING`].
    triggers: AtomicU8,
    entries: quick_cache::sync::Cache<Key, Arc<Entry>>,
    hits: AtomicU64,
    reloads: AtomicU64,
    misses: AtomicU64,
}

const UNCHECKED: u8 = 0;
const TRIGGERS_IN_PLACE: u8 = 1;
const TRIGGERS_MISSING: u8 = 2;

/// A context is cached per credential and organization asked for.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    lookup: Lookup,
    requested: Option<OrgId>,
}

struct Entry {
    context: Arc<RequestContext>,
    version: i64,
    /// When the principal's activity was last recorded through this
    /// entry, in seconds since the epoch.
    active_at: AtomicI64,
}

/// How often a cached session records its principal's activity
/// (`users.last_active_at`), at most.
const ACTIVITY_EVERY: i64 = 60;

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
    /// A cache of at most `capacity` contexts (one per credential and
    /// organization asked for); the least used go first. A `capacity` of 0
    /// keeps nothing: every request reads its context in full.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                capacity,
                triggers: AtomicU8::new(UNCHECKED),
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
    /// It takes a pool, not a transaction: a context read inside a
    /// transaction could hold changes that are then rolled back.
    ///
    /// It also records the principal's activity (`last_active_at` of
    /// [`User`](crate::User)) when it first caches their context and then
    /// at most once a minute per cached context; with a capacity of 0,
    /// activity is not recorded.
    ///
    /// `None` when the credential proves nobody (an unknown, expired or
    /// revoked token). Contexts a request is refused for (an organization
    /// that does not exist, or the principal is no member of) are not kept.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](tenancy_core::Error::Database) when a statement fails,
    /// for instance because the `access_version` table is missing.
    pub async fn request_context<DB>(
        &self,
        pool: &sqlx::Pool<DB>,
        credential: &Credential,
        requested: Option<OrgId>,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<RequestContext>>>
    where
        DB: AccessStore,
    {
        let key = Key {
            lookup: credential.lookup(),
            requested,
        };
        let mut conn = crate::store::acquire(pool).await?;
        let usable = self.inner.capacity > 0 && self.triggers_in_place::<DB>(&mut conn).await?;
        let cached = if usable {
            self.inner.entries.get(&key)
        } else {
            None
        };
        if let Some(entry) = &cached {
            let Some(live) = DB::__check(KEY, &mut **conn, &key.lookup, now).await? else {
                self.inner.entries.remove(&key);
                return Ok(None);
            };
            if entry.holds(&live) {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                let seen = entry.active_at.load(Ordering::Relaxed);
                let due = now.timestamp() - seen >= ACTIVITY_EVERY;
                // One request of those that find it due records it.
                if due
                    && entry
                        .active_at
                        .compare_exchange(
                            seen,
                            now.timestamp(),
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    DB::__touch_user(KEY, &mut conn, entry.context.user, false, now).await?;
                }
                return Ok(Some(Arc::clone(&entry.context)));
            }
        }
        let counter = if cached.is_some() {
            &self.inner.reloads
        } else {
            &self.inner.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let Some(read) =
            DB::__request_context(KEY, &mut **conn, &key.lookup, requested, now).await?
        else {
            self.inner.entries.remove(&key);
            return Ok(None);
        };
        let context = Arc::new(read.context);
        if usable && admitted(&context) {
            let active_at = match &cached {
                Some(stale) => stale.active_at.load(Ordering::Relaxed),
                None => {
                    DB::__touch_user(KEY, &mut conn, context.user, false, now).await?;
                    now.timestamp()
                }
            };
            let entry = Arc::new(Entry {
                context: Arc::clone(&context),
                version: read.version,
                active_at: AtomicI64::new(active_at),
            });
            self.inner.entries.insert(key, entry);
        } else if cached.is_some() {
            self.inner.entries.remove(&key);
        }
        Ok(Some(context))
    }

    /// Whether the triggers that keep `access_version` are all in place,
    /// asked once per cache.
    async fn triggers_in_place<DB: AccessStore>(&self, conn: &mut DB::Connection) -> Result<bool> {
        match self.inner.triggers.load(Ordering::Acquire) {
            TRIGGERS_IN_PLACE => return Ok(true),
            TRIGGERS_MISSING => return Ok(false),
            _ => {}
        }
        let in_place = DB::__version_triggers_in_place(KEY, conn).await?;
        let state = if in_place {
            TRIGGERS_IN_PLACE
        } else {
            tracing::error!(
                "tenancy: a trigger of `access_version` is missing or disabled, so no request \
                 context is cached and every request reads its context in full; recreate the \
                 triggers from tenancy-core's migrations/*/0002_access_version.sql"
            );
            TRIGGERS_MISSING
        };
        self.inner.triggers.store(state, Ordering::Release);
        Ok(in_place)
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

/// Whether a request could be let through with this context (see
/// [`admit`](crate::admit)): only those are kept, so that naming made-up
/// organizations cannot crowd out the contexts of real requests. Billing
/// and the organization's state are weighed on every request, so they do
/// not decide what is kept.
fn admitted(context: &RequestContext) -> bool {
    context.org.is_none() || crate::admission::belongs(context)
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
