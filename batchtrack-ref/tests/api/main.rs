//! API tests: the application as the binary starts it, driven over HTTP.

mod health;
mod helpers;
