//! mock-auth-server: a mock authentication server for local development and
//! CI. It issues real JWTs for known test users, with the chat-api's secret,
//! so services under test verify them exactly as they would a real IdP's.
//!
//! Layout: [`config`] parses settings; [`app`] builds state and router;
//! [`server`] binds and runs; [`routes`] holds the handlers; [`store`],
//! [`auth`] and [`metrics`] hold the data; [`middleware`] and [`extract`]
//! give every error the contract's JSON form ([`error`]); [`docs`] serves
//! the OpenAPI document and its UIs. Part II: [`clock`] (the one clock),
//! [`auth::keys`] (the key set), [`oauth`], [`dev`] (the control plane),
//! [`faults`] (the fault engine), [`journal`], [`ui`] and [`cli`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dev;
pub mod docs;
pub mod error;
pub mod extract;
pub mod faults;
pub mod journal;
pub mod metrics;
pub mod middleware;
pub mod oauth;
pub mod routes;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod validation;

pub use app::{build_app, build_state};
pub use config::Config;
pub use server::Server;
