//! The site held in memory: every file of the dist directory, its compressed forms, and
//! the headers computed once at start.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::config::{Config, DEFAULT_CONNECT_SRC, Origin};
use crate::scripts;

pub(crate) const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub(crate) const CACHE_NO_CACHE: &str = "no-cache";

const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()";

/// Brotli at quality 11 takes seconds per megabyte; a debug build's wasm can be tens of
/// megabytes, so large files get a faster level to keep start-up short.
const BROTLI_BEST_LIMIT: usize = 4 * 1024 * 1024;

/// One file, ready to send.
#[derive(Debug)]
pub(crate) struct Asset {
    pub identity: Representation,
    pub gzip: Option<Representation>,
    pub br: Option<Representation>,
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
}

#[derive(Debug)]
pub(crate) struct Representation {
    pub body: Bytes,
    pub etag: HeaderValue,
}

impl Asset {
    /// Every ETag this file has been sent with: the same content in another encoding is
    /// still fresh for a client that asks with If-None-Match.
    pub fn etags(&self) -> impl Iterator<Item = &HeaderValue> {
        std::iter::once(&self.identity)
            .chain(self.gzip.as_ref())
            .chain(self.br.as_ref())
            .map(|r| &r.etag)
    }
}

/// The loaded site: build it with [`Site::load`], serve it with [`crate::serve`].
#[derive(Debug)]
pub struct Site {
    pub(crate) assets: HashMap<String, Asset>,
    /// Security headers sent on every response.
    pub(crate) common_headers: HeaderMap,
    csp: String,
    connect_src: Vec<String>,
    dir: PathBuf,
}

impl Site {
    /// Reads every file under `config.dir` into memory, compresses what is worth it and
    /// computes the Content-Security-Policy from the inline scripts of `index.html`.
    pub fn load(config: &Config) -> Result<Site, LoadError> {
        let dir = &config.dir;
        if !dir.is_dir() {
            return Err(LoadError::new(format!(
                "directory {} not found (build the app first, e.g. `trunk build --release`)",
                dir.display()
            )));
        }
        let index_path = dir.join("index.html");
        if !index_path.is_file() {
            return Err(LoadError::new(format!(
                "{} not found (is --dir the built app's dist directory?)",
                index_path.display()
            )));
        }

        let mut files = Vec::new();
        std::fs::canonicalize(dir)
            .and_then(|root| collect_files(&root, dir, "", &mut files))
            .map_err(|e| LoadError::new(format!("cannot read {}: {e}", dir.display())))?;

        let mut assets = HashMap::with_capacity(files.len());
        let mut index_html = None;
        for (key, path) in files {
            let content = std::fs::read(&path)
                .map_err(|e| LoadError::new(format!("cannot read {}: {e}", path.display())))?;
            if key == "index.html" {
                let text = String::from_utf8(content.clone()).map_err(|_| {
                    LoadError::new(format!("{} is not valid UTF-8", path.display()))
                })?;
                index_html = Some(text);
            }
            let asset = build_asset(&key, content)
                .map_err(|e| LoadError::new(format!("cannot prepare {}: {e}", path.display())))?;
            assets.insert(key, asset);
        }
        let index_html = index_html
            .ok_or_else(|| LoadError::new(format!("{} could not be read", index_path.display())))?;

        let hashes: Vec<String> = scripts::inline_scripts(&index_html)
            .into_iter()
            .map(scripts::csp_hash)
            .collect();
        let connect_src = connect_src_list(&config.connect_src);
        let csp = build_csp(&hashes, &connect_src, config.trusted_types);
        let common_headers = common_headers(&csp)?;

        Ok(Site {
            assets,
            common_headers,
            csp,
            connect_src,
            dir: dir.clone(),
        })
    }

    /// The Content-Security-Policy sent with every response.
    pub fn csp(&self) -> &str {
        &self.csp
    }

    /// The `connect-src` sources, `'self'` first.
    pub fn connect_src(&self) -> &[String] {
        &self.connect_src
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many files are served.
    pub fn file_count(&self) -> usize {
        self.assets.len()
    }
}

/// Why the site could not be loaded; the message is one line, ready for the user.
#[derive(Debug, Clone)]
pub struct LoadError(String);

impl LoadError {
    fn new(message: String) -> Self {
        LoadError(message)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

fn connect_src_list(extra: &[Origin]) -> Vec<String> {
    let mut list = vec!["'self'".to_owned()];
    let all = DEFAULT_CONNECT_SRC
        .iter()
        .copied()
        .chain(extra.iter().map(Origin::as_str));
    for source in all {
        if !list.iter().any(|s| s == source) {
            list.push(source.to_owned());
        }
    }
    list
}

pub(crate) fn build_csp(
    script_hashes: &[String],
    connect_src: &[String],
    trusted_types: bool,
) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        if !script_src.contains(hash.as_str()) {
            script_src.push(' ');
            script_src.push_str(hash);
        }
    }
    let mut csp = format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src {}; manifest-src 'self'; worker-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        connect_src.join(" ")
    );
    if trusted_types {
        csp.push_str("; require-trusted-types-for 'script'; trusted-types 'none'");
    }
    csp
}

fn common_headers(csp: &str) -> Result<HeaderMap, LoadError> {
    let csp = HeaderValue::from_str(csp)
        .map_err(|_| LoadError::new("the Content-Security-Policy is not a valid header".into()))?;
    let fixed: [(HeaderName, &'static str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let mut headers = HeaderMap::with_capacity(fixed.len() + 1);
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(headers)
}

/// Collects (url key, path) for every file under `dir`. Dot-files (editor and Trunk
/// staging leftovers such as `.stage`) are not published, except `.well-known`.
/// Symlinked directories are not followed, so a link loop cannot hang the start. A
/// symlinked file is published only when it resolves inside `root` (the served
/// directory, canonical): a stray link to `~/.ssh/id_ed25519` or `/etc/shadow` must not
/// put that file on the web.
fn collect_files(
    root: &Path,
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, PathBuf)>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            // A name that is not UTF-8 cannot be asked for in a URL we decode as UTF-8.
            continue;
        };
        if name.starts_with('.') && name != ".well-known" {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type()?;
        let key = format!("{prefix}{name}");
        if file_type.is_dir() {
            collect_files(root, &path, &format!("{key}/"), out)?;
        } else if file_type.is_file() {
            out.push((key, path));
        } else if file_type.is_symlink() {
            // The file checked is the file read: a link changed in between is not followed.
            if let Some(target) = published_target(root, &path) {
                out.push((key, target));
            }
        }
    }
    Ok(())
}

/// Where the symlink `link` leads, if that is a file published itself: a regular file
/// inside `root`, not under a dot-name. A dangling link, a loop or a target outside
/// gives `None`.
fn published_target(root: &Path, link: &Path) -> Option<PathBuf> {
    let target = std::fs::canonicalize(link).ok()?;
    let inside = target.strip_prefix(root).ok()?;
    let published = inside.components().all(|c| {
        let name = c.as_os_str().to_string_lossy();
        !name.starts_with('.') || name == ".well-known"
    });
    (published && target.is_file()).then_some(target)
}

fn build_asset(key: &str, content: Vec<u8>) -> io::Result<Asset> {
    let file_name = key.rsplit('/').next().unwrap_or(key);
    let ext = extension(file_name);
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(&content));
    let etag = |suffix: &str| {
        HeaderValue::from_str(&format!("\"{digest}{suffix}\""))
            .map_err(|_| io::Error::other("bad etag"))
    };
    let (gzip, br) = if is_compressible(&ext) {
        (gzip(&content)?, brotli(&content)?)
    } else {
        (Vec::new(), Vec::new())
    };
    // A compressed form that is not smaller only costs the client a decode.
    let keep = |c: Vec<u8>| (!c.is_empty() && c.len() < content.len()).then(|| Bytes::from(c));
    let gzip = match keep(gzip) {
        Some(body) => Some(Representation {
            body,
            etag: etag("-gz")?,
        }),
        None => None,
    };
    let br = match keep(br) {
        Some(body) => Some(Representation {
            body,
            etag: etag("-br")?,
        }),
        None => None,
    };
    let cache_control = if is_content_hashed(file_name) {
        CACHE_IMMUTABLE
    } else {
        CACHE_NO_CACHE
    };
    Ok(Asset {
        identity: Representation {
            body: Bytes::from(content),
            etag: etag("")?,
        },
        gzip,
        br,
        content_type: HeaderValue::from_static(content_type(&ext)),
        cache_control: HeaderValue::from_static(cache_control),
    })
}

fn gzip(content: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(content)?;
    encoder.finish()
}

fn brotli(content: &[u8]) -> io::Result<Vec<u8>> {
    let quality = if content.len() <= BROTLI_BEST_LIMIT {
        11
    } else {
        5
    };
    let mut writer = brotli::CompressorWriter::new(Vec::new(), 64 * 1024, quality, 22);
    writer.write_all(content)?;
    writer.flush()?;
    Ok(writer.into_inner())
}

/// The extension of a file name, lowercased ("" when there is none).
pub(crate) fn extension(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn is_compressible(ext: &str) -> bool {
    matches!(
        ext,
        "html" | "js" | "mjs" | "css" | "wasm" | "json" | "map" | "svg" | "txt" | "webmanifest"
    )
}

pub(crate) fn content_type(ext: &str) -> &'static str {
    match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// True when the name carries a Trunk content hash: `-` then hex digits, then `.` or `_`
/// (`app-1a2b…_bg.wasm`). Trunk prints its 64-bit hash with `{:x}`, without leading
/// zeros, so 1 build in 16 gets 15 digits; 12 to 16 digits are accepted for that reason.
pub(crate) fn is_content_hashed(file_name: &str) -> bool {
    let bytes = file_name.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'-' {
            return false;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        (12..=16).contains(&digits) && matches!(bytes.get(i + 1 + digits), Some(b'.' | b'_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_names() {
        for yes in [
            "byok-app-1a2b3c4d5e6f7a8b.js",
            "byok-app-1a2b3c4d5e6f7a8b_bg.wasm",
            "style-0123456789ABCDEF.css",
            "byok-app-a2b3c4d5e6f7a8b.js",
            "assets/x-1a2b3c4d5e6f7a8b.min.js",
        ] {
            assert!(
                is_content_hashed(yes.rsplit('/').next().unwrap_or(yes)),
                "{yes}"
            );
        }
        for no in [
            "index.html",
            "byok-app.js",
            "style-1a2b3c4d.css",
            "x-1a2b3c4d5e6f7a8b9.js",
            "x-1a2b3c4d5e6f7a8g.js",
            "x_1a2b3c4d5e6f7a8b.js",
            "x-1a2b3c4d5e6f7a8b",
            "favicon.ico",
        ] {
            assert!(!is_content_hashed(no), "{no}");
        }
    }

    #[test]
    fn mime_types() {
        let ct = |name: &str| content_type(&extension(name));
        assert_eq!(ct("a_bg.wasm"), "application/wasm");
        assert_eq!(ct("a.js"), "text/javascript");
        assert_eq!(ct("a.css"), "text/css");
        assert_eq!(ct("index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("INDEX.HTML"), "text/html; charset=utf-8");
        assert_eq!(ct("a.json"), "application/json");
        assert_eq!(ct("a.svg"), "image/svg+xml");
        assert_eq!(ct("a.png"), "image/png");
        assert_eq!(ct("favicon.ico"), "image/x-icon");
        assert_eq!(ct("manifest.webmanifest"), "application/manifest+json");
        assert_eq!(ct("robots.txt"), "text/plain; charset=utf-8");
        assert_eq!(ct("a.bin"), "application/octet-stream");
        assert_eq!(ct("LICENSE"), "application/octet-stream");
        assert_eq!(ct(".hidden"), "application/octet-stream");
    }

    #[test]
    fn csp_lists_hashes_and_connect_src() {
        let connect = connect_src_list(&[
            Origin::parse("https://openrouter.ai").unwrap_or_else(|e| panic!("{e}")),
            Origin::parse("https://api.openai.com").unwrap_or_else(|e| panic!("{e}")),
        ]);
        let csp = build_csp(
            &["'sha256-abc'".into(), "'sha256-abc'".into()],
            &connect,
            false,
        );
        assert_eq!(
            csp,
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-abc'; \
             style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' \
             https://api.anthropic.com https://api.openai.com \
             https://generativelanguage.googleapis.com https://openrouter.ai; \
             manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        );
        assert!(!csp.contains("trusted-types"));
        let tt = build_csp(&[], &connect, true);
        assert!(tt.ends_with("; require-trusted-types-for 'script'; trusted-types 'none'"));
    }

    #[test]
    fn compresses_text_but_keeps_only_smaller_forms() {
        let text = "hello hello hello hello hello hello hello hello".repeat(50);
        let asset = build_asset("app.js", text.into_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(asset.gzip.is_some() && asset.br.is_some());
        let tiny = build_asset("a.js", b"x".to_vec()).unwrap_or_else(|e| panic!("{e}"));
        assert!(tiny.gzip.is_none() && tiny.br.is_none());
        let png = build_asset("a.png", vec![0; 4096]).unwrap_or_else(|e| panic!("{e}"));
        assert!(png.gzip.is_none() && png.br.is_none());
    }

    #[test]
    fn etags_differ_per_encoding_and_are_quoted() {
        let asset = build_asset("app.css", "body{color:red}".repeat(100).into_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let tags: Vec<_> = asset.etags().collect();
        assert_eq!(tags.len(), 3);
        assert!(tags[0] != tags[1] && tags[1] != tags[2]);
        for tag in tags {
            let s = tag.to_str().unwrap_or_default();
            assert!(s.starts_with('"') && s.ends_with('"'), "{s}");
        }
    }
}
