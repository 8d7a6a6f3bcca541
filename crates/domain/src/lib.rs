//! Sésame's domain: the people and things an identity provider for school
//! télé-services deals with, and the rules on them that need no IO.
//!
//! Architecture invariant: this crate knows nothing of databases, HTTP,
//! files, async or the clock of the machine. Time and randomness are passed in.

pub mod account;
pub mod birth_date;
pub mod clock;
pub mod code;
pub mod identifiant;
pub mod language;
pub mod message;
pub mod name;
pub mod password;
pub mod people;
pub mod phone;
pub mod profile;
pub mod registered_url;
pub mod report;
pub mod secret;
pub mod text;
pub mod uai;

pub use account::{AccountKind, AccountState};
pub use clock::{Clock, FixedClock, SystemClock};
pub use code::{ActivationCode, CodeError, CodeKind};
pub use identifiant::{Email, EmailError, Identifiant, IdentifiantError};
pub use language::Language;
pub use message::{Arg, Message};
pub use name::normalize_first_name;
pub use people::{GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel};
pub use phone::Mobile;
pub use profile::{Profile, UnknownProfile};
pub use registered_url::{RegisteredUrl, RegisteredUrlError};
pub use report::ReportState;
pub use uai::{Uai, UaiError};
