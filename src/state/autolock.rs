//! Lock after a stretch without input, and (if asked) when the tab is hidden.

use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;

use super::session::{Phase, Session};

/// Installs the listeners once for the app's lifetime.
pub fn install(session: Session) {
    let last_activity = StoredValue::new(crate::now_ms());
    let touch = move || last_activity.set_value(crate::now_ms());
    // Listener handles are dropped on purpose: the app lives as long as the page.
    let _ = window_event_listener(ev::keydown, move |_| touch());
    let _ = window_event_listener(ev::pointerdown, move |_| touch());
    let _ = window_event_listener(ev::wheel, move |_| touch());
    let _ = window_event_listener(ev::touchstart, move |_| touch());

    let _ = set_interval_with_handle(
        move || {
            // A timer to midnight would fire late after the computer slept; a check each
            // second costs one Date.
            let today = crate::today();
            if session.today.get_untracked() != today {
                session.today.set(today);
            }
            if session.phase.get_untracked() != Phase::Unlocked {
                last_activity.set_value(crate::now_ms());
                return;
            }
            let minutes = session.settings.get_untracked().auto_lock_minutes;
            if minutes > 0.0 && crate::now_ms() - last_activity.get_value() >= minutes * 60_000.0 {
                let after = if minutes < 1.0 {
                    format!("{} seconds", (minutes * 60.0).round())
                } else if minutes == 1.0 {
                    "1 minute".to_string()
                } else if minutes.fract() == 0.0 {
                    format!("{minutes} minutes")
                } else {
                    format!("{minutes:.1} minutes")
                };
                session.locked_why.set(Some(format!(
                    "Locked after {after} without activity (Settings). What you were writing in the chat is kept."
                )));
                session.lock();
            }
        },
        Duration::from_secs(1),
    );

    let _ = window_event_listener(ev::visibilitychange, move |_| {
        let hidden = document().visibility_state() == web_sys::VisibilityState::Hidden;
        if hidden
            && session.settings.get_untracked().lock_when_hidden
            && session.phase.get_untracked() == Phase::Unlocked
        {
            session.locked_why.set(Some(
                "Locked when this tab was hidden (Settings). What you were writing in the chat is kept.".into(),
            ));
            session.lock();
        }
    });
}
