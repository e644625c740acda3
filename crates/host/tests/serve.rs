//! Starts the host on 127.0.0.1:0 against a temporary dist directory and checks it over
//! real HTTP/1.1, with a raw TCP client so that nothing normalises the paths we send.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use byok_host::{Args, Site, serve};
use clap::Parser as _;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const JS: &str = "byok-app-0123456789abcdef.js";
const WASM: &str = "byok-app-0123456789abcdef_bg.wasm";
const CSS: &str = "style-fedcba9876543210.css";
const INLINE_SCRIPT: &str = "\nimport init, * as bindings from '/byok-app-0123456789abcdef.js';\n\
    const wasm = await init({ module_or_path: '/byok-app-0123456789abcdef_bg.wasm' });\n\
    window.wasmBindings = bindings;\n\
    dispatchEvent(new CustomEvent(\"TrunkApplicationStarted\", {detail: {wasm}}));\n";

fn index_html() -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>byok</title>\
         <link rel=\"stylesheet\" href=\"/{CSS}\" integrity=\"sha384-abc\"/>\
         <link rel=\"modulepreload\" href=\"/{JS}\" crossorigin=\"anonymous\" integrity=\"sha384-def\">\
         </head><body>\n<script type=\"module\" nonce=\"\">{INLINE_SCRIPT}</script></body></html>"
    )
}

fn js_body() -> Vec<u8> {
    "export function greet(name) { return `hello ${name}`; }\n"
        .repeat(200)
        .into_bytes()
}

fn wasm_body() -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..20_000u32 {
        wasm.push((i % 7) as u8);
    }
    wasm
}

fn fixture() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let write = |name: &str, body: &[u8]| {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, body).expect("write");
    };
    write("index.html", index_html().as_bytes());
    write(JS, &js_body());
    write(WASM, &wasm_body());
    write(CSS, "body { margin: 0; }\n".repeat(50).as_bytes());
    write("favicon.ico", &[0, 0, 1, 0, 1, 0]);
    write(
        "assets/logo.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    write(".env", b"SECRET=1");
    // A link to a file of the site is published under its own name too; links leading
    // out of the directory (or nowhere) are not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(root.join("assets/logo.svg"), root.join("logo-link.svg")).expect("symlink");
        symlink("../.env", root.join("assets/env-link.txt")).expect("symlink");
        // This test's own binary: a file that surely exists, outside the site.
        let outside = std::env::current_exe().expect("test binary");
        symlink(outside, root.join("outside.bin")).expect("symlink");
        symlink(root.join("missing.txt"), root.join("dangling.txt")).expect("symlink");
    }
    dir
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: TempDir,
}

impl Server {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
        assert!(
            matches!(done, Ok(Ok(Ok(())))),
            "server did not shut down cleanly"
        );
    }
}

async fn start(flags: &[&str], env: Option<&str>) -> Server {
    let dir = fixture();
    let dir_arg = dir.path().to_str().expect("utf-8 temp path").to_owned();
    let mut argv = vec!["byok-host", "--dir", &dir_arg];
    argv.extend_from_slice(flags);
    let args = Args::try_parse_from(argv).expect("flags");
    let config = args.config(env).expect("config");
    let site = Site::load(&config).expect("load");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(site, listener, async {
        let _ = rx.await;
    }));
    Server {
        addr,
        stop: Some(tx),
        task,
        _dir: dir,
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn must(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("missing {name} in {:?}", self.headers))
    }
}

async fn request(addr: SocketAddr, method: &str, target: &str, extra: &[(&str, &str)]) -> Resp {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in extra {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header line");
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

async fn get(addr: SocketAddr, target: &str) -> Resp {
    request(addr, "GET", target, &[]).await
}

fn assert_security_headers(r: &Resp) {
    let csp = r.must("content-security-policy");
    for part in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' https://api.anthropic.com https://api.openai.com https://generativelanguage.googleapis.com",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "CSP lacks {part:?}: {csp}");
    }
    assert_eq!(r.must("x-content-type-options"), "nosniff");
    assert_eq!(r.must("referrer-policy"), "no-referrer");
    let pp = r.must("permissions-policy");
    for feature in [
        "accelerometer=()",
        "camera=()",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "interest-cohort=()",
    ] {
        assert!(pp.contains(feature), "{pp}");
    }
    assert!(!pp.contains("clipboard"), "{pp}");
    assert_eq!(r.must("cross-origin-opener-policy"), "same-origin");
    assert_eq!(r.must("cross-origin-resource-policy"), "same-origin");
    assert_eq!(r.must("x-frame-options"), "DENY");
}

fn expected_hash() -> String {
    let digest = Sha256::digest(INLINE_SCRIPT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let s = start(&[], None).await;
    let etag = get(s.addr, "/").await.must("etag").to_owned();
    let responses = [
        get(s.addr, "/").await,
        get(s.addr, "/index.html").await,
        get(s.addr, "/some/route").await,
        get(s.addr, &format!("/{JS}")).await,
        get(s.addr, "/missing.js").await,
        get(s.addr, "/..%2f..%2fetc/passwd").await,
        request(s.addr, "POST", "/", &[("Content-Length", "0")]).await,
        request(s.addr, "HEAD", "/", &[]).await,
        request(s.addr, "GET", "/", &[("If-None-Match", &etag)]).await,
    ];
    for r in &responses {
        assert_security_headers(r);
        assert!(!r.must("content-security-policy").contains("trusted-types"));
    }
    s.stop().await;
}

#[tokio::test]
async fn csp_has_the_inline_script_hash_and_extra_origins() {
    let s = start(
        &[
            "--connect-src",
            "https://openrouter.ai",
            "--connect-src=http://localhost:11434/",
        ],
        Some("https://gateway.example:8443 http://[::1]:8000"),
    )
    .await;
    let r = get(s.addr, "/").await;
    let csp = r.must("content-security-policy");
    let hash = expected_hash();
    assert!(
        csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' {hash};")),
        "{csp}"
    );
    assert!(
        csp.contains(
            "connect-src 'self' https://api.anthropic.com https://api.openai.com \
             https://generativelanguage.googleapis.com https://openrouter.ai \
             http://localhost:11434 https://gateway.example:8443 http://[::1]:8000;"
        ),
        "{csp}"
    );
    s.stop().await;
}

#[tokio::test]
async fn trusted_types_flag_adds_the_directives() {
    let s = start(&["--trusted-types"], None).await;
    let csp = get(s.addr, "/")
        .await
        .must("content-security-policy")
        .to_owned();
    assert!(
        csp.ends_with("; require-trusted-types-for 'script'; trusted-types 'none'"),
        "{csp}"
    );
    s.stop().await;
}

#[tokio::test]
async fn routing() {
    let s = start(&[], None).await;
    let index = index_html().into_bytes();

    for path in ["/", "/index.html", "/some/route", "/settings/", "/a?b=c.js"] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, index, "{path}");
        assert_eq!(r.must("content-type"), "text/html; charset=utf-8");
    }

    let r = get(s.addr, &format!("/{JS}?v=123")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, js_body(), "query strings are ignored");
    assert_eq!(r.must("content-type"), "text/javascript");

    let r = get(s.addr, "/assets/logo.svg").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.must("content-type"), "image/svg+xml");
    let r = get(s.addr, "/assets%2flogo.svg").await;
    assert_eq!(r.status, 200, "percent-decoded before lookup");
    let r = get(s.addr, "/favicon.ico").await;
    assert_eq!(r.must("content-type"), "image/x-icon");

    #[cfg(unix)]
    {
        let r = get(s.addr, "/logo-link.svg").await;
        assert_eq!(r.status, 200, "a link inside the site is served");
        assert_eq!(r.body, b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    }

    for path in [
        "/missing.js",
        "/assets/missing.png",
        "/.env",
        "/some/route.json",
        "/outside.bin",
        "/assets/env-link.txt",
        "/dangling.txt",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.body, b"Not found", "{path}");
        assert_eq!(r.must("content-type"), "text/plain; charset=utf-8");
    }

    // A directory never lists its contents: it is a client-side route.
    let r = get(s.addr, "/assets/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, index);
    s.stop().await;
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let s = start(&[], None).await;
    for path in [
        "/..%2f..%2fetc/passwd",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2F..%2F..%2Fetc%2Fpasswd",
        "/..%5c..%5cetc%5cpasswd",
        "/%2e%2e",
        "/bad%zz",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.body, b"Bad request", "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn compression() {
    let s = start(&[], None).await;
    let path = format!("/{JS}");

    let br = request(
        s.addr,
        "GET",
        &path,
        &[("Accept-Encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(br.status, 200);
    assert_eq!(br.must("content-encoding"), "br");
    assert_eq!(br.must("vary"), "Accept-Encoding");
    assert_eq!(br.must("content-length"), br.body.len().to_string());
    assert!(br.body.len() < js_body().len());
    let mut decoded = Vec::new();
    brotli::Decompressor::new(br.body.as_slice(), 4096)
        .read_to_end(&mut decoded)
        .expect("brotli");
    assert_eq!(decoded, js_body());

    let gz = request(s.addr, "GET", &path, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gz.must("content-encoding"), "gzip");
    assert_eq!(gz.must("content-length"), gz.body.len().to_string());
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(gz.body.as_slice())
        .read_to_end(&mut decoded)
        .expect("gzip");
    assert_eq!(decoded, js_body());

    let plain = get(s.addr, &path).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.must("vary"), "Accept-Encoding");
    assert_eq!(plain.must("content-length"), js_body().len().to_string());
    assert_eq!(plain.body, js_body());

    // The wasm is compressed too, and its type survives.
    let wasm = request(
        s.addr,
        "GET",
        &format!("/{WASM}"),
        &[("Accept-Encoding", "br")],
    )
    .await;
    assert_eq!(wasm.must("content-encoding"), "br");
    assert_eq!(wasm.must("content-type"), "application/wasm");
    let mut decoded = Vec::new();
    brotli::Decompressor::new(wasm.body.as_slice(), 4096)
        .read_to_end(&mut decoded)
        .expect("brotli");
    assert_eq!(decoded, wasm_body());

    // Not compressible: served as is even when compression is offered.
    let ico = request(
        s.addr,
        "GET",
        "/favicon.ico",
        &[("Accept-Encoding", "br, gzip")],
    )
    .await;
    assert_eq!(ico.header("content-encoding"), None);
    s.stop().await;
}

#[tokio::test]
async fn mime_and_caching() {
    let s = start(&[], None).await;
    let wasm = get(s.addr, &format!("/{WASM}")).await;
    assert_eq!(wasm.must("content-type"), "application/wasm");
    assert_eq!(wasm.body, wasm_body());
    let immutable = "public, max-age=31536000, immutable";
    assert_eq!(wasm.must("cache-control"), immutable);
    assert_eq!(
        get(s.addr, &format!("/{JS}")).await.must("cache-control"),
        immutable
    );
    let css = get(s.addr, &format!("/{CSS}")).await;
    assert_eq!(css.must("cache-control"), immutable);
    assert_eq!(css.must("content-type"), "text/css");
    for path in [
        "/",
        "/index.html",
        "/some/route",
        "/favicon.ico",
        "/missing.js",
    ] {
        assert_eq!(
            get(s.addr, path).await.must("cache-control"),
            "no-cache",
            "{path}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn head_and_methods() {
    let s = start(&[], None).await;
    let get_r = request(s.addr, "GET", "/", &[("Accept-Encoding", "gzip")]).await;
    let head = request(s.addr, "HEAD", "/", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for name in [
        "content-length",
        "content-type",
        "content-encoding",
        "etag",
        "cache-control",
    ] {
        assert_eq!(head.header(name), get_r.header(name), "{name}");
    }

    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let r = request(s.addr, method, "/", &[("Content-Length", "0")]).await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.must("allow"), "GET, HEAD");
    }
    s.stop().await;
}

#[tokio::test]
async fn conditional_requests() {
    let s = start(&[], None).await;
    let path = format!("/{JS}");
    let plain = get(s.addr, &path).await;
    let etag = plain.must("etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong etag: {etag}"
    );

    let r = request(s.addr, "GET", &path, &[("If-None-Match", &etag)]).await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.must("etag"), etag);
    assert_eq!(
        r.must("cache-control"),
        "public, max-age=31536000, immutable"
    );

    // The brotli form has its own ETag; either one means the client has this content.
    let br = request(s.addr, "GET", &path, &[("Accept-Encoding", "br")]).await;
    let br_etag = br.must("etag").to_owned();
    assert_ne!(br_etag, etag);
    let r = request(
        s.addr,
        "GET",
        &path,
        &[
            ("Accept-Encoding", "br"),
            ("If-None-Match", &format!("\"x\", W/{etag}")),
        ],
    )
    .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.must("etag"), br_etag);

    let r = request(s.addr, "GET", &path, &[("If-None-Match", "\"stale\"")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, js_body());

    let index_etag = get(s.addr, "/").await.must("etag").to_owned();
    let r = request(
        s.addr,
        "GET",
        "/some/route",
        &[("If-None-Match", &index_etag)],
    )
    .await;
    assert_eq!(r.status, 304, "SPA routes share index.html's validator");
    s.stop().await;
}

#[test]
fn refuses_to_start_without_dir_or_index() {
    let args = |dir: &Path| {
        Args::try_parse_from(["byok-host", "--dir", dir.to_str().expect("utf-8")])
            .expect("flags")
            .config(None)
            .expect("config")
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = Site::load(&args(&tmp.path().join("nope"))).expect_err("missing dir");
    assert!(err.to_string().contains("not found"), "{err}");
    let err = Site::load(&args(tmp.path())).expect_err("missing index");
    assert!(err.to_string().contains("index.html not found"), "{err}");
}

/// The real binary: flag and env var both reach the CSP, the start line tells where it
/// listens, and SIGTERM stops it cleanly.
/// The real binary on a free port, serving `dir`, and its start line (stderr's first).
async fn start_binary(
    dir: &Path,
    configure: impl FnOnce(&mut tokio::process::Command),
) -> (
    tokio::process::Child,
    tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    String,
) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_byok-host"));
    cmd.args(["--addr", "127.0.0.1:0", "--dir"]).arg(dir);
    configure(&mut cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("start line in time")
        .expect("read")
        .expect("a line");
    assert!(line.starts_with("byok-host serving "), "{line}");
    (child, lines, line)
}

/// SIGTERM, then the process must exit successfully (a clean stop, not a kill).
async fn terminate_cleanly(child: &mut tokio::process::Child) {
    let pid = child.id().expect("pid").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exit in time")
        .expect("wait");
    assert!(status.success(), "{status}");
}

/// The real binary: flag and env var both reach the CSP, the start line tells where it
/// listens, and SIGTERM stops it cleanly.
#[tokio::test]
async fn binary_end_to_end() {
    let dir = fixture();
    let (mut child, mut lines, line) = start_binary(dir.path(), |cmd| {
        cmd.args(["--connect-src", "https://openrouter.ai"]).env(
            "BYOK_CONNECT_SRC",
            "http://localhost:11434 https://gw.example",
        );
    })
    .await;
    for origin in [
        "https://openrouter.ai",
        "http://localhost:11434",
        "https://gw.example",
    ] {
        assert!(line.contains(origin), "{line}");
    }
    let addr: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .expect("address in start line");

    let r = get(addr, "/some/route?token=sk-secret").await;
    assert_eq!(r.status, 200);
    let csp = r.must("content-security-policy");
    assert!(csp.contains(&expected_hash()), "{csp}");
    assert!(
        csp.contains("https://openrouter.ai http://localhost:11434 https://gw.example;"),
        "{csp}"
    );

    terminate_cleanly(&mut child).await;

    // Nothing but the start line: no request was logged.
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        let mut rest = String::new();
        while let Ok(Some(l)) = lines.next_line().await {
            rest.push_str(&l);
        }
        rest
    })
    .await
    .expect("stderr closed");
    assert_eq!(rest, "");
}

/// A supervisor may stop the host the moment it has announced itself: that is a clean
/// stop too, not a kill (the handlers are in place before the start line).
#[tokio::test]
async fn sigterm_right_after_the_start_line_is_a_clean_stop() {
    let dir = fixture();
    for _ in 0..5 {
        let (mut child, _lines, _) = start_binary(dir.path(), |_| {}).await;
        terminate_cleanly(&mut child).await;
    }
}

#[test]
fn binary_refuses_bad_origins_with_exit_code_2() {
    let dir = fixture();
    for (flag, env) in [
        (Some("https://example.com/path"), None),
        (Some("https://a.com; script-src *"), None),
        (None, Some("https://ok.example ftp://bad.example")),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_byok-host"));
        cmd.arg("--dir")
            .arg(dir.path())
            .env_remove("BYOK_CONNECT_SRC");
        if let Some(flag) = flag {
            cmd.args(["--connect-src", flag]);
        }
        if let Some(env) = env {
            cmd.env("BYOK_CONNECT_SRC", env);
        }
        let out = cmd.output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{flag:?} {env:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("byok-host: invalid connect-src origin"),
            "{err}"
        );
    }
}

#[test]
fn binary_refuses_a_missing_dir() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_byok-host"))
        .arg("--dir")
        .arg(tmp.path().join("dist"))
        .env_remove("BYOK_CONNECT_SRC")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
