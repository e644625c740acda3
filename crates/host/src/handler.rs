//! Turns a request into a response. Synchronous and free of I/O so it can be tested
//! without a socket. Nothing here logs: paths and query strings can carry secrets.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use crate::site::{Asset, Representation, Site};

impl Site {
    /// The response to `method path` with these request headers. `path` is the raw
    /// (still percent-encoded) path of the request target, without the query.
    pub(crate) fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response {
        let head = match *method {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                let mut res = self.plain(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
                res.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                return res;
            }
        };
        let Some(key) = route_key(path) else {
            return self.plain(StatusCode::BAD_REQUEST, "Bad request");
        };
        let asset = match self.assets.get(&key) {
            Some(asset) => asset,
            None => {
                let last = key.rsplit('/').next().unwrap_or_default();
                // A dotted last segment asks for a file; anything else is a client-side
                // route of the single-page app.
                if key.is_empty() || !last.contains('.') {
                    match self.assets.get("index.html") {
                        Some(index) => index,
                        None => return self.plain(StatusCode::NOT_FOUND, "Not found"),
                    }
                } else {
                    return self.plain(StatusCode::NOT_FOUND, "Not found");
                }
            }
        };
        self.send(asset, headers, head)
    }

    fn send(&self, asset: &Asset, headers: &HeaderMap, head: bool) -> Response {
        let (rep, encoding) =
            match choose_encoding(headers, asset.br.is_some(), asset.gzip.is_some()) {
                Encoding::Br => (asset.br.as_ref(), Some("br")),
                Encoding::Gzip => (asset.gzip.as_ref(), Some("gzip")),
                Encoding::Identity => (None, None),
            };
        let rep: &Representation = rep.unwrap_or(&asset.identity);
        let not_modified = if_none_match(headers, asset);

        let body = if head || not_modified {
            Body::empty()
        } else {
            Body::from(rep.body.clone())
        };
        let mut res = Response::new(body);
        *res.status_mut() = if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        };
        let h = res.headers_mut();
        h.extend(self.common_headers.clone());
        h.insert(header::ETAG, rep.etag.clone());
        h.insert(header::CACHE_CONTROL, asset.cache_control.clone());
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        // Sent on HEAD and 304 as well: it is the length of the representation a GET
        // would carry, which RFC 9110 allows there.
        h.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(rep.body.len() as u64),
        );
        if !not_modified {
            h.insert(header::CONTENT_TYPE, asset.content_type.clone());
        }
        if let Some(encoding) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        res
    }

    fn plain(&self, status: StatusCode, text: &'static str) -> Response {
        let mut res = Response::new(Body::from(text));
        *res.status_mut() = status;
        let h = res.headers_mut();
        h.extend(self.common_headers.clone());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len() as u64));
        res
    }
}

/// Maps a raw request path to the key of a file (`a/b.js`; "" for the root), or None
/// when it must be refused: bad percent-encoding, not UTF-8, NUL or backslash, or a `.`
/// or `..` segment (decoded, so `%2e%2e` and `..%2f` count too). Files are only ever
/// looked up in memory, but refusing these keeps an odd path from reaching the SPA
/// fallback with a 200.
pub(crate) fn route_key(raw_path: &str) -> Option<String> {
    let decoded = percent_decode(raw_path)?;
    let decoded = String::from_utf8(decoded).ok()?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" => {}
            "." | ".." => return None,
            s => segments.push(s),
        }
    }
    Some(segments.join("/"))
}

fn percent_decode(input: &str) -> Option<Vec<u8>> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// Picks the encoding with the highest q-value among those the client accepts and we
/// have; on a tie brotli wins (smaller), then gzip.
pub(crate) fn choose_encoding(headers: &HeaderMap, have_br: bool, have_gzip: bool) -> Encoding {
    let (mut q_br, mut q_gzip, mut q_star) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let mut q = Some(1.0_f32);
            for param in parts {
                if let Some((name, v)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = v
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q));
                }
            }
            let Some(q) = q else { continue };
            match coding.as_str() {
                "br" => q_br = Some(q),
                "gzip" | "x-gzip" => q_gzip = Some(q),
                "*" => q_star = Some(q),
                _ => {}
            }
        }
    }
    let q_br = if have_br {
        q_br.or(q_star).unwrap_or(0.0)
    } else {
        0.0
    };
    let q_gzip = if have_gzip {
        q_gzip.or(q_star).unwrap_or(0.0)
    } else {
        0.0
    };
    if q_br > 0.0 && q_br >= q_gzip {
        Encoding::Br
    } else if q_gzip > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// If-None-Match uses weak comparison (RFC 9110 13.1.2), and any encoding of the same
/// content counts as a match.
fn if_none_match(headers: &HeaderMap, asset: &Asset) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        let Ok(value) = value.to_str() else {
            return false;
        };
        value.split(',').map(str::trim).any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || asset.etags().any(|etag| etag.as_bytes() == tag.as_bytes())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys() {
        assert_eq!(route_key("/").as_deref(), Some(""));
        assert_eq!(route_key("").as_deref(), Some(""));
        assert_eq!(route_key("/index.html").as_deref(), Some("index.html"));
        assert_eq!(route_key("//a///b.js").as_deref(), Some("a/b.js"));
        assert_eq!(route_key("/some/route/").as_deref(), Some("some/route"));
        assert_eq!(route_key("/caf%C3%A9.txt").as_deref(), Some("café.txt"));
        assert_eq!(route_key("/a%20b.js").as_deref(), Some("a b.js"));
        assert_eq!(route_key("/a%2fb.js").as_deref(), Some("a/b.js"));
        assert_eq!(route_key("/a..b.js").as_deref(), Some("a..b.js"));
    }

    #[test]
    fn route_keys_refused() {
        for bad in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/..%2f..%2fetc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2e%2Fetc",
            "/./index.html",
            "/a%5c..%5cb",
            "/a\\b",
            "/a%00.js",
            "/%",
            "/%2",
            "/%zz",
            "/%ff.js",
            "/%C3",
        ] {
            assert_eq!(route_key(bad), None, "{bad}");
        }
    }

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn encoding_choice() {
        let all = |v: &str| choose_encoding(&accept(v), true, true);
        assert_eq!(all("gzip, deflate, br, zstd"), Encoding::Br);
        assert_eq!(all("gzip, deflate"), Encoding::Gzip);
        assert_eq!(all("GZIP"), Encoding::Gzip);
        assert_eq!(all("identity"), Encoding::Identity);
        assert_eq!(all(""), Encoding::Identity);
        assert_eq!(all("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(all("br;q=0.5, gzip;q=0.8"), Encoding::Gzip);
        assert_eq!(all("br;q=0.8, gzip;q=0.8"), Encoding::Br);
        assert_eq!(all("*"), Encoding::Br);
        assert_eq!(all("*;q=0"), Encoding::Identity);
        assert_eq!(all("br;q=nonsense, gzip"), Encoding::Gzip);
        assert_eq!(
            choose_encoding(&HeaderMap::new(), true, true),
            Encoding::Identity
        );
        assert_eq!(
            choose_encoding(&accept("br, gzip"), false, true),
            Encoding::Gzip
        );
        assert_eq!(
            choose_encoding(&accept("br, gzip"), false, false),
            Encoding::Identity
        );
    }
}
