//! Outbound network: the one place network authority is granted and
//! enforced. A guest reaches the network only through the standard
//! `wasi:http/outgoing-handler` (feature `http`); importing it grants
//! nothing, network grants do (ABI spec, "Outbound HTTP").
//!
//! - [`grant`]: network grants as plain data → validated [`NetGrant`]s with
//!   their secrets resolved, and the one request rule [`NetGrants::check`];
//! - [`address`]: which resolved addresses a grant must name explicitly;
//! - `send` (feature `http`): the send hook — check, inject, resolve, pin
//!   the checked address, TLS, bounded response, deadline.

pub mod address;
pub mod grant;
#[cfg(feature = "http")]
pub(crate) mod send;

pub use grant::{InjectFormat, NetDenied, NetGrant, NetGrantError, NetGrantSpec, NetGrants};
