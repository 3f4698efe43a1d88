//! tenancy-axum
