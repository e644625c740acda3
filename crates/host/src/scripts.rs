//! Finds the inline `<script>` elements of an HTML document, so the CSP can allow exactly
//! them by hash instead of falling back to `'unsafe-inline'` (Trunk injects one inline
//! module script that imports the JS glue and starts the wasm).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The raw text of every `<script>` element without a `src` attribute, in document order.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        if bytes[i..].starts_with(b"<!--") {
            // Searching from "<!" + 2 also ends the abrupt forms `<!-->` and `<!--->`,
            // as browsers do; a `<script>` inside a comment never runs.
            match find(bytes, i + 2, b"-->") {
                Some(end) => {
                    i = end + 3;
                    continue;
                }
                None => break,
            }
        }
        if !is_script_open(bytes, i) {
            i += 1;
            continue;
        }
        let Some((content_start, has_src)) = parse_open_tag(bytes, i + b"<script".len()) else {
            break;
        };
        // Script text ends at the first `</script` whatever it looks like inside; that is
        // what the HTML tokenizer does too.
        let content_end = find_ci(bytes, content_start, b"</script").unwrap_or(bytes.len());
        if !has_src {
            // Both ends sit on ASCII bytes ('>' and '<' or the end), so they are char
            // boundaries.
            if let Some(text) = html.get(content_start..content_end) {
                found.push(text);
            }
        }
        i = content_end.saturating_add(1);
    }
    found
}

/// The CSP source expression (`'sha256-…'`) allowing a script with this exact text.
pub fn csp_hash(script_text: &str) -> String {
    // The HTML parser turns CRLF and lone CR into LF before the browser hashes the text,
    // so an index.html saved with Windows line endings must be hashed the same way.
    let normalized = script_text.replace("\r\n", "\n").replace('\r', "\n");
    let digest = Sha256::digest(normalized.as_bytes());
    format!("'sha256-{}'", STANDARD.encode(digest))
}

fn is_script_open(bytes: &[u8], at: usize) -> bool {
    let tag = b"<script";
    let Some(candidate) = bytes.get(at..at + tag.len()) else {
        return false;
    };
    if !candidate.eq_ignore_ascii_case(tag) {
        return false;
    }
    // `<scripts>` or `<script-x>` are other elements.
    matches!(
        bytes.get(at + tag.len()),
        Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
    )
}

/// Walks the attributes of an opening tag from `start` (just after the tag name).
/// Returns where the element's content begins and whether a `src` attribute was present,
/// or None when the document ends inside the tag.
fn parse_open_tag(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut j = start;
    let mut has_src = false;
    loop {
        while matches!(bytes.get(j)?, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/') {
            j += 1;
        }
        if *bytes.get(j)? == b'>' {
            return Some((j + 1, has_src));
        }
        let name_start = j;
        while !matches!(
            bytes.get(j)?,
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>' | b'='
        ) {
            j += 1;
        }
        if bytes[name_start..j].eq_ignore_ascii_case(b"src") {
            has_src = true;
        }
        while matches!(bytes.get(j)?, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
            j += 1;
        }
        if *bytes.get(j)? != b'=' {
            continue;
        }
        j += 1;
        while matches!(bytes.get(j)?, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
            j += 1;
        }
        match *bytes.get(j)? {
            quote @ (b'"' | b'\'') => {
                // A `>` inside a quoted value (an integrity hash, a data- attribute) must
                // not end the tag.
                let close = bytes.get(j + 1..)?.iter().position(|&b| b == quote)?;
                j += 1 + close + 1;
            }
            _ => {
                while !matches!(bytes.get(j)?, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>') {
                    j += 1;
                }
            }
        }
    }
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trunk_style_module_script() {
        let html = "<!DOCTYPE html><html><head>\
            <link rel=\"modulepreload\" href=\"/app-0123456789abcdef.js\" integrity=\"sha384-x\">\
            </head><body>\n<script type=\"module\">\nimport init from '/app.js';\nawait init();\n</script></body></html>";
        assert_eq!(
            inline_scripts(html),
            vec!["\nimport init from '/app.js';\nawait init();\n"]
        );
    }

    #[test]
    fn skips_scripts_with_src_but_not_data_src() {
        let html = r#"<script src="/a.js"></script><script SRC=/b.js></script>
            <script data-src="x">one()</script><script defer src = '/c.js' ></script>"#;
        assert_eq!(inline_scripts(html), vec!["one()"]);
    }

    #[test]
    fn multiple_scripts_in_order() {
        let html =
            "<script>a()</script><p>x</p><SCRIPT type=module>b()</SCRIPT><script>\n</script>";
        assert_eq!(inline_scripts(html), vec!["a()", "b()", "\n"]);
    }

    #[test]
    fn nonce_and_integrity_attributes_are_ignored() {
        let html = r#"<script type="module" nonce="{{__TRUNK NONCE__}}" integrity="sha384-a>b/c=">go()</script>"#;
        assert_eq!(inline_scripts(html), vec!["go()"]);
    }

    #[test]
    fn quoted_values_with_gt_and_quotes() {
        let html = r#"<script data-x='a>"b' data-y="c>'d">z()</script>"#;
        assert_eq!(inline_scripts(html), vec!["z()"]);
    }

    #[test]
    fn self_closing_slash_and_valueless_attributes() {
        let html = "<script async/>q()</script><script\ntype=module\ndefer>r()</script>";
        assert_eq!(inline_scripts(html), vec!["q()", "r()"]);
    }

    #[test]
    fn ignores_similar_tags_and_comments() {
        let html = "<scripts>no</scripts><script-x>no</script-x><!-- <script>no()</script> -->\
            <!--><script>yes()</script>";
        assert_eq!(inline_scripts(html), vec!["yes()"]);
    }

    #[test]
    fn script_text_ends_at_first_close_tag_in_any_case() {
        let html = "<script>let s = '<b>';</ScRiPt ><script>t()</script>";
        assert_eq!(inline_scripts(html), vec!["let s = '<b>';", "t()"]);
    }

    #[test]
    fn unterminated_documents_do_not_panic() {
        assert!(inline_scripts("<script type=\"module").is_empty());
        assert!(inline_scripts("<script type='x'").is_empty());
        assert!(inline_scripts("<!-- <script>").is_empty());
        assert_eq!(inline_scripts("<script>tail()"), vec!["tail()"]);
        assert!(inline_scripts("<").is_empty());
        assert!(inline_scripts("<scr").is_empty());
    }

    #[test]
    fn non_ascii_text_around_scripts() {
        let html = "<p>é ü 日本</p><script>const s = \"日本\";</script>";
        assert_eq!(inline_scripts(html), vec!["const s = \"日本\";"]);
    }

    #[test]
    fn hash_matches_known_sha256_vectors() {
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert_eq!(
            csp_hash("abc"),
            "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"
        );
    }

    #[test]
    fn hash_normalizes_newlines_like_the_html_parser() {
        assert_eq!(csp_hash("a\r\nb\rc"), csp_hash("a\nb\nc"));
    }
}
