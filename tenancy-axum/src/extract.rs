//! Extractors: the principal, and the typed permission a handler needs.
//! (The request's `Scope` is an extractor of `tenancy-core`, feature
//! `axum`.)

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tenancy_access::{Permission, RequestContext};
use tenancy_core::http::NoScope;
use tenancy_core::{OrgId, UserId};

use crate::rejection::{MissingPermission, PrincipalRejection, RequireRejection};

/// Who sent the request, as the tenancy layer authenticated it.
///
/// ```
/// use tenancy_axum::Principal;
///
/// async fn me(principal: Principal) -> String {
///     format!("user {} in {} organizations", principal.user, principal.memberships.len())
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The user.
    pub user: UserId,
    /// Whether the user is one of the app's developers.
    pub is_developer: bool,
    /// The organizations the user is an active member of.
    pub memberships: Vec<OrgId>,
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = PrincipalRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        Err(if layer_ran(parts) {
            PrincipalRejection::Unauthenticated
        } else {
            PrincipalRejection::MissingLayer
        })
    }
}

/// Whether the tenancy layer saw the request: it leaves a scope or the
/// reason there is none.
fn layer_ran(parts: &Parts) -> bool {
    parts.extensions.get::<NoScope>().is_some()
}

/// Proof that the principal holds permission `P` in the request's
/// organization; a handler names it to require it.
///
/// ```
/// use tenancy_axum::Require;
/// use tenancy_core::Scope;
///
/// tenancy_access::permissions! {
///     pub Permissions {
///         /// Create and edit recipes.
///         EditRecipes: "recipes.edit", category "recipes";
///     }
/// }
///
/// async fn edit(scope: Scope, _: Require<EditRecipes>) -> &'static str {
///     "edited"
/// }
/// ```
///
/// Rejects with 403 (`missing_permission`) when the principal lacks it, 401
/// when nobody is signed in.
#[derive(Debug)]
pub struct Require<P>(PhantomData<fn() -> P>);

impl<P> Clone for Require<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Require<P> {}

impl<S: Send + Sync, P: Permission> FromRequestParts<S> for Require<P> {
    type Rejection = RequireRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(context) = parts.extensions.get::<Arc<RequestContext>>() else {
            return Err(if layer_ran(parts) {
                RequireRejection::Unauthenticated
            } else {
                RequireRejection::MissingLayer
            });
        };
        if context.org.is_none() {
            Err(RequireRejection::NoOrganization)
        } else if context.permissions.has::<P>() {
            Ok(Self(PhantomData))
        } else {
            Err(RequireRejection::MissingPermission(MissingPermission {
                key: P::KEY,
            }))
        }
    }
}
