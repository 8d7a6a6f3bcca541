//! How long codes and tokens live, in seconds.

/// An authorization code (RFC 6749 §4.1.2: "a maximum authorization code
/// lifetime of 10 minutes is RECOMMENDED"; Sésame gives one minute).
pub const CODE_SECONDS: u64 = 60;

/// An access token, and the ID token issued with it.
pub const TOKEN_SECONDS: u64 = 3600;

/// How long a refresh token may go unused (its idle lifetime).
pub const REFRESH_IDLE_SECONDS: u64 = 14 * 24 * 3600;

/// How long a refresh-token family lives at most after the login.
pub const REFRESH_ABSOLUTE_SECONDS: i64 = 90 * 24 * 3600;

/// A logout token (Back-Channel Logout 1.0 §2.4: short-lived, it is sent
/// at once).
pub const LOGOUT_TOKEN_SECONDS: i64 = 120;
