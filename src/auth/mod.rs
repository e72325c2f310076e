//! Authentication primitives: passwords (bcrypt), tokens (JWT) and the
//! revocation list that makes stateless refresh tokens single-use.

pub mod families;
pub mod keys;
pub mod passwords;
pub mod revocation;
pub mod tokens;
