//! Talking to LLM providers, as pure functions on plain data: build the request, read
//! the streamed answer, explain a failure. The browser does the HTTP (`fetch`), so this
//! module has no network code and runs the same in tests, the CLI and wasm.
//!
//! Wire facts are in `shared/DESIGN.md` ("Providers"). The key only ever travels in a
//! header, never in a URL.

mod error;
mod models;
mod request;
mod sse;
mod stream;

pub use error::{INVALID_KEY_MESSAGE, ProviderError, classify, hide_secret};
pub use models::{default_model, fallback_models, models_from_response};
pub use request::{
    ANTHROPIC_DEFAULT_MAX_TOKENS, ChatMessage, ChatParams, HttpRequest, Role, chat_request,
    gemini_model_id, models_request,
};
pub use sse::{SseDecoder, SseEvent};
pub use stream::{STREAM_CUT_MESSAGE, StreamEvent, StreamParser};
