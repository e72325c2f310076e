//! The example verifier with the classic mistakes behind flags, one each:
//! `--no-signature` (signature not checked), `--alg-from-header` (the
//! algorithm taken from the token, `none` too), `--no-exp`, `--no-type`,
//! `--no-iss`. `mock-auth-server audit` names what each lets through:
//!
//! ```sh
//! PORT=8002 cargo run --example verifier_bad -- --no-exp &
//! mock-auth-server audit --url http://127.0.0.1:8002/protected   # FAILED: expired, missing_exp
//! ```

#[path = "verifier/common.rs"]
mod common;

#[tokio::main]
async fn main() {
    common::serve(common::Mistakes::from_args()).await;
}
