//! The sample SIECLE exports (ISO-8859-15) and variants built from them.

/// `ElevesSansAdresses.xml`: 7 pupils (one who left).
pub const PUPILS: &[u8] = include_bytes!("../../samples/siecle/ElevesSansAdresses.xml");
/// `ResponsablesAvecAdresses.xml`: 10 persons, 13 links, 7 addresses.
pub const GUARDIANS: &[u8] = include_bytes!("../../samples/siecle/ResponsablesAvecAdresses.xml");

/// Decodes a sample to text.
pub fn text(bytes: &[u8]) -> String {
    encoding_rs_decode(bytes)
}

fn encoding_rs_decode(bytes: &[u8]) -> String {
    // ISO-8859-15 differs from Latin-1 on 8 code points; the samples use Œ (0xBC).
    bytes
        .iter()
        .map(|&b| match b {
            0xA4 => '€',
            0xA6 => 'Š',
            0xA8 => 'š',
            0xB4 => 'Ž',
            0xB8 => 'ž',
            0xBC => 'Œ',
            0xBD => 'œ',
            0xBE => 'Ÿ',
            b => char::from(b),
        })
        .collect()
}

/// Encodes text back to ISO-8859-15.
pub fn latin9(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0xA4,
            'Š' => 0xA6,
            'š' => 0xA8,
            'Ž' => 0xB4,
            'ž' => 0xB8,
            'Œ' => 0xBC,
            'œ' => 0xBD,
            'Ÿ' => 0xBE,
            c => u8::try_from(u32::from(c)).expect("latin-9 character"),
        })
        .collect()
}

/// A sample with some text replaced (asserting it was there).
#[track_caller]
pub fn edit(bytes: &[u8], edits: &[(&str, &str)]) -> Vec<u8> {
    let mut t = text(bytes);
    for (from, to) in edits {
        assert!(t.contains(from), "sample does not contain {from:?}");
        t = t.replacen(from, to, 1);
    }
    latin9(&t)
}
