//! API tests: the application as the binary starts it, driven over HTTP.

mod browser;
mod commands;
mod flows;
mod health;
mod helpers;
mod input;
mod isolation;
mod readme;
mod served;
mod team;
mod web;
