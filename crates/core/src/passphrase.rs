//! How strong a passphrase is, judged without a dictionary. zxcvbn would judge better,
//! but its word lists add several hundred kilobytes to the web app; these rules catch the
//! weak choices people actually make (short, repeated, sequential, one kind of character,
//! the famous few) and refuse them with a reason.

pub const MIN_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    /// 0 (very weak) ..= 4 (very strong).
    pub score: u8,
    /// `None` when the passphrase is acceptable; else why not, in plain words.
    pub refusal: Option<&'static str>,
    /// Rough guessing effort in bits, for the meter.
    pub bits: u32,
}

impl Strength {
    pub fn acceptable(&self) -> bool {
        self.refusal.is_none()
    }

    pub fn label(&self) -> &'static str {
        match self.score {
            0 => "very weak",
            1 => "weak",
            2 => "fair",
            3 => "strong",
            _ => "very strong",
        }
    }
}

const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "qwerty",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "abc123",
    "123456",
    "trustno1",
    "correcthorsebatterystaple",
    "changeme",
    "secret",
    "master",
];

pub fn assess(pass: &str) -> Strength {
    let chars: Vec<char> = pass.chars().collect();
    let n = chars.len();
    let distinct = {
        let mut c = chars.clone();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    let lower: String = pass
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();

    let mut pool = 0u32;
    if chars.iter().any(|c| c.is_ascii_lowercase()) {
        pool += 26;
    }
    if chars.iter().any(|c| c.is_ascii_uppercase()) {
        pool += 26;
    }
    if chars.iter().any(|c| c.is_ascii_digit()) {
        pool += 10;
    }
    if chars.iter().any(|c| c.is_ascii_punctuation() || *c == ' ') {
        pool += 33;
    }
    if chars.iter().any(|c| !c.is_ascii()) {
        pool += 100;
    }
    // Count characters that continue a run (aaaa, abcd, 1234) as worth almost nothing.
    let mut effective = 0.0f64;
    for i in 0..n {
        let predictable = i > 0 && {
            let (a, b) = (chars[i - 1] as i64, chars[i] as i64);
            (b - a).abs() <= 1
        };
        effective += if predictable { 0.25 } else { 1.0 };
    }
    let per_char = f64::from(pool.max(1)).log2();
    // Few distinct characters cap the entropy whatever the length.
    let distinct_cap = (distinct as f64) * per_char * 1.5;
    let mut bits = (effective * per_char).min(distinct_cap);
    let common = COMMON.iter().any(|w| lower.contains(w));
    if common {
        bits = (bits - 30.0).max(0.0);
    }
    let bits = bits.max(0.0) as u32;
    let score = match bits {
        0..=27 => 0,
        28..=44 => 1,
        45..=59 => 2,
        60..=79 => 3,
        _ => 4,
    };

    let refusal = if n == 0 {
        Some("Type a passphrase.")
    } else if n < MIN_LEN {
        Some(
            "Use at least 12 characters. Several unrelated words make a strong passphrase that is easy to remember.",
        )
    } else if distinct <= 3 {
        Some("Too repetitive: use more different characters, or several unrelated words.")
    } else if common && bits < 45 {
        Some(
            "This is built on a very common password, which attackers try first. Choose several unrelated words instead.",
        )
    } else if score < 2 {
        Some("Too easy to guess (sequences or repeats). Add another unrelated word or two.")
    } else {
        None
    };
    Strength {
        score,
        refusal,
        bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_weak_with_a_reason() {
        for p in [
            "",
            "short",
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmnop",
            "123456789012",
            "password1234",
            "Password1234",
        ] {
            let s = assess(p);
            assert!(!s.acceptable(), "{p} should be refused (bits {})", s.bits);
        }
    }

    #[test]
    fn accepts_word_passphrases() {
        for p in [
            "orbit velvet canyon lamp",
            "tangerine-Harbor-42-quilt",
            "Sélène aime les étoiles filantes",
            "kjH7#pQz!2mWx9",
        ] {
            let s = assess(p);
            assert!(s.acceptable(), "{p} refused: {:?}", s.refusal);
            assert!(s.score >= 2);
        }
    }

    #[test]
    fn longer_scores_higher() {
        assert!(assess("orbit velvet canyon lamp ferry").bits > assess("orbit velvet").bits);
    }
}
