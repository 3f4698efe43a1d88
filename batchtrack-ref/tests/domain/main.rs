//! The domain's services on SQLite and on PostgreSQL with row-level
//! security, as the app runs them: migrated by the app's migrations, used
//! through a role the policies apply to.
//!
//! Every test is generic over the backend and instantiated for both by
//! `both!`.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batches;
mod catalog;
mod concurrency;
mod demo;
mod fixtures;
mod inventory;
mod isolation;
mod products;
mod property;
