//! The tenancy layer: authenticates each request, reads its context in one
//! statement, applies the billing gate, and leaves the request's `Scope`,
//! principal and permissions for the extractors.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tenancy_access::billing::BillingPolicy;
use tenancy_access::{self as access, AccessStore, ContextCache, Refusal};
use tenancy_core::OrgId;
use tenancy_core::http::{NoScope, Problem};
use tower::{Layer, Service};

use crate::authn::{Authenticator, BearerToken};
use crate::extract::Principal;
use crate::rejection::{AdmissionRejection, InvalidCredentials, InvalidOrganization};

/// The header in which a principal names the organization it acts in, by
/// default: members of several organizations and developers choose with it.
pub const ORGANIZATION_HEADER: &str = "x-organization-id";

struct Shared<DB: sqlx::Database, A> {
    pool: sqlx::Pool<DB>,
    authenticator: A,
    policy: BillingPolicy,
    org_header: HeaderName,
    cache: ContextCache,
}

/// Adds tenancy to a router: `.layer(TenancyLayer::new(pool))`.
///
/// For every request it:
/// 1. asks the [`Authenticator`] for a credential (none: the request goes
///    on anonymous, and extractors that need a principal answer 401);
/// 2. reads the principal, the organization it acts in (the
///    [`ORGANIZATION_HEADER`], else the session's, else its first
///    membership), its membership, the owner, the billing state and the
///    permissions: in one statement, or, when the same session asked the
///    same before, from a [`ContextCache`] after one indexed lookup
///    confirms that no access table changed since; a revoked role or a
///    lapsed subscription counts on the very next request either way;
/// 3. admits or refuses the principal by [`tenancy_access::admit`], the
///    rule sign-in follows too: a member naming an organization it does not
///    belong to is refused (403), so is everyone but developers in a
///    deactivated organization (403) and, once billing has lapsed, everyone
///    but the owner (402); developers pass, and their switch of
///    organization is audited;
/// 4. leaves the request's [`Scope`](tenancy_core::Scope), [`Principal`] and permissions for the
///    extractors.
pub struct TenancyLayer<DB: sqlx::Database, A = BearerToken> {
    shared: Arc<Shared<DB, A>>,
}

impl<DB: sqlx::Database> TenancyLayer<DB> {
    /// Tenancy on `pool`, with session tokens, the default billing policy
    /// and the default organization header.
    #[must_use]
    pub fn new(pool: sqlx::Pool<DB>) -> Self {
        Self {
            shared: Arc::new(Shared {
                pool,
                authenticator: BearerToken,
                policy: BillingPolicy::default(),
                org_header: HeaderName::from_static(ORGANIZATION_HEADER),
                cache: ContextCache::default(),
            }),
        }
    }
}

impl<DB: sqlx::Database, A> TenancyLayer<DB, A> {
    /// The same settings with another authenticator, changed by `change`.
    fn rebuild<B>(
        &self,
        authenticator: B,
        change: impl FnOnce(&mut Shared<DB, B>),
    ) -> TenancyLayer<DB, B> {
        let mut shared = Shared {
            pool: self.shared.pool.clone(),
            authenticator,
            policy: self.shared.policy,
            org_header: self.shared.org_header.clone(),
            cache: self.shared.cache.clone(),
        };
        change(&mut shared);
        TenancyLayer {
            shared: Arc::new(shared),
        }
    }

    /// Authenticates requests with `authenticator` instead of session tokens.
    #[must_use]
    pub fn with_authenticator<B: Authenticator>(self, authenticator: B) -> TenancyLayer<DB, B> {
        self.rebuild(authenticator, |_| {})
    }

    /// Uses `policy` (its grace period) for the billing gate.
    #[must_use]
    pub fn with_billing_policy(self, policy: BillingPolicy) -> Self
    where
        A: Clone,
    {
        self.rebuild(self.shared.authenticator.clone(), |s| s.policy = policy)
    }

    /// Reads the organization from `header` instead of [`ORGANIZATION_HEADER`].
    #[must_use]
    pub fn with_org_header(self, header: HeaderName) -> Self
    where
        A: Clone,
    {
        self.rebuild(self.shared.authenticator.clone(), |s| s.org_header = header)
    }

    /// Keeps request contexts in `cache` (by default, a cache of
    /// [`DEFAULT_CAPACITY`](access::DEFAULT_CAPACITY) contexts): pass one to
    /// size it, to read its [`stats`](ContextCache::stats), or
    /// `ContextCache::new(0)` to read every context in full.
    #[must_use]
    pub fn with_context_cache(self, cache: ContextCache) -> Self
    where
        A: Clone,
    {
        self.rebuild(self.shared.authenticator.clone(), |s| s.cache = cache)
    }
}

impl<DB: sqlx::Database, A> Clone for TenancyLayer<DB, A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<DB: sqlx::Database, A> fmt::Debug for TenancyLayer<DB, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenancyLayer")
            .field("policy", &self.shared.policy)
            .field("org_header", &self.shared.org_header)
            .finish_non_exhaustive()
    }
}

impl<S, DB: sqlx::Database, A> Layer<S> for TenancyLayer<DB, A> {
    type Service = Tenancy<S, DB, A>;

    fn layer(&self, inner: S) -> Self::Service {
        Tenancy {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service [`TenancyLayer`] wraps around a router.
pub struct Tenancy<S, DB: sqlx::Database, A = BearerToken> {
    inner: S,
    shared: Arc<Shared<DB, A>>,
}

impl<S: Clone, DB: sqlx::Database, A> Clone for Tenancy<S, DB, A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S, DB: sqlx::Database, A> fmt::Debug for Tenancy<S, DB, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenancy").finish_non_exhaustive()
    }
}

impl<S, DB, A> Service<Request<Body>> for Tenancy<S, DB, A>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
    DB: AccessStore,
    A: Authenticator,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if let Err(refusal) = admit(&shared, &mut parts).await {
                return Ok(refusal);
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

/// Authenticates the request and records what the extractors need, or
/// answers in its place.
async fn admit<DB, A>(shared: &Shared<DB, A>, parts: &mut Parts) -> Result<(), Response>
where
    DB: AccessStore,
    A: Authenticator,
{
    let Some(credential) = shared
        .authenticator
        .authenticate(parts)
        .await
        .map_err(IntoResponse::into_response)?
    else {
        parts.extensions.insert(NoScope::Anonymous);
        return Ok(());
    };
    let requested =
        requested_org(parts, &shared.org_header).map_err(IntoResponse::into_response)?;
    let now = chrono::Utc::now();
    let context = shared
        .cache
        .request_context(&shared.pool, &credential, requested, now)
        .await
        .map_err(|error| Problem::from(error).into_response())?
        .ok_or_else(|| InvalidCredentials.into_response())?;
    let principal = Principal {
        user: context.user,
        is_developer: context.is_developer,
        memberships: context.memberships.clone(),
    };
    parts.extensions.insert(principal);
    match access::admit(&context, &shared.policy, now) {
        Ok(admitted) => {
            if context.is_developer && requested.is_some() {
                access::select_org(&shared.pool, &context, admitted.scope.org(), now)
                    .await
                    .map_err(|error| Problem::from(error).into_response())?;
            }
            parts.extensions.insert(admitted.scope);
            parts.extensions.insert(context);
            Ok(())
        }
        // Signed in, but for no organization: routes that need none (a
        // profile, an organization picker) still serve it.
        Err(Refusal::NoOrganization) => {
            parts.extensions.insert(NoScope::NoOrganization);
            parts.extensions.insert(context);
            Ok(())
        }
        Err(refusal) => Err(AdmissionRejection::from(refusal).into_response()),
    }
}

fn requested_org(parts: &Parts, header: &HeaderName) -> Result<Option<OrgId>, InvalidOrganization> {
    let Some(value) = parts.headers.get(header) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Some)
        .ok_or(InvalidOrganization)
}
