//! Server-rendered pages: the dashboard at `/` and the OAuth login page,
//! with every asset embedded in the binary.

pub mod login;

use axum::Router;

use crate::state::AppState;

/// The dashboard's routes (`/`, `/ui/...`).
pub fn router() -> Router<AppState> {
    Router::new()
}
