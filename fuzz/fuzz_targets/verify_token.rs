//! Fuzzes the token verifier with arbitrary input: it must never panic, and
//! it must accept nothing but a token this server signed itself. An accepted
//! input must be exactly what signing its claims again gives (the seeds in
//! fuzz/seeds/verify_token are such tokens, so libFuzzer mutates real JWTs).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mock_auth_server::auth::tokens::{TokenKeys, TokenType};
use mock_auth_server::config::Config;

/// Built once: the keys and rules of the default configuration.
static KEYS: LazyLock<TokenKeys> = LazyLock::new(|| TokenKeys::from_config(&Config::default()));

/// The verifier is async (asymmetric keys may still be in the making); with
/// the default HS256 keys it never waits, so a current-thread runtime does.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        // The server only ever sees tokens as text; try the lossy form too.
        let _ = RUNTIME.block_on(KEYS.verify(&String::from_utf8_lossy(data), TokenType::Access));
        return;
    };
    for kind in [TokenType::Access, TokenType::Refresh] {
        if let Ok(claims) = RUNTIME.block_on(KEYS.verify(token, kind)) {
            let resigned = RUNTIME
                .block_on(KEYS.sign(&claims))
                .expect("claims that verified can be signed");
            assert_eq!(resigned, token, "accepted a token the server did not sign");
        }
    }
});
