//! Pages of a list: `limit` and `offset` in, the page and the total out,
//! in a stable order (the model's order, then id), so that walking the
//! pages neither skips nor repeats a row unless rows change meanwhile.

use serde::{Deserialize, Serialize};
use tenancy_core::{Scoped, Select, Stores};
use utoipa::{IntoParams, ToSchema};

use super::problem::ApiError;
use crate::domain::{DomainError, Store};

/// The most rows one page holds.
pub(crate) const MAX_LIMIT: u64 = 200;

/// Which page to answer.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    /// Rows per page, 1 to 200; 50 when left out.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Rows to skip; 0 when left out.
    pub offset: Option<u64>,
}

impl Paging {
    /// The limit and offset, checked.
    ///
    /// # Errors
    ///
    /// `invalid` naming `limit` beyond 1–200 or `offset` beyond a billion.
    pub(crate) fn checked(self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::invalid("limit", "must be 1 to 200").into());
        }
        let offset = self.offset.unwrap_or(0);
        if offset > 1_000_000_000 {
            return Err(DomainError::invalid("offset", "is beyond 1 000 000 000").into());
        }
        Ok((limit, offset))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows the whole list holds.
    pub total: u64,
    /// The page size asked for.
    pub limit: u64,
    /// The rows skipped.
    pub offset: u64,
}

/// The page `paging` names of the rows `select` reads (built twice: once
/// counted, once fetched).
///
/// # Errors
///
/// As [`Paging::checked`], and when a statement fails.
pub(crate) async fn page<M, DB>(
    pool: &sqlx::Pool<DB>,
    paging: Paging,
    select: impl Fn() -> Select<M>,
) -> Result<Page<M>, ApiError>
where
    M: Scoped,
    DB: Store + Stores<M>,
{
    let (limit, offset) = paging.checked()?;
    let total = select().count(pool).await?;
    let items = select().limit(limit).offset(offset).fetch_all(pool).await?;
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}
