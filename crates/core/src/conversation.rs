//! Conversations, kept one encrypted record each (IndexedDB in the browser) under the
//! vault's data key, so a new message re-encrypts one conversation, not the vault.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::crypto::{self, AeadKey, IV_LEN};
use crate::encoding::{b64_decode, b64_encode, from_json_strict};
use crate::model::Provider;
use crate::provider::Role;
use crate::vault::{SealedParts, VaultError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageStatus {
    #[default]
    Done,
    Stopped,
    /// Failed or cut off; the partial text (if any) is kept.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub cached_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub role: Role,
    pub content: String,
    #[serde(default)]
    pub status: MessageStatus,
    #[serde(default)]
    pub error: Option<String>,
    /// Which key answered (its id and label at the time), for assistant messages.
    #[serde(default)]
    pub key_id: Option<Uuid>,
    #[serde(default)]
    pub key_label: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub usage: Option<MessageUsage>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    pub provider: Provider,
    #[serde(default)]
    pub key_id: Option<Uuid>,
    pub model: String,
    #[serde(default)]
    pub system: Option<String>,
    pub messages: Vec<StoredMessage>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Conversation {
    /// Whether the title, the system prompt or a message's text holds `needle`, ignoring
    /// case: the conversation search. `needle` must already be lowercase.
    pub fn mentions(&self, needle: &str) -> bool {
        texts_mention(
            &self.title,
            self.system.as_deref(),
            self.messages.iter().map(|m| m.content.as_str()),
            needle,
        )
    }
}

impl Conversation {
    /// The conversation as a Markdown document, for a person to keep or share. The
    /// questions are shown as written (the chat shows them as plain text, so they go in
    /// a code fence, line breaks and all); the answers as the model wrote them, in
    /// Markdown already, with a code block a stopped answer left open closed, so that it
    /// does not swallow the rest of the file.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# {}\n\n{} \u{b7} {}\n",
            inline(&self.title),
            self.provider.display_name(),
            inline(&self.model)
        );
        if let Some(system) = self.system.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push_str("\n**System prompt**\n\n");
            out.push_str(&fenced(system));
        }
        for m in &self.messages {
            out.push_str("\n---\n\n");
            match m.role {
                Role::User => {
                    out.push_str("**You**\n\n");
                    out.push_str(&fenced(&m.content));
                }
                Role::Assistant => {
                    let by: Vec<String> = [&m.key_label, &m.model]
                        .into_iter()
                        .flatten()
                        .map(|s| inline(s))
                        .filter(|s| !s.is_empty())
                        .collect();
                    if by.is_empty() {
                        out.push_str("**Answer**\n\n");
                    } else {
                        out.push_str(&format!("**Answer** ({})\n\n", by.join(" \u{b7} ")));
                    }
                    let text = m.content.trim_end();
                    if !text.is_empty() {
                        out.push_str(&close_fences(text));
                        out.push('\n');
                    }
                }
            }
            match m.status {
                MessageStatus::Done => {}
                MessageStatus::Stopped => out.push_str("\n*Stopped before the end.*\n"),
                MessageStatus::Failed => out.push_str(&format!(
                    "\n*Not finished: {}*\n",
                    inline(m.error.as_deref().unwrap_or("the answer failed."))
                )),
            }
        }
        out
    }

    /// A file name for [`Conversation::to_markdown`]: the title, kept to letters,
    /// digits and dashes, so that it is valid on every system.
    pub fn markdown_file_name(&self) -> String {
        let mut name = String::new();
        for c in self.title.chars() {
            if c.is_alphanumeric() {
                name.extend(c.to_lowercase());
            } else if !name.is_empty() && !name.ends_with('-') {
                name.push('-');
            }
            if name.chars().count() >= 60 {
                break;
            }
        }
        let name = name.trim_end_matches('-');
        if name.is_empty() {
            "conversation.md".to_owned()
        } else {
            format!("{name}.md")
        }
    }
}

/// A title, label or error as plain text on one line, in the middle of Markdown: a line
/// break would end the heading or emphasis it stands in, and `*`, `#`, `[` and the like
/// would be read as Markdown.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, word) in s.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for c in word.chars() {
            if "\\`*_[]<>#|~".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Text shown exactly as it is: in a code fence longer than any run of backticks in it.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}\n{}\n{fence}\n", text.trim_end())
}

/// `text` with a code fence it leaves open closed (CommonMark: a fence of three or more
/// backticks or tildes, indented at most three spaces, is closed by at least as many of
/// the same character and nothing else on the line).
fn close_fences(text: &str) -> String {
    let fence_of = |line: &str| -> Option<(char, usize, bool)> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let n = rest.chars().take_while(|x| *x == c).count();
        let bare = rest[n..].trim().is_empty();
        (indent <= 3 && n >= 3).then_some((c, n, bare))
    };
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        match (open, fence_of(line)) {
            (None, Some((c, n, _))) => open = Some((c, n)),
            (Some((c, n)), Some((d, m, true))) if c == d && m >= n => open = None,
            _ => {}
        }
    }
    match open {
        Some((c, n)) => format!("{text}\n{}", c.to_string().repeat(n)),
        None => text.to_owned(),
    }
}

fn texts_mention<'a>(
    title: &str,
    system: Option<&str>,
    mut messages: impl Iterator<Item = &'a str>,
    needle: &str,
) -> bool {
    let has = |text: &str| text.to_lowercase().contains(needle);
    has(title) || system.is_some_and(has) || messages.any(has)
}

/// Only what the search reads of a conversation record: a search of hundreds of
/// records skips building their dates, usage and the rest.
#[derive(Deserialize)]
struct SearchText {
    title: String,
    #[serde(default)]
    system: Option<String>,
    messages: Vec<SearchMessage>,
}

#[derive(Deserialize)]
struct SearchMessage {
    content: String,
}

/// [`Conversation::mentions`] on a decrypted record (whose id the decryption already
/// proved); `None` when it is not a conversation.
pub fn plaintext_mentions(pt: &[u8], needle: &str) -> Option<bool> {
    let t: SearchText = serde_json::from_slice(pt).ok()?;
    Some(texts_mention(
        &t.title,
        t.system.as_deref(),
        t.messages.iter().map(|m| m.content.as_str()),
        needle,
    ))
}

/// A title from the first user message: its first line, shortened on a word boundary.
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("New conversation");
    if line.chars().count() <= 60 {
        return line.to_string();
    }
    let cut: String = line.chars().take(60).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > 30 => &cut[..i],
        _ => &cut,
    };
    format!("{cut}…")
}

/// The record as stored: only the id (to find it) and ciphertext.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    format: String,
    version: u32,
    iv: String,
    ct: String,
}

const FORMAT: &str = "byok-conversation";

fn aad(id: Uuid) -> Vec<u8> {
    // Binding the id stops one conversation's record being passed off as another's.
    format!("byok-conversation/1 {id}").into_bytes()
}

pub fn seal(c: &Conversation, data_key: &AeadKey) -> Result<String, VaultError> {
    let json =
        Zeroizing::new(serde_json::to_vec(c).map_err(|e| VaultError::Corrupt(e.to_string()))?);
    let iv: [u8; IV_LEN] = crypto::random_array()?;
    let ct = crypto::seal(data_key, &iv, &aad(c.id), &json);
    let r = Record {
        format: FORMAT.into(),
        version: 1,
        iv: b64_encode(&iv),
        ct: b64_encode(&ct),
    };
    serde_json::to_string(&r).map_err(|e| VaultError::Corrupt(e.to_string()))
}

pub fn open(text: &str, id: Uuid, data_key: &AeadKey) -> Result<Conversation, VaultError> {
    let parts = sealed_parts(text, id)?;
    let pt = crypto::open(data_key, &parts.iv, &parts.aad, &parts.ct)?;
    from_plaintext(&pt, id)
}

/// A record's AES-GCM inputs, for a caller that decrypts with WebCrypto and then reads
/// the plaintext with [`from_plaintext`] or [`summary_from_plaintext`].
pub fn sealed_parts(text: &str, id: Uuid) -> Result<SealedParts, VaultError> {
    let r: Record = from_json_strict(text.as_bytes())
        .map_err(|e| VaultError::Corrupt(format!("conversation record: {e}")))?;
    if r.format != FORMAT {
        return Err(VaultError::Corrupt("not a conversation record".into()));
    }
    if r.version != 1 {
        return Err(VaultError::NewerVersion);
    }
    let iv: [u8; IV_LEN] = b64_decode(&r.iv)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| VaultError::Corrupt("conversation IV".into()))?;
    let ct =
        b64_decode(&r.ct).map_err(|_| VaultError::Corrupt("conversation ciphertext".into()))?;
    Ok(SealedParts {
        iv,
        aad: aad(id),
        ct,
    })
}

pub fn from_plaintext(pt: &[u8], id: Uuid) -> Result<Conversation, VaultError> {
    let c: Conversation = from_json_strict(pt)
        .map_err(|_| VaultError::Corrupt("the decrypted conversation is not valid".into()))?;
    if c.id != id {
        return Err(VaultError::Corrupt("conversation id mismatch".into()));
    }
    Ok(c)
}

/// What a conversation list shows. Reading only this skips building every message,
/// so listing hundreds of long conversations stays cheap; the whole conversation is
/// read when it is opened.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Summary {
    pub id: Uuid,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&Conversation> for Summary {
    fn from(c: &Conversation) -> Self {
        Summary {
            id: c.id,
            title: c.title.clone(),
            updated_at: c.updated_at,
        }
    }
}

pub fn summary_from_plaintext(pt: &[u8], id: Uuid) -> Result<Summary, VaultError> {
    let s: Summary = serde_json::from_slice(pt)
        .map_err(|_| VaultError::Corrupt("the decrypted conversation is not valid".into()))?;
    if s.id != id {
        return Err(VaultError::Corrupt("conversation id mismatch".into()));
    }
    Ok(s)
}

/// Merge this tab's conversation (`ours`, read with the title `base_title`) with the
/// record another tab saved meanwhile (`stored`), when one holds every message of the
/// other; `None` when both added different messages. A title changed on one side only
/// wins; changed on both, this tab's wins.
pub fn reconcile(
    base_title: &str,
    ours: Conversation,
    stored: Conversation,
) -> Option<Conversation> {
    let title = if ours.title == base_title {
        stored.title.clone()
    } else {
        ours.title.clone()
    };
    if ours.messages.starts_with(&stored.messages) {
        Some(Conversation { title, ..ours })
    } else if stored.messages.starts_with(&ours.messages) {
        // This tab had nothing new but (perhaps) a title: the other tab's messages stay.
        Some(Conversation {
            title,
            updated_at: ours.updated_at.max(stored.updated_at),
            ..stored
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn conv() -> Conversation {
        Conversation {
            id: Uuid::from_bytes([3; 16]),
            title: "Secret project plans".into(),
            provider: Provider::Openai,
            key_id: Some(Uuid::from_bytes([1; 16])),
            model: "gpt-4o-mini".into(),
            system: None,
            messages: vec![StoredMessage {
                role: Role::User,
                content: "hello".into(),
                status: MessageStatus::Done,
                error: None,
                key_id: None,
                key_label: None,
                model: None,
                usage: None,
                at: datetime!(2026-11-26 12:00 UTC),
            }],
            created_at: datetime!(2026-11-26 12:00 UTC),
            updated_at: datetime!(2026-11-26 12:00 UTC),
        }
    }

    #[test]
    fn markdown_has_each_message_who_wrote_it_and_how_it_ended() {
        let mut c = conv();
        c.system = Some("Be brief.\nUse metric units.".into());
        let question = c.messages[0].clone();
        let answer = |content: &str, status, error: Option<&str>| StoredMessage {
            role: Role::Assistant,
            content: content.into(),
            status,
            error: error.map(str::to_owned),
            key_label: Some("Work".into()),
            model: Some("gpt-4o-mini".into()),
            ..question.clone()
        };
        c.messages
            .push(answer("# Hi\n\n- one\n- two\n", MessageStatus::Done, None));
        c.messages.push(StoredMessage {
            content: "and then?".into(),
            ..question.clone()
        });
        c.messages
            .push(answer("Half an", MessageStatus::Stopped, None));
        c.messages.push(answer(
            "",
            MessageStatus::Failed,
            Some("Rate limited:\ntry later."),
        ));
        let md = c.to_markdown();
        assert_eq!(
            md,
            "# Secret project plans\n\nOpenAI \u{b7} gpt-4o-mini\n\n**System prompt**\n\n```\nBe brief.\nUse metric units.\n```\n\
             \n---\n\n**You**\n\n```\nhello\n```\n\
             \n---\n\n**Answer** (Work \u{b7} gpt-4o-mini)\n\n# Hi\n\n- one\n- two\n\
             \n---\n\n**You**\n\n```\nand then?\n```\n\
             \n---\n\n**Answer** (Work \u{b7} gpt-4o-mini)\n\nHalf an\n\n*Stopped before the end.*\n\
             \n---\n\n**Answer** (Work \u{b7} gpt-4o-mini)\n\n\n*Not finished: Rate limited: try later.*\n"
        );
        // What could be read as Markdown where it does not belong is not: a question
        // with backticks of its own, a label with stars, a title ending in '#', and an
        // answer stopped inside a code block (which would run on to the end of the file).
        let mut c = conv();
        c.title = "C# tips #".into();
        c.messages[0].content = "Why does ``` break?\n# not a heading".into();
        c.messages
            .push(answer("```rust\nfn main() {", MessageStatus::Stopped, None));
        c.messages[1].key_label = Some("*Work* [main]".into());
        let md = c.to_markdown();
        assert!(md.starts_with("# C\\# tips \\#\n"), "{md}");
        assert!(
            md.contains("````\nWhy does ``` break?\n# not a heading\n````\n"),
            "{md}"
        );
        assert!(
            md.contains("**Answer** (\\*Work\\* \\[main\\] \u{b7} gpt-4o-mini)"),
            "{md}"
        );
        assert!(
            md.ends_with("```rust\nfn main() {\n```\n\n*Stopped before the end.*\n"),
            "{md}"
        );
        // A fence closed in the answer itself is left alone; a longer one needs as long.
        assert_eq!(close_fences("~~~~\nx\n~~~~\ny"), "~~~~\nx\n~~~~\ny");
        assert_eq!(close_fences("````\n```\nx"), "````\n```\nx\n````");
        assert_eq!(close_fences("    ```\ncode"), "    ```\ncode");
        assert_eq!(conv().markdown_file_name(), "secret-project-plans.md");
        assert_eq!(c.markdown_file_name(), "c-tips.md");
        c.title = "  Über: «Lisbon» / Porto?! ".into();
        assert_eq!(c.markdown_file_name(), "über-lisbon-porto.md");
        c.title = "../..".into();
        assert_eq!(c.markdown_file_name(), "conversation.md");
        c.title = "a".repeat(100);
        assert_eq!(c.markdown_file_name(), format!("{}.md", "a".repeat(60)));
    }

    #[test]
    fn round_trip_and_nothing_in_the_clear() {
        let k = AeadKey::from_bytes([9; 32]);
        let text = seal(&conv(), &k).expect("seal");
        assert!(
            !text.contains("Secret project") && !text.contains("hello") && !text.contains("gpt-4o")
        );
        assert_eq!(open(&text, conv().id, &k).expect("open"), conv());
    }

    #[test]
    fn the_search_finds_words_in_the_title_system_prompt_and_messages_in_any_case() {
        let mut c = conv();
        c.messages[0].content = "Wie geht's? ÜBER die Brücke".into();
        c.system = Some("Answer as a Pirate".into());
        for hit in ["secret", "über", "brücke", "pirate", "geht's"] {
            assert!(c.mentions(hit), "{hit}");
        }
        for miss in ["hello", "bridge", "gpt-4o"] {
            assert!(!c.mentions(miss), "{miss}");
        }
        // The same answers read straight from the record's plaintext.
        let pt = serde_json::to_vec(&c).expect("json");
        assert_eq!(plaintext_mentions(&pt, "brücke"), Some(true));
        assert_eq!(plaintext_mentions(&pt, "gpt-4o"), Some(false));
        assert_eq!(plaintext_mentions(b"{}", "x"), None);
    }

    #[test]
    fn a_record_under_another_id_or_key_does_not_open() {
        let k = AeadKey::from_bytes([9; 32]);
        let text = seal(&conv(), &k).expect("seal");
        assert!(open(&text, Uuid::from_bytes([4; 16]), &k).is_err());
        assert!(open(&text, conv().id, &AeadKey::from_bytes([8; 32])).is_err());
    }

    #[test]
    fn the_summary_is_read_from_the_same_plaintext() {
        let k = AeadKey::from_bytes([9; 32]);
        let text = seal(&conv(), &k).expect("seal");
        let parts = sealed_parts(&text, conv().id).expect("parts");
        let pt = crypto::open(&k, &parts.iv, &parts.aad, &parts.ct).expect("decrypt");
        let s = summary_from_plaintext(&pt, conv().id).expect("summary");
        assert_eq!(s, Summary::from(&conv()));
        assert_eq!(from_plaintext(&pt, conv().id).expect("whole"), conv());
        assert!(summary_from_plaintext(&pt, Uuid::from_bytes([4; 16])).is_err());
        assert!(summary_from_plaintext(b"{\"title\":\"x\"}", conv().id).is_err());
    }

    fn said(c: &Conversation, role: Role, text: &str) -> Conversation {
        let mut c = c.clone();
        c.messages.push(StoredMessage {
            role,
            content: text.into(),
            ..c.messages[0].clone()
        });
        c
    }

    #[test]
    fn two_tabs_that_both_added_messages_do_not_merge() {
        let base = conv();
        let ours = said(&said(&base, Role::User, "from tab A"), Role::Assistant, "a");
        let stored = said(&said(&base, Role::User, "from tab B"), Role::Assistant, "b");
        assert_eq!(reconcile(&base.title, ours, stored), None);
    }

    #[test]
    fn a_version_holding_all_of_the_other_is_saved_alone() {
        let base = conv();
        // The other tab only renamed it; this tab went on chatting.
        let mut renamed = base.clone();
        renamed.title = "Renamed elsewhere".into();
        let ours = said(&base, Role::User, "more");
        assert_eq!(
            reconcile(&base.title, ours.clone(), renamed.clone()),
            Some(Conversation {
                title: "Renamed elsewhere".into(),
                ..ours
            })
        );
        // This tab only renamed it; the other went on chatting: its messages stay.
        let mut ours = base.clone();
        ours.title = "Renamed here".into();
        let stored = said(&base, Role::User, "more elsewhere");
        let saved = reconcile(&base.title, ours, stored.clone()).expect("nothing diverged");
        assert_eq!(saved.title, "Renamed here");
        assert_eq!(saved.messages, stored.messages);
        // Renamed on both sides: this tab's title wins.
        let mut ours = said(&base, Role::User, "x");
        ours.title = "Mine".into();
        let saved = reconcile(&base.title, ours, renamed).expect("nothing diverged");
        assert_eq!(saved.title, "Mine");
    }

    #[test]
    fn titles_are_short_first_lines() {
        assert_eq!(
            title_from("\n  Plan a trip to Lisbon\nwith details"),
            "Plan a trip to Lisbon"
        );
        let long = "word ".repeat(30);
        let t = title_from(&long);
        assert!(t.ends_with('…') && t.chars().count() <= 61, "{t}");
        assert_eq!(title_from("   "), "New conversation");
    }
}
