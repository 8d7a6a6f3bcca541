//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Sésame: identity provider for school télé-services (CAS and OpenID
/// Connect), with parent and pupil accounts created from activation codes.
#[derive(Debug, Parser)]
#[command(name = "sesame", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: config/sesame.toml when it exists).
    /// Every key can be overridden by SESAME__SECTION__KEY variables.
    #[arg(long, short, global = true, env = "SESAME_CONFIG")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (HTTP). Migrates the database first. Stops cleanly on
    /// SIGTERM or Ctrl-C, letting requests in flight finish.
    Serve,
    /// Run a demonstration: a fresh SQLite database in data/demo with the
    /// sample school imported, activation codes printed, and the server
    /// started. Nothing to install.
    Demo(DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration and print it, secrets masked. Exits 3 when
    /// it is invalid, naming the file, the key and the reason, and, in
    /// production mode, on values left from the demonstration or the
    /// development defaults (a portal URL on localhost, the demo académie,
    /// an @localhost sender, a missing services folder or logo, SMTP
    /// without TLS to another machine).
    CheckConfig {
        /// Also check that the database, Redis, the SMTP server (EHLO) and
        /// every upstream provider (discovery) answer; exits 5 when one
        /// does not.
        #[arg(long)]
        connect: bool,
    },
    /// Import school exports: SIECLE ElevesSansAdresses.xml and
    /// ResponsablesAvecAdresses.xml (plain or zipped, ISO-8859-15 or UTF-8)
    /// and Sésame's CSV files (docs/import.md). All files are applied in one
    /// transaction: if one is refused, nothing is written.
    Import(ImportArgs),
    /// Activation codes: generate them (with their letters) or check one.
    #[command(subcommand)]
    Codes(CodesCommand),
    /// Generate activation codes for a school and write the notification
    /// letters (PDF, one page per guardian or pupil) and mail-merge CSV files.
    /// Only the pupils and (guardian, pupil) pairs holding no code (valid, or
    /// used by an account) get one; the others are counted as skipped.
    /// Codes are stored only as keyed hashes, so they are shown only by the
    /// run that creates them: generation and printing are one command.
    Letters(LettersArgs),
    /// Print a new random secret key (32 bytes, base64url) for `[secrets]`;
    /// with `--hash`, a new OpenID Connect client secret and the argon2id
    /// hash of it for the service file's `client_secret_hash`.
    Secret(SecretArgs),
    /// The mail outbox: list queued, failed or abandoned mails, put them
    /// back in the queue, or run one delivery round now.
    #[command(subcommand)]
    Mail(MailCommand),
    /// The text-message outbox (first visit by SMS): list the messages
    /// (never their text), make a pending one due now, or run one
    /// delivery round now.
    #[command(subcommand)]
    Sms(SmsCommand),
    /// Accounts: the helpdesk (find, show, unlock, resend-confirmation,
    /// reset-password, disable, enable, delete); delete now the parent
    /// accounts not confirmed within their week, disable or delete the
    /// leavers' accounts whose delays are over (the server also does both
    /// periodically); export one account (RGPD).
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// « Ce n'est pas mon enfant »: the reports of parents who saw a child
    /// that is not theirs (the link is suspended at once); list the open
    /// ones, or close one by restoring or removing the link.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// OpenID Connect signing keys: list them, or add one (published at
    /// once, signing a day later; the old ones stay published a day more).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Account events (created, confirmed, purged, logins, blocks, password
    /// and address changes, children attached), newest first. Identifiants
    /// and addresses appear only as pseudonyms.
    Audit(AuditArgs),
    /// Check a running deployment from outside, as after an install or an
    /// upgrade: discovery and JWKS, a whole OpenID Connect code + PKCE flow
    /// through the login pages, a CAS ticket and its replay, security
    /// headers and cookies, /readyz, TLS. One line per check; exits 1 when
    /// one fails. Needs no configuration file.
    Selftest(Box<SelftestArgs>),
}

/// `sesame secret`.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// Print a client secret (give it to the télé-service) and its argon2id
    /// hash (for `[oidc] client_secret_hash` in its service file).
    #[arg(long)]
    pub hash: bool,
}

/// `sesame selftest`.
#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// The deployment's public URL (its issuer), e.g. `https://sesame.ac-exemple.fr`
    #[arg(long)]
    pub url: url::Url,
    /// A registered OpenID Connect client to run the flow as.
    #[arg(long, requires = "redirect_uri")]
    pub client_id: Option<String>,
    /// A file holding that client's secret (none: a public client).
    #[arg(long, requires = "client_id")]
    pub client_secret_file: Option<PathBuf>,
    /// One of that client's registered redirect URIs (it need not answer:
    /// the code is read from the redirect).
    #[arg(long, requires = "client_id")]
    pub redirect_uri: Option<url::Url>,
    /// A registered CAS service URL.
    #[arg(long)]
    pub cas_service: Option<url::Url>,
    /// An account to log in with (a test account of the deployment).
    #[arg(long, requires = "password_file")]
    pub identifiant: Option<String>,
    /// A file holding that account's password.
    #[arg(long, requires = "identifiant")]
    pub password_file: Option<PathBuf>,
    /// The profile chosen on the first screen for that account.
    #[arg(long, default_value = "eleve")]
    pub profile: String,
    /// Print the report as JSON (one object: url, checks, failed).
    #[arg(long)]
    pub json: bool,
}

/// `sesame keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Every key: kid, algorithm, created, signs from, published or not, signing now.
    List,
    /// Add a new signing key (key rotation).
    Rotate,
    /// Remove a compromised signing key at once: no longer published (what
    /// it signed stops verifying) nor used; a new key signs at once when it
    /// was the one signing.
    Retire {
        /// The key's id (`kid`, from `sesame keys list`).
        kid: String,
    },
}

/// `sesame audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this kind of event (e.g. login_failed, account_created).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only this account: its id or its identifiant (with the failed
    /// logins and blocks of that identifiant).
    #[arg(long)]
    pub account: Option<String>,
    /// Only events on or after this day (jj/mm/aaaa or aaaa-mm-jj).
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Print the events as JSON (an array of objects).
    #[arg(long)]
    pub json: bool,
}

/// `sesame sms`.
#[derive(Debug, Subcommand)]
pub enum SmsCommand {
    /// List text messages, newest first (number masked, or its pseudonym
    /// once erased; kind, state, attempts, last error). The text, which
    /// holds a one-time code, is never shown.
    List {
        /// Only this state: pending, sent, failed or abandoned.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Print the messages as JSON (an array of objects).
        #[arg(long)]
        json: bool,
    },
    /// Make a pending message due now, whatever its retry backoff says
    /// (after fixing the provider, say). A message given up is erased
    /// (its code with it): the parent asks for a new code.
    Retry {
        /// The message's id (from `sesame sms list`).
        id: i32,
    },
    /// Run one delivery round now and print how many messages left.
    Send,
}

/// `sesame mail`.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List mails, newest first (recipient, subject, state, attempts, last
    /// error). A mail sent, failed or abandoned keeps no body and no
    /// address: its recipient is shown as a pseudonym.
    List {
        /// Only this state: pending, sent, failed or abandoned.
        #[arg(long)]
        state: Option<String>,
        /// Only the mails to this address (found by its pseudonym once
        /// erased).
        #[arg(long)]
        to: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Print the mails as JSON (an array of objects).
        #[arg(long)]
        json: bool,
    },
    /// Put failed or abandoned mails back in the queue (one by id, or all).
    /// Only mails given up before their erasure existed can be: a mail
    /// given up now keeps no body, and its holder asks again.
    Retry {
        /// The mail's id (from `sesame mail list`).
        id: Option<i32>,
        /// Every failed or abandoned mail.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Run one delivery round now and print how many mails left.
    Send {
        /// Send every pending mail now, whatever its retry backoff says
        /// (after fixing the SMTP relay, say).
        #[arg(long)]
        now: bool,
    },
}

/// `sesame accounts`.
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Delete the parent accounts whose week to confirm is over; disable,
    /// notify and delete the accounts of pupils who left and of guardians
    /// with no child any more, as their delays say; delete the audit events
    /// older than `audit.retention_days`.
    Purge,
    /// Print everything held about one account, as JSON (what its holder
    /// downloads with « Mes données »).
    Export {
        /// The account's id (from `sesame audit`).
        id: i32,
    },
    /// Delete one account at once, with its links, tokens and provider
    /// links; its activation codes are freed for a new sign-up, its
    /// sessions and tokens stop working. An audit event stays.
    Delete(Target),
    /// Find accounts by a piece of identifiant, address, or holder's or
    /// child's name (every word must match): id, identifiant, kind, state.
    Find {
        /// What to look for (at least two characters).
        text: String,
        /// Print the accounts as JSON (an array of objects).
        #[arg(long)]
        json: bool,
    },
    /// Everything the helpdesk needs about one account: state, kind,
    /// address, children and schools, last login, login delay or block,
    /// links mailed and not used yet.
    Show {
        /// The account's id (from `sesame accounts find`).
        id: i32,
        /// Print the account as JSON (one object).
        #[arg(long)]
        json: bool,
    },
    /// Clear an account's login delay or block and its failure count:
    /// password login works again at once.
    Unlock(Target),
    /// Mail a pending parent account a fresh confirmation link (the old
    /// one stops working); its week to confirm does not move.
    ResendConfirmation(Target),
    /// Mail an active account a temporary password (24 h, single use);
    /// logging in with it leads straight to choosing a new password.
    ResetPassword(Target),
    /// Disable an active account: its sessions, tickets and tokens (refresh
    /// tokens included) end at once, no login until `enable`.
    Disable(Target),
    /// Enable a disabled account again.
    Enable(Target),
    /// Password-renewal campaigns: make a population choose a new password
    /// at its next login.
    #[command(subcommand)]
    Campaign(CampaignCommand),
}

/// `sesame accounts campaign`.
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Mark the active accounts of one school (or all) so that their next
    /// login must set a new password; their sessions, tickets and tokens
    /// (refresh tokens included) end at once; each one with an address is
    /// mailed a notice. One audit event per account, one for the campaign.
    #[command(group(clap::ArgGroup::new("scope").required(true).args(["school", "all"])))]
    Start {
        /// The school's UAI: the accounts linked to one of its pupils.
        #[arg(long)]
        school: Option<String>,
        /// Every school.
        #[arg(long)]
        all: bool,
        /// Only the accounts of this kind: parent or eleve (default both).
        #[arg(long)]
        kind: Option<String>,
        /// Why (written in the audit events).
        #[arg(long)]
        reason: String,
        /// Who runs the command, written in the audit event (default: the
        /// SUDO_USER or USER variable).
        #[arg(long)]
        operator: Option<String>,
    },
    /// Every campaign: how many accounts it marked, how many renewed, how
    /// many are still to renew.
    Status {
        /// Print them as JSON (an array of objects).
        #[arg(long)]
        json: bool,
    },
    /// Stop a campaign: the accounts that have not renewed are unmarked
    /// (their next login is an ordinary one).
    Stop {
        /// The campaign's number (from `campaign status`).
        id: i32,
        /// Who runs the command, written in the audit event (default: the
        /// SUDO_USER or USER variable).
        #[arg(long)]
        operator: Option<String>,
    },
}

/// One account that a helpdesk command changes, and who does it.
#[derive(Debug, Args)]
pub struct Target {
    /// The account's id (from `sesame accounts find`).
    pub id: i32,
    /// Who runs the command, written in the audit event (default: the
    /// SUDO_USER or USER variable).
    #[arg(long)]
    pub operator: Option<String>,
}

/// `sesame reports`.
#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// The open reports, oldest first: number, date, account, pupil,
    /// class, school.
    List {
        /// Print them as JSON (an array of objects).
        #[arg(long)]
        json: bool,
    },
    /// Close a report: `--restore` puts the link back (the child is the
    /// account's after all), `--remove` keeps it removed for good (the
    /// account cannot take the child back with a code). Writes an audit
    /// event naming the operator.
    #[command(group(clap::ArgGroup::new("decision").required(true).args(["restore", "remove"])))]
    Resolve {
        /// The report's number (from `sesame reports list`).
        id: i32,
        /// Put the link back.
        #[arg(long)]
        restore: bool,
        /// Keep the link removed.
        #[arg(long)]
        remove: bool,
        /// Who closes it, for the audit (default: the system user, $USER).
        #[arg(long, env = "USER")]
        by: String,
    },
}

/// `sesame demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

/// `sesame import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import (.xml, .csv or .zip).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Name to give the school, when the files hold one school (SIECLE
    /// exports do not carry it).
    #[arg(long, conflicts_with = "schools")]
    pub school_name: Option<String>,
    /// A file naming each school: one `uai;nom` line per school, header
    /// line optional, UTF-8 (docs/import.md).
    #[arg(long, value_name = "FICHIER")]
    pub schools: Option<PathBuf>,
}

/// `sesame codes`.
#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// Give every (legal guardian, pupil) pair without a valid code a Code
    /// Activation Responsable and every pupil without one a Code Activation
    /// Élève, print them, and write the letters. Codes are stored only as
    /// keyed hashes: this run is the only time they can be shown.
    Generate(LettersArgs),
    /// Replace one person's codes (a lost letter): revoke the unused codes of
    /// one guardian (every current child) or one pupil, issue new ones and
    /// write that one letter (PDF and CSV). Codes already used by an
    /// account are kept. Writes a `codes_reissued` audit event.
    Reissue(ReissueArgs),
    /// Tell whom a typed code belongs to and whether it is valid (helpdesk).
    Verify {
        /// The code as typed (case, spaces and dashes do not matter).
        code: String,
        /// Print the report as JSON (one object).
        #[arg(long)]
        json: bool,
    },
}

/// `sesame codes reissue`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("holder").required(true).args(["guardian", "pupil"])))]
pub struct ReissueArgs {
    /// The school's UAI (guardian and pupil ids are per school).
    #[arg(long)]
    pub uai: String,
    /// The guardian's id in the school's export (SIECLE PERSONNE_ID, or
    /// the `responsable` column of the CSV files).
    #[arg(long)]
    pub guardian: Option<String>,
    /// The pupil's id in the school's export (SIECLE ELEVE_ID, or the
    /// `eleve_id` column of the CSV files).
    #[arg(long)]
    pub pupil: Option<String>,
    /// Folder for the letter (PDF) and its mail-merge file (CSV).
    #[arg(long, default_value = "lettres")]
    pub out: PathBuf,
}

/// Options of code generation.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("school").required(true).args(["uai", "all"])))]
pub struct LettersArgs {
    /// The school's UAI.
    #[arg(long)]
    pub uai: Option<String>,
    /// Every school imported, in one run: one folder per school under
    /// `--out`, named by its UAI.
    #[arg(long)]
    pub all: bool,
    /// Revoke every unused code of the school and issue new ones; the old
    /// codes stop working at once.
    #[arg(long)]
    pub regenerate: bool,
    /// Folder for the letters (PDF: whole school and one per class) and
    /// mail-merge files (CSV); with `--all`, one folder per school in it.
    #[arg(long, default_value = "lettres")]
    pub out: PathBuf,
}
