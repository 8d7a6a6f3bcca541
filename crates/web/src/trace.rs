//! The request span of the trace layer, with the secrets of the query
//! string masked (REST-03): a CAS ticket, an OAuth code, a mailed link's
//! code are bearer secrets, and the span's `uri` is printed on every debug
//! line of the request.

use axum::http::{Request, Uri};
use tower_http::trace::MakeSpan;
use tracing::Span;

/// What replaces a masked value.
pub const MASK: &str = "[masqué]";

/// Words that make a query parameter secret, matched in its lower-cased
/// name: `ticket`, `pgtId`, `pgtIou`, `code`, `code_verifier`, `state`,
/// `id_token_hint`, `access_token`, `refresh_token`, `client_secret`…
const SECRET_WORDS: [&str; 9] = [
    "ticket", "token", "code", "pgt", "state", "secret", "password", "verifier", "samlart",
];

/// Whether a query parameter's value must not be logged.
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| n.contains(w))
}

/// The path and query of a request, with every secret value replaced by
/// [`MASK`]; names and other values are kept as sent.
pub fn redacted(uri: &Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_owned();
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(&percent_decoded(name)) => format!("{name}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", uri.path(), masked.join("&"))
}

/// A parameter name, percent-decoded (`%74icket` is `ticket`); invalid
/// escapes are kept as they are.
fn percent_decoded(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The span of one request, at INFO so that every line logged while it
/// runs carries its `request_id` (set by [`crate::access::log`], outside);
/// with DEBUG on, also its method and its redacted path and query.
#[derive(Clone, Copy, Debug, Default)]
pub struct RedactedSpan;

impl<B> MakeSpan<B> for RedactedSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let id = request
            .headers()
            .get(&crate::access::X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = tracing::field::Empty,
            uri = tracing::field::Empty,
        );
        if tracing::enabled!(tracing::Level::DEBUG) {
            // Security: the raw URI would print tickets and codes (REST-03).
            span.record("method", tracing::field::display(request.method()));
            span.record("uri", tracing::field::display(redacted(request.uri())));
        }
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REST-03: a table of queries and what the log shows of them.
    #[test]
    fn secret_query_values_are_masked() {
        for (uri, shown) in [
            ("/cas/login", "/cas/login"),
            (
                "/cas/serviceValidate?service=https%3A%2F%2Fa.fr%2F&ticket=ST-abc",
                "/cas/serviceValidate?service=https%3A%2F%2Fa.fr%2F&ticket=[masqué]",
            ),
            (
                "/cas/proxy?pgt=PGT-1&targetService=x",
                "/cas/proxy?pgt=[masqué]&targetService=x",
            ),
            (
                "/cb?pgtId=PGT-1&pgtIou=PGTIOU-2",
                "/cb?pgtId=[masqué]&pgtIou=[masqué]",
            ),
            ("/confirmation?code=abc&x", "/confirmation?code=[masqué]&x"),
            (
                "/oidc/logout?id_token_hint=eyJ&state=s&post_logout_redirect_uri=u",
                "/oidc/logout?id_token_hint=[masqué]&state=[masqué]&post_logout_redirect_uri=u",
            ),
            (
                "/t?refresh_token=r&access_token=a&code_verifier=v&%74icket=t",
                "/t?refresh_token=[masqué]&access_token=[masqué]&code_verifier=[masqué]&%74icket=[masqué]",
            ),
            ("/p?profil=parent", "/p?profil=parent"),
        ] {
            let uri: Uri = uri.parse().expect("uri");
            assert_eq!(redacted(&uri), shown);
        }
    }
}
