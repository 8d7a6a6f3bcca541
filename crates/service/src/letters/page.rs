//! One letter's page: the recipient's address block, the salutation, the
//! children with their codes, the first-visit steps and the QR code,
//! written with the standard Helvetica font in WinAnsi encoding.

use super::*;

pub(super) const PAGE_W: f32 = 595.0;
pub(super) const PAGE_H: f32 = 842.0;
pub(super) const MARGIN: f32 = 56.0;
pub(super) const REGULAR: Name<'static> = Name(b"F1");
pub(super) const BOLD: Name<'static> = Name(b"F2");

/// Encodes text in WinAnsi (Windows-1252) for the standard PDF fonts.
pub(super) fn winansi(s: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
    bytes.into_owned()
}

pub(super) fn fr_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// Lays out text lines on one page.
pub(super) struct PageWriter {
    content: Content,
    y: f32,
}

impl PageWriter {
    fn new() -> Self {
        Self {
            content: Content::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn at(&mut self, font: Name<'_>, size: f32, x: f32, y: f32, text: &str) {
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, y);
        self.content.show(Str(&winansi(text)));
        self.content.end_text();
    }

    fn line(&mut self, font: Name<'_>, size: f32, text: &str) {
        self.at(font, size, MARGIN, self.y, text);
        self.y -= size * 1.45;
    }

    /// Writes a paragraph, wrapped on word boundaries.
    fn para(&mut self, font: Name<'_>, size: f32, indent: f32, text: &str) {
        let max = ((PAGE_W - 2.0 * MARGIN - indent) / (size * 0.5)) as usize;
        let mut line = String::new();
        for word in text.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                self.at(font, size, MARGIN + indent, self.y, &line);
                self.y -= size * 1.35;
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            self.at(font, size, MARGIN + indent, self.y, &line);
            self.y -= size * 1.35;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn rule(&mut self) {
        self.content.set_line_width(0.5);
        self.content.move_to(MARGIN, self.y + 12.0);
        self.content.line_to(PAGE_W - MARGIN, self.y + 12.0);
        self.content.stroke();
    }
}

pub(super) fn salutation(civility: Option<&str>) -> &'static str {
    match civility.map(|c| c.trim().to_ascii_uppercase()) {
        Some(c) if c.starts_with("MME") || c.starts_with("MLLE") => "Madame,",
        Some(c) if c.starts_with('M') => "Monsieur,",
        _ => "Madame, Monsieur,",
    }
}

pub(super) struct Letter<'a> {
    pub(super) recipient: Vec<String>,
    pub(super) salutation: &'static str,
    pub(super) children: Vec<&'a ChildCode>,
    /// The class the letter is handed out in: the pupil's, or the first
    /// (in class order) of the guardian's children.
    pub(super) class: Option<&'a str>,
    /// Family name, then first name: the order within a class.
    pub(super) family: (&'a str, &'a str),
}

/// What a letter states from the configuration.
pub struct Wording<'a> {
    /// `[branding]`.
    pub config: &'a Config,
    /// The password rule as the forms state it (`[password]`).
    pub rule: String,
}

impl<'a> Wording<'a> {
    /// The wording of `app`'s configuration.
    pub fn of(app: &'a App) -> Self {
        Self {
            config: &app.config,
            rule: app.policy.rule(),
        }
    }
}

pub(super) fn render_page(
    wording: &Wording<'_>,
    codes: &GeneratedCodes,
    audience: Audience,
    letter: &Letter<'_>,
) -> Vec<u8> {
    let b = &wording.config.branding;
    let rule = &wording.rule;
    let tu = audience == Audience::Pupils;
    let mut w = PageWriter::new();
    w.line(BOLD, 14.0, &b.academie);
    w.line(
        REGULAR,
        10.0,
        &format!("{} (UAI {})", codes.school.name, codes.school.uai),
    );
    // Recipient block, right-hand side, window-envelope position.
    let mut y = PAGE_H - 150.0;
    for l in &letter.recipient {
        w.at(REGULAR, 10.5, 320.0, y, l);
        y -= 14.0;
    }
    w.y = PAGE_H - 260.0;
    w.line(
        REGULAR,
        10.0,
        &format!("Le {}", fr_date(codes.generated_on)),
    );
    w.gap(6.0);
    let (code_name, profile, box_title) = match audience {
        Audience::Guardians => (
            "Code Activation Responsable",
            "Parent",
            "Vous êtes un Parent",
        ),
        Audience::Pupils => ("Code Activation Élève", "Élève", "Vous êtes un Élève"),
    };
    w.line(
        BOLD,
        11.0,
        if tu {
            "Objet : création de ton compte pour les télé-services"
        } else {
            "Objet : création de votre compte pour les télé-services"
        },
    );
    w.gap(6.0);
    w.line(REGULAR, 10.5, letter.salutation);
    w.gap(2.0);
    let intro = match audience {
        Audience::Guardians => format!(
            "Les télé-services de l'établissement vous permettent de suivre en ligne la scolarité de vos enfants. Pour y accéder, créez votre compte avec le {code_name} indiqué ci-dessous (un code par enfant)."
        ),
        Audience::Pupils => format!(
            "Les télé-services de l'établissement te permettent de suivre ta scolarité en ligne. Pour y accéder, crée ton compte avec le {code_name} indiqué ci-dessous."
        ),
    };
    w.para(REGULAR, 10.5, 0.0, &intro);
    w.gap(8.0);
    let cols = [MARGIN, MARGIN + 130.0, MARGIN + 215.0, MARGIN + 285.0];
    let y = w.y;
    for (x, h) in cols.iter().zip(["Prénom", "Né(e) le", "Classe", code_name]) {
        w.at(BOLD, 10.0, *x, y, h);
    }
    w.gap(15.0);
    w.rule();
    for c in &letter.children {
        let y = w.y;
        w.at(REGULAR, 10.5, cols[0], y, &c.first_name);
        w.at(REGULAR, 10.5, cols[1], y, &fr_date(c.birth_date));
        w.at(REGULAR, 10.5, cols[2], y, c.class.as_deref().unwrap_or(""));
        w.at(BOLD, 12.0, cols[3], y, &c.code);
        w.gap(17.0);
    }
    w.rule();
    w.gap(10.0);
    w.line(
        BOLD,
        10.5,
        if tu {
            "Pour créer ton compte :"
        } else {
            "Pour créer votre compte :"
        },
    );
    let label = &b.portal_link_label;
    let url = &b.portal_url;
    let steps: [String; 6] = if tu {
        [
            format!("1. Rends-toi à l'adresse {url} et clique sur « {label} »."),
            format!("2. Choisis le profil « {profile} »."),
            format!("3. Dans l'encadré « Première visite », rubrique « {box_title} », clique sur « créez votre compte »."),
            "4. Saisis ton prénom, ta date de naissance et le code d'activation ci-dessus.".to_owned(),
            format!("5. Choisis ton identifiant et ton mot de passe ({rule}), puis indique ton adresse électronique."),
            "6. Ton compte est actif tout de suite : tu peux te connecter aussitôt avec ton identifiant et ton mot de passe.".to_owned(),
        ]
    } else {
        [
            format!("1. Rendez-vous à l'adresse {url} et cliquez sur « {label} »."),
            format!("2. Choisissez le profil « {profile} »."),
            format!("3. Dans l'encadré « Première visite », rubrique « {box_title} », cliquez sur « créez votre compte »."),
            "4. Pour chaque enfant, saisissez son prénom, sa date de naissance et le code d'activation ci-dessus. Pour un compte joint avec l'autre responsable légal, saisissez aussi les codes qu'il a reçus.".to_owned(),
            format!("5. Choisissez votre identifiant et votre mot de passe ({rule}), puis indiquez votre adresse électronique."),
            "6. Un courriel de confirmation vous est envoyé : activez le compte avec le lien qu'il contient dans un délai d'une semaine. Au-delà, le compte est supprimé et vous pourrez le recréer avec les mêmes codes.".to_owned(),
        ]
    };
    for s in &steps {
        w.para(REGULAR, 10.0, 10.0, s);
        w.gap(2.0);
    }
    w.gap(8.0);
    let valid = fr_date(codes.valid_until);
    let help = &b.help;
    let closing = if tu {
        format!(
            "Ce code est personnel et valable jusqu'au {valid}. Ne le communique à personne : il ne sert qu'à créer ton compte, ensuite seuls ton identifiant et ton mot de passe sont demandés. Pour toute question : {help}."
        )
    } else {
        format!(
            "Ces codes sont personnels et valables jusqu'au {valid}. Ne les communiquez à personne : ils ne servent qu'à créer le compte, ensuite seuls votre identifiant et votre mot de passe sont demandés. Pour toute question : {help}."
        )
    };
    w.para(REGULAR, 10.0, 0.0, &closing);
    // The QR code (a form XObject shared by every page) and its caption.
    w.gap(10.0);
    let top = w.y + 10.0;
    w.content.save_state();
    w.content
        .transform([1.0, 0.0, 0.0, 1.0, MARGIN, (top - QR_SIZE).max(20.0)]);
    w.content.x_object(QR);
    w.content.restore_state();
    w.y = top - 10.0;
    let indent = QR_SIZE + 14.0;
    w.para(BOLD, 10.0, indent, "Première visite");
    let first_visit = first_visit_url(wording.config, audience);
    w.para(
        REGULAR,
        10.0,
        indent,
        &if tu {
            format!("Scanne ce code avec un téléphone pour ouvrir la page de création de ton compte : {first_visit}")
        } else {
            format!("Scannez ce code avec un téléphone pour ouvrir la page de création de votre compte : {first_visit}")
        },
    );
    w.content.finish().to_vec()
}
