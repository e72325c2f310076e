//! Fuzzes the register/login field rules with arbitrary text: no panic, and
//! what they accept is clean (a trimmed, lowercased email with one `@`; a
//! password of 8 to 72 bytes, kept as given; a trimmed name of 1 to 100 chars).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_auth_server::validation;

fuzz_target!(|raw: &str| {
    if let Ok(email) = validation::email(raw) {
        assert_eq!(email, email.trim().to_lowercase());
        assert_eq!(email.matches('@').count(), 1);
        assert!(email.chars().count() <= 254);
        assert_eq!(validation::email(&email).ok().as_deref(), Some(email.as_str()));
    }
    match validation::password(raw) {
        Ok(kept) => assert!((8..=72).contains(&raw.len()) && kept == raw),
        Err(_) => assert!(!(8..=72).contains(&raw.len())),
    }
    if let Ok(name) = validation::name(raw) {
        assert_eq!(name, raw.trim());
        assert!((1..=100).contains(&name.chars().count()));
    }
});
