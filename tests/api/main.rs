//! Integration tests: each starts its own server in-process on port 0 and
//! talks real HTTP to it.

mod auth;
mod catalogue;
mod dashboard;
mod dev_control;
mod dev_observability;
mod docs;
mod errors;
mod families;
mod faults;
mod helpers;
mod journal;
mod keys;
mod lifecycle;
mod metrics;
mod oauth;
mod tokens;
mod users;
