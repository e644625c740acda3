//! Provider calls: a streamed body reaches the app whole and in order, gathered into
//! batches (the first chunk at once, the rest at most every few tens of milliseconds, a
//! failure only after everything that arrived before it), and a real call is made by
//! the worker, off the page's main thread.
#![cfg(target_arch = "wasm32")]

use byok_app::net::{NetError, Response, send};
use byok_core::provider::HttpRequest;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function slow_response(chunks, gap, fail) {
  const enc = new TextEncoder();
  let i = 0;
  const body = new ReadableStream({
    async pull(c) {
      await new Promise((ok) => setTimeout(ok, gap));
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]));
      else if (fail) c.error(new TypeError('network error'));
      else c.close();
    },
  });
  return new Response(body, { status: 429, headers: { 'retry-after': '7' } });
}
export function blob_url(text) {
  return URL.createObjectURL(new Blob([text], { type: 'text/event-stream' }));
}
"#)]
extern "C" {
    fn slow_response(chunks: Vec<String>, gap: u32, fail: bool) -> web_sys::Response;
    fn blob_url(text: &str) -> String;
}

async fn read(chunks: &[&str], gap: u32, fail: bool) -> (Vec<String>, Result<(), NetError>) {
    let r = slow_response(chunks.iter().map(|s| s.to_string()).collect(), gap, fail);
    let Ok(resp) = Response::of(&r).await else {
        panic!("the head of a response in hand is there");
    };
    assert_eq!(resp.status, 429);
    assert_eq!(resp.retry_after.as_deref(), Some("7"));
    let mut got = Vec::new();
    let res = resp
        .read(|b| got.push(String::from_utf8_lossy(b).into_owned()))
        .await;
    (got, res)
}

#[wasm_bindgen_test]
async fn the_first_chunk_comes_alone_and_the_rest_gathered_in_order() {
    let chunks: Vec<String> = (0..40).map(|i| format!("<{i}>")).collect();
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let (got, res) = read(&refs, 3, false).await;
    assert!(res.is_ok());
    assert_eq!(got[0], "<0>", "the first words are not held back");
    assert_eq!(got.concat(), chunks.concat());
    assert!(
        got.len() < chunks.len() / 2,
        "40 chunks 3 ms apart came in {} batches",
        got.len()
    );
}

#[wasm_bindgen_test]
async fn a_cut_stream_gives_everything_before_the_cut_then_fails() {
    let (got, res) = read(&["Hello", ", wor", "ld"], 2, true).await;
    assert_eq!(got.concat(), "Hello, world");
    match res {
        Err(NetError::Provider(e)) => assert!(e.message.contains("cut off"), "{}", e.message),
        _ => panic!("a broken body must fail as a cut stream"),
    }
}

#[wasm_bindgen_test]
async fn an_empty_body_ends_at_once() {
    let (got, res) = read(&[], 1, false).await;
    assert!(got.is_empty());
    assert!(res.is_ok());
}

fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: "GET",
        url,
        headers: vec![("accept".into(), "text/event-stream".into())],
        body: None,
    }
}

#[wasm_bindgen_test]
async fn a_call_is_read_by_the_worker_whole() {
    let text: String = (0..5000).map(|i| format!("data: {i}\n\n")).collect();
    let Ok(resp) = send(&get(blob_url(&text)), None).await else {
        panic!("a same-origin blob is reachable");
    };
    assert_eq!(resp.status, 200);
    assert!(
        resp.read_off_main_thread(),
        "the body is read in the worker"
    );
    assert_eq!(resp.text().await, Ok(text));
}

#[wasm_bindgen_test]
async fn a_leading_byte_order_mark_is_dropped_from_text() {
    let Ok(resp) = send(&get(blob_url("\u{feff}{\"data\":[]}")), None).await else {
        panic!("a same-origin blob is reachable");
    };
    assert_eq!(resp.text().await, Ok("{\"data\":[]}".to_string()));
}

#[wasm_bindgen_test]
async fn stopping_after_the_head_stops_the_body() {
    let Ok(ctrl) = web_sys::AbortController::new() else {
        panic!("AbortController is there");
    };
    let text: String = (0..5000).map(|i| format!("data: {i}\n\n")).collect();
    let Ok(resp) = send(&get(blob_url(&text)), Some(&ctrl.signal())).await else {
        panic!("a same-origin blob is reachable");
    };
    assert!(resp.read_off_main_thread());
    ctrl.abort();
    assert_eq!(resp.read(|_| {}).await, Err(NetError::Aborted));
}

#[wasm_bindgen_test]
async fn an_aborted_call_says_stopped() {
    let Ok(ctrl) = web_sys::AbortController::new() else {
        panic!("AbortController is there");
    };
    ctrl.abort();
    let res = send(&get(blob_url("x")), Some(&ctrl.signal())).await;
    assert!(matches!(res, Err(NetError::Aborted)));
}

#[wasm_bindgen_test]
async fn an_unreachable_server_is_named() {
    match send(&get("http://127.0.0.1:9/v1/models".into()), None).await {
        Err(NetError::Provider(e)) => assert!(
            e.message.contains("could not reach http://127.0.0.1:9"),
            "{}",
            e.message
        ),
        _ => panic!("port 9 answers nothing"),
    }
}
