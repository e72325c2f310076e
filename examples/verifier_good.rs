//! A service that verifies the mock's tokens right: signature with the
//! pinned algorithm (HS256, `JWT_SECRET`), `exp`, `nbf`, `iss`, `aud` (when
//! `JWT_AUDIENCE` is set) and `type`. `mock-auth-server audit` passes it:
//!
//! ```sh
//! PORT=8001 cargo run --example verifier_good &
//! mock-auth-server audit --url http://127.0.0.1:8001/protected
//! ```

#[path = "verifier/common.rs"]
mod common;

#[tokio::main]
async fn main() {
    common::serve(common::Mistakes::default()).await;
}
