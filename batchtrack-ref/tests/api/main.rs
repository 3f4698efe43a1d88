//! API tests: the application as the binary starts it, driven over HTTP.

mod commands;
mod health;
mod helpers;
