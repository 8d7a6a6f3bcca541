//! The demonstration directory of `sesame demo`: a second Sésame, served
//! by the same process on the next port, that plays the académie's staff
//! and guest directory. Its few fixed accounts log in with a password
//! there; the main instance lists it as the `[[upstream]]` of the three
//! profiles that need one, so the demo shows all five profiles of the
//! first screen. Nothing here is used outside `sesame demo`.

use crate::app::App;
use crate::config::{ClaimMapping, OidcClient, Protocol, SecretKey, ServiceDef, Upstream};
use sesame_domain::RegisteredUrl;
use sesame_domain::{AccountKind, AccountState, Profile};
use sesame_oidc::claims::SubjectType;
use sesame_oidc::jws::Alg;
use sesame_store::federated::{self, Claims};
use sesame_store::{StoreError, WriteTxn, accounts};
use url::Url;

/// The id of the directory as an `[[upstream]]` of the main instance (and
/// the provider its own accounts are filed under, for their names).
pub const DIRECTORY_ID: &str = "annuaire";
/// The main instance's client id at the directory.
pub const CLIENT_ID: &str = "sesame-demo";
/// The first word of the directory's cookie names: it runs on the main
/// instance's host, and cookies do not tell ports apart.
pub const COOKIE_PREFIX: &str = "annuaire";

/// One fixed account of the directory.
#[derive(Debug, Clone, Copy)]
pub struct DirectoryAccount {
    /// Identifiant at the directory (and, mapped, at the main instance).
    pub identifiant: &'static str,
    /// Password (printed at start: a demonstration, not a secret).
    pub password: &'static str,
    /// Given name.
    pub first_name: &'static str,
    /// Family name.
    pub last_name: &'static str,
    /// The profile to choose at the main instance.
    pub profile: Profile,
    /// What the person is, as printed.
    pub role: &'static str,
}

/// The directory's accounts: a teacher, a territorial staff member, a
/// guest.
pub const ACCOUNTS: [DirectoryAccount; 3] = [
    DirectoryAccount {
        identifiant: "claire.dupont",
        password: "Annuaire-Claire-2026",
        first_name: "Claire",
        last_name: "DUPONT",
        profile: Profile::PersonnelEducation,
        role: "professeure",
    },
    DirectoryAccount {
        identifiant: "marc.leroy",
        password: "Annuaire-Marc-2026",
        first_name: "Marc",
        last_name: "LEROY",
        profile: Profile::PersonnelCollectivite,
        role: "agent du département",
    },
    DirectoryAccount {
        identifiant: "ines.garnier",
        password: "Annuaire-Ines-2026",
        first_name: "Inès",
        last_name: "GARNIER",
        profile: Profile::Invite,
        role: "intervenante invitée",
    },
];

/// The profiles the directory serves (at the main instance, and on its
/// own first screen).
pub const PROFILES: [Profile; 3] = [
    Profile::PersonnelEducation,
    Profile::PersonnelCollectivite,
    Profile::Invite,
];

/// Creates the directory's accounts (active, with their passwords), each
/// with its names (filed as claims of [`DIRECTORY_ID`], which the
/// directory releases like any staff account's).
pub async fn seed_directory(app: &App) -> Result<(), StoreError> {
    let now = app.clock.now();
    for a in ACCOUNTS {
        let hash = app
            .hasher
            .hash(a.password)
            .await
            .map_err(|e| StoreError::from(sesame_store::DbErr::Custom(e)))?;
        let txn = app.db.conn().begin_write().await?;
        let row = accounts::insert(
            &txn,
            accounts::NewAccount {
                identifiant: a.identifiant.to_owned(),
                identifiant_display: a.identifiant.to_owned(),
                password_hash: hash,
                email: Some(format!("{}@annuaire.invalid", a.identifiant)),
                state: AccountState::Active,
                kind: AccountKind::Federe,
                joint: false,
                language: sesame_domain::Language::Fr,
            },
            now,
        )
        .await?;
        let claims = Claims {
            identifiant: a.identifiant.to_owned(),
            first_name: Some(a.first_name.to_owned()),
            last_name: Some(a.last_name.to_owned()),
            email: None,
            birth_date: None,
            uai: Vec::new(),
            role: Some(a.role.to_owned()),
        };
        federated::link(&txn, DIRECTORY_ID, a.identifiant, row.id, &claims, now).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// The main instance, registered at the directory as a confidential
/// OpenID Connect client (`secret_hash`: the argon2id hash of its secret).
pub fn client_at_directory(main_url: &Url, secret_hash: String) -> ServiceDef {
    let at = |path: &str| {
        RegisteredUrl::from_url(main_url.join(path).unwrap_or_else(|_| main_url.clone()))
    };
    ServiceDef {
        id: CLIENT_ID.into(),
        name: "Sésame (démonstration)".into(),
        protocol: Protocol::Oidc,
        attributes: Default::default(),
        cas: None,
        oidc: Some(OidcClient {
            client_id: CLIENT_ID.into(),
            client_secret_hash: Some(secret_hash),
            redirect_uris: vec![at("amont/retour")],
            post_logout_redirect_uris: vec![at("amont/deconnexion")],
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            backchannel_logout_uri: None,
            consent: false,
            id_token_signed_response_alg: Alg::Rs256,
            subject_type: SubjectType::Public,
            refresh_tokens: false,
        }),
        file: Default::default(),
    }
}

/// The directory as the main instance's `[[upstream]]` for the three
/// profiles that need one.
pub fn directory_upstream(directory_url: &Url, secret: &str) -> Upstream {
    Upstream {
        id: DIRECTORY_ID.into(),
        name: "l'annuaire de démonstration".into(),
        issuer: directory_url.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(SecretKey::new(secret.to_owned())),
        client_secret_file: None,
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        profiles: PROFILES.iter().map(|p| p.as_str().to_owned()).collect(),
        claims: ClaimMapping::default(),
        match_guardians: false,
    }
}
