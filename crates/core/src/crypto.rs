//! The two primitives byok uses, and nothing else: PBKDF2-HMAC-SHA256 and AES-256-GCM
//! in the WebCrypto layout (ciphertext followed by the 16-byte tag).
//!
//! Key derivation is kept separate from sealing on purpose: in the browser the key is
//! derived by `SubtleCrypto.deriveBits` (native, about 4x faster than this code compiled to
//! wasm) and handed in with [`AeadKey::from_bytes`]; natively [`derive_key`] does it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use sha2::Sha256;
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;
pub const SALT_LEN: usize = 16;
pub const IV_LEN: usize = 12;
pub const TAG_LEN: usize = 16;

/// The KDF work factor byok writes, and the floor it accepts (OWASP 2023 for
/// PBKDF2-HMAC-SHA256).
pub const MIN_ITERATIONS: u32 = 600_000;
/// Above this a hostile file could make a reader spin for minutes.
pub const MAX_ITERATIONS: u32 = 10_000_000;
pub const DEFAULT_ITERATIONS: u32 = MIN_ITERATIONS;

/// A 256-bit AES key. No `Debug`, no `Clone`: it can only be used, never shown or copied
/// by accident, and it is wiped when dropped.
pub struct AeadKey(Zeroizing<[u8; KEY_LEN]>);

impl AeadKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A fresh random key from the operating system's (or browser's) CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(&mut k[..]).map_err(|_| CryptoError::Rng)?;
        Ok(Self(k))
    }

    /// The raw bytes, for wrapping this key under another one.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The tag did not verify: a wrong key (so a wrong passphrase) or changed bytes.
    /// Deliberately one variant for both.
    #[error("wrong passphrase, or the data was changed")]
    Decrypt,
    #[error("ciphertext is shorter than the 16-byte tag")]
    TooShort,
    #[error("the system's random number generator failed")]
    Rng,
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output, exactly what WebCrypto's
/// `deriveBits({name: "PBKDF2", hash: "SHA-256", ...}, key, 256)` returns.
pub fn derive_key(passphrase: &[u8], salt: &[u8], iterations: u32) -> AeadKey {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    pbkdf2::pbkdf2_hmac::<Sha256>(passphrase, salt, iterations, &mut out[..]);
    AeadKey(out)
}

/// The same derivation as [`derive_key`], done a slice of iterations at a time: a page
/// without WebCrypto (plain http from another host) derives in wasm, and 600,000
/// iterations in one go would freeze it for a second or more (10 million, the most a
/// bundle may ask for, for many seconds). Between slices the page can draw and answer.
///
/// With a 32-byte output PBKDF2-HMAC-SHA256 has one block: T = U1 ^ U2 ^ … ^ Uc, where
/// U1 = HMAC(P, salt || 1) and Ui = HMAC(P, Ui-1). The pbkdf2 crate keeps that chain to
/// itself, hence this loop (checked against it in the tests).
pub struct Derivation {
    mac: Option<hmac::Hmac<Sha256>>,
    u: Zeroizing<[u8; KEY_LEN]>,
    t: Zeroizing<[u8; KEY_LEN]>,
    left: u32,
}

impl Derivation {
    pub fn new(passphrase: &[u8], salt: &[u8], iterations: u32) -> Self {
        use hmac::{KeyInit, Mac};
        let mut d = Self {
            mac: None,
            u: Zeroizing::new([0; KEY_LEN]),
            t: Zeroizing::new([0; KEY_LEN]),
            left: 0,
        };
        match hmac::Hmac::<Sha256>::new_from_slice(passphrase) {
            Ok(mac) => {
                let mut first = mac.clone();
                first.update(salt);
                first.update(&1u32.to_be_bytes());
                d.u.copy_from_slice(&first.finalize().into_bytes());
                d.t.copy_from_slice(&d.u[..]);
                d.left = iterations.saturating_sub(1);
                d.mac = Some(mac);
            }
            // HMAC takes a key of any length, so this cannot happen; were it to, the
            // derivation is done in one go rather than not at all.
            Err(_) => {
                pbkdf2::pbkdf2_hmac::<Sha256>(passphrase, salt, iterations, &mut d.t[..]);
            }
        }
        d
    }

    /// Up to `n` more iterations; true once all are done.
    pub fn step(&mut self, n: u32) -> bool {
        use hmac::Mac;
        let Some(mac) = &self.mac else {
            return true;
        };
        let n = n.min(self.left);
        for _ in 0..n {
            let mut m = mac.clone();
            m.update(&self.u[..]);
            self.u.copy_from_slice(&m.finalize().into_bytes());
            for (t, u) in self.t.iter_mut().zip(self.u.iter()) {
                *t ^= u;
            }
        }
        self.left -= n;
        self.left == 0
    }

    /// The key, once [`step`](Self::step) said true (any iterations left are done now).
    pub fn finish(mut self) -> AeadKey {
        self.step(u32::MAX);
        AeadKey(Zeroizing::new(*self.t))
    }
}

pub fn random_array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| CryptoError::Rng)?;
    Ok(b)
}

/// AES-256-GCM encryption; returns `C || tag`.
pub fn seal(key: &AeadKey, iv: &[u8; IV_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key.expose()));
    let nonce = Nonce::from(*iv);
    // Encryption with a 96-bit nonce only fails for plaintexts over ~64 GiB, which the
    // 16 MiB file limit rules out; an empty result would then fail to open, never leak.
    cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap_or_default()
}

/// AES-256-GCM decryption of `C || tag`. The plaintext is wiped when dropped.
pub fn open(
    key: &AeadKey,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() < TAG_LEN {
        return Err(CryptoError::TooShort);
    }
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key.expose()));
    let nonce = Nonce::from(*iv);
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).expect("test vector hex")
    }

    #[test]
    fn derivation_in_slices_equals_the_one_go() {
        for (iterations, slice) in [(1, 1), (2, 1), (1000, 7), (1000, 1000), (4096, 5000)] {
            let whole = derive_key(b"passphrase", b"saltsaltsaltsalt", iterations);
            let mut d = Derivation::new(b"passphrase", b"saltsaltsaltsalt", iterations);
            let mut slices = 1;
            while !d.step(slice) {
                slices += 1;
            }
            assert_eq!(slices, (iterations - 1).div_ceil(slice).max(1));
            assert_eq!(
                d.finish().expose(),
                whole.expose(),
                "{iterations} in slices of {slice}"
            );
        }
        // Stopped early, finish completes the work rather than giving a weaker key.
        let mut d = Derivation::new(b"p", b"s", 3000);
        assert!(!d.step(10));
        assert_eq!(d.finish().expose(), derive_key(b"p", b"s", 3000).expose());
    }

    /// RFC 7914 section 11: PBKDF2-HMAC-SHA256 test vectors.
    #[test]
    fn pbkdf2_rfc7914_vectors() {
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            out.to_vec(),
            unhex(
                "55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05
                 f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
                 49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31
                 7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83"
            )
        );
        pbkdf2::pbkdf2_hmac::<Sha256>(b"Password", b"NaCl", 80000, &mut out);
        assert_eq!(
            out.to_vec(),
            unhex(
                "4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9
                 64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56
                 a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17
                 6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d"
            )
        );
    }

    /// The golden vector's derived key, from `spec/bundle-v1.md`.
    #[test]
    fn pbkdf2_matches_spec_golden_key() {
        let salt: Vec<u8> = (0u8..16).collect();
        let k = derive_key(b"correct horse battery staple", &salt, 600_000);
        assert_eq!(
            k.expose().to_vec(),
            unhex("ef177144eec9420cbc1093d2a8b344a92bc506d0d4ec9c028dd19f8324d8c1e6")
        );
    }

    /// GCM spec (McGrew & Viega) test case 16: AES-256, 96-bit IV, with AAD.
    #[test]
    fn aes_gcm_spec_test_case_16() {
        let key: [u8; 32] =
            unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
                .try_into()
                .expect("32 bytes");
        let iv: [u8; 12] = unhex("cafebabefacedbaddecaf888")
            .try_into()
            .expect("12 bytes");
        let pt = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let expected = unhex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
             76fc6ece0f4e1768cddf8853bb2d551b",
        );
        let key = AeadKey::from_bytes(key);
        let ct = seal(&key, &iv, &aad, &pt);
        assert_eq!(ct, expected);
        assert_eq!(open(&key, &iv, &aad, &ct).expect("opens").to_vec(), pt);
    }

    #[test]
    fn any_changed_byte_fails_to_open() {
        let key = AeadKey::from_bytes([7u8; 32]);
        let iv = [1u8; 12];
        let ct = seal(&key, &iv, b"header", b"secret payload");
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                open(&key, &iv, b"header", &bad).err(),
                Some(CryptoError::Decrypt)
            );
        }
        assert_eq!(
            open(&key, &iv, b"headeR", &ct).err(),
            Some(CryptoError::Decrypt)
        );
        assert_eq!(
            open(&AeadKey::from_bytes([8u8; 32]), &iv, b"header", &ct).err(),
            Some(CryptoError::Decrypt)
        );
        assert_eq!(
            open(&key, &iv, b"", &[0u8; 15]).err(),
            Some(CryptoError::TooShort)
        );
    }

    #[test]
    fn random_draws_differ() {
        let a: [u8; 16] = random_array().expect("rng");
        let b: [u8; 16] = random_array().expect("rng");
        assert_ne!(a, b);
    }
}
