//! The schools file of `sesame import --schools`: one `uai;nom` line per
//! school, an optional header line, UTF-8. SIECLE exports do not carry
//! the school's name; this file gives each UAI its own.

use super::ImportError;
use sesame_domain::Uai;
use sesame_domain::text::first_forbidden_control;
use std::collections::HashMap;
use std::path::Path;

/// Largest schools file read (a few thousand schools fit in far less).
const MAX_BYTES: u64 = 4 << 20;
/// Longest school name kept.
const MAX_NAME_CHARS: usize = 200;

/// School names by UAI (upper-case, check letter verified).
pub type SchoolNames = HashMap<String, String>;

/// Reads a schools file; a bad line is refused with its number.
pub fn read(path: &Path) -> Result<SchoolNames, ImportError> {
    let label = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ImportError::file(&label, e.to_string()))?;
    if meta.len() > MAX_BYTES {
        return Err(ImportError::file(
            &label,
            format!(
                "fichier des établissements trop gros ({} octets, au plus {MAX_BYTES})",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| ImportError::file(&label, e.to_string()))?;
    parse(&bytes, &label)
}

/// Parses the text of a schools file named `label` in the messages.
pub fn parse(bytes: &[u8], label: &str) -> Result<SchoolNames, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut names = SchoolNames::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut seen_content = false;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let n = i as u64 + 1;
        let line = std::str::from_utf8(raw).map_err(|_| {
            ImportError::at(
                label,
                n,
                "encodage",
                "texte illisible en UTF-8 : enregistrez le fichier en UTF-8 (CSV UTF-8)",
            )
        })?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let header = !seen_content;
        seen_content = true;
        let Some((uai_text, name)) = line.split_once(';') else {
            if header && line.trim().eq_ignore_ascii_case("uai") {
                continue;
            }
            return Err(ImportError::at(
                label,
                n,
                "format",
                "il faut « uai;nom » (UAI, point-virgule, nom de l'établissement)",
            ));
        };
        let uai_text = unquote(uai_text.trim());
        let uai = match Uai::parse(&uai_text) {
            Ok(u) => u,
            // An optional header line: `uai;nom` or the like.
            Err(_) if header && uai_text.eq_ignore_ascii_case("uai") => continue,
            Err(e) => return Err(ImportError::at(label, n, "colonne « uai »", e.to_string())),
        };
        let name = unquote(name.trim());
        let name = name.trim();
        if name.is_empty() {
            return Err(ImportError::at(
                label,
                n,
                "colonne « nom »",
                format!("nom de l'établissement {uai} vide"),
            ));
        }
        if let Some((_, c)) = first_forbidden_control(name) {
            return Err(ImportError::at(
                label,
                n,
                "colonne « nom »",
                super::error::control_reason(c),
            ));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ImportError::at(
                label,
                n,
                "colonne « nom »",
                format!("nom trop long (au plus {MAX_NAME_CHARS} caractères)"),
            ));
        }
        if let Some(prev) = first_line.get(uai.as_str()) {
            return Err(ImportError::at(
                label,
                n,
                "colonne « uai »",
                format!("{uai} figure déjà ligne {prev}"),
            ));
        }
        first_line.insert(uai.to_string(), n);
        names.insert(uai.to_string(), name.to_owned());
    }
    if names.is_empty() {
        return Err(ImportError::file(
            label,
            "aucun établissement : il faut une ligne « uai;nom » par établissement",
        ));
    }
    Ok(names)
}

/// A field as a spreadsheet writes it: `"Lycée ""Les Pins"""` → `Lycée "Les Pins"`.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<&[(&str, &str)], &str>) {
        let got = parse(text.as_bytes(), "schools.csv").map_err(|e| e.to_string());
        match expected {
            Ok(pairs) => {
                let want: SchoolNames = pairs
                    .iter()
                    .map(|(u, n)| ((*u).to_owned(), (*n).to_owned()))
                    .collect();
                assert_eq!(got, Ok(want), "{text}");
            }
            Err(msg) => {
                let e = got.expect_err(text);
                assert!(e.contains(msg), "{text}: {e}");
            }
        }
    }

    #[test]
    fn lines_headers_and_errors() {
        check(
            "uai;nom\n0999001W;Collège Les Pins\n",
            Ok(&[("0999001W", "Collège Les Pins")]),
        );
        check(
            "\u{feff}0999001w ; \"Lycée \"\"A\"\"\"\r\n\r\n0999002X;B\n",
            Ok(&[("0999001W", "Lycée \"A\""), ("0999002X", "B")]),
        );
        check("UAI\n0999001W;A", Ok(&[("0999001W", "A")]));
        check("uai;nom\n0999001X;A\n", Err("ligne 2, colonne « uai »"));
        check("0999001W;A\nuai;nom\n", Err("ligne 2, colonne « uai »"));
        check("0999001W A\n", Err("ligne 1, format"));
        check("0999001W;\n", Err("ligne 1, colonne « nom »"));
        check(
            "0999001W;A\n0999001W;B\n",
            Err("ligne 2, colonne « uai » : 0999001W figure déjà ligne 1"),
        );
        check("0999001W;A\u{1}\n", Err("ligne 1, colonne « nom »"));
        check("uai;nom\n", Err("aucun établissement"));
        let mut latin = b"0999001W;Coll".to_vec();
        latin.push(0xE8);
        assert!(
            parse(&latin, "s.csv")
                .expect_err("latin-1")
                .to_string()
                .contains("ligne 1, encodage")
        );
    }
}
