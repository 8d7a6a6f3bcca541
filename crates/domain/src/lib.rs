//! Sésame's domain: the people and things an identity provider for school
//! télé-services deals with, and the rules on them that need no IO.
//!
//! Architecture invariant: this crate knows nothing of databases, HTTP,
//! files, async or the clock of the machine. Time and randomness are passed in.

pub mod clock;
pub mod code;
pub mod name;
pub mod people;
pub mod text;
pub mod uai;

pub use clock::{Clock, FixedClock, SystemClock};
pub use code::{ActivationCode, CodeError, CodeKind};
pub use name::normalize_first_name;
pub use people::{GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel};
pub use uai::{Uai, UaiError};
