//! The vault at rest: one JSON record (format `byok-vault`, version 1) holding
//!
//! - the KDF parameters (PBKDF2-HMAC-SHA256, salt, iterations) of the passphrase,
//! - a random 256-bit data key, wrapped (AES-256-GCM) by the passphrase-derived key,
//! - the vault contents ([`Vault`] as JSON), encrypted under the data key.
//!
//! Changing the passphrase re-wraps the data key only; the contents stay as they are.
//! The format is specified in `docs/vault-record-v1.md`, with vectors in
//! `crates/core/tests/vectors/`.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{self, AeadKey, CryptoError, IV_LEN, KEY_LEN, SALT_LEN};
use crate::encoding::{b64_decode, b64_encode, from_json_strict};
use crate::model::Vault;

pub const FORMAT: &str = "byok-vault";
pub const VERSION: u32 = 1;
/// Guard against a hostile or corrupted record making the reader allocate wildly.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    pub name: String,
    pub hash: String,
    pub iterations: u32,
    pub salt: String,
}

/// An AES-GCM output with its IV, both base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub iv: String,
    pub ct: String,
}

/// The stored record. Nothing in it is secret except through encryption; the revision
/// counter is in the clear so a tab can see another tab saved without decrypting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultRecord {
    pub format: String,
    pub version: u32,
    pub rev: u64,
    pub kdf: Kdf,
    pub wrapped_key: Sealed,
    pub data: Sealed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("Wrong passphrase.")]
    WrongPassphrase,
    #[error("The saved vault is damaged ({0}).")]
    Corrupt(String),
    #[error("The saved vault was made by a newer version of byok; update to open it.")]
    NewerVersion,
    #[error("This is a byok key bundle, not a vault record.")]
    IsBundle,
    #[error("The system's random number generator failed.")]
    Rng,
}

impl From<CryptoError> for VaultError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Rng => VaultError::Rng,
            CryptoError::Decrypt | CryptoError::TooShort => {
                VaultError::Corrupt("the contents do not decrypt".into())
            }
        }
    }
}

fn wrap_aad(kdf: &Kdf) -> Vec<u8> {
    // Binding the KDF parameters means a record with swapped salt or iterations fails
    // as a whole instead of deriving some other key.
    format!(
        "byok-vault/1 wrapped-key {} {} {} {}",
        kdf.name, kdf.hash, kdf.iterations, kdf.salt
    )
    .into_bytes()
}

fn data_aad(rev: u64) -> Vec<u8> {
    format!("byok-vault/1 data rev={rev}").into_bytes()
}

fn decode_fixed<const N: usize>(s: &str, what: &str) -> Result<[u8; N], VaultError> {
    b64_decode(s)
        .ok()
        .and_then(|v| <[u8; N]>::try_from(v).ok())
        .ok_or_else(|| VaultError::Corrupt(format!("{what} is not {N} bytes of base64")))
}

/// Read a stored record, checking its shape but not decrypting anything.
pub fn parse(text: &str) -> Result<VaultRecord, VaultError> {
    if text.len() > MAX_RECORD_BYTES {
        return Err(VaultError::Corrupt(
            "it is larger than any vault byok writes".into(),
        ));
    }
    let v: serde_json::Value = from_json_strict(text.as_bytes())
        .map_err(|e| VaultError::Corrupt(format!("not valid JSON: {e}")))?;
    match v.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some("byok-bundle") => return Err(VaultError::IsBundle),
        _ => return Err(VaultError::Corrupt("not a byok vault record".into())),
    }
    match v.get("version").and_then(|f| f.as_u64()) {
        Some(1) => {}
        Some(n) if n > 1 => return Err(VaultError::NewerVersion),
        _ => return Err(VaultError::Corrupt("unknown version".into())),
    }
    let r: VaultRecord =
        serde_json::from_value(v).map_err(|e| VaultError::Corrupt(e.to_string()))?;
    if r.kdf.name != "PBKDF2" || r.kdf.hash != "SHA-256" {
        return Err(VaultError::Corrupt("unknown key derivation".into()));
    }
    if !(crypto::MIN_ITERATIONS..=crypto::MAX_ITERATIONS).contains(&r.kdf.iterations) {
        return Err(VaultError::Corrupt("iteration count out of range".into()));
    }
    let salt = b64_decode(&r.kdf.salt).map_err(|_| VaultError::Corrupt("bad salt".into()))?;
    if salt.len() < SALT_LEN {
        return Err(VaultError::Corrupt("salt too short".into()));
    }
    decode_fixed::<IV_LEN>(&r.wrapped_key.iv, "wrapped key IV")?;
    decode_fixed::<IV_LEN>(&r.data.iv, "data IV")?;
    Ok(r)
}

impl VaultRecord {
    pub fn salt(&self) -> Vec<u8> {
        b64_decode(&self.kdf.salt).unwrap_or_default()
    }

    pub fn iterations(&self) -> u32 {
        self.kdf.iterations
    }

    /// Unwrap the data key with the passphrase-derived key. Fails with
    /// [`VaultError::WrongPassphrase`] when the tag does not verify.
    pub fn unwrap_key(&self, kek: &AeadKey) -> Result<AeadKey, VaultError> {
        let iv = decode_fixed::<IV_LEN>(&self.wrapped_key.iv, "wrapped key IV")?;
        let ct = b64_decode(&self.wrapped_key.ct)
            .map_err(|_| VaultError::Corrupt("wrapped key is not base64".into()))?;
        let raw = crypto::open(kek, &iv, &wrap_aad(&self.kdf), &ct)
            .map_err(|_| VaultError::WrongPassphrase)?;
        let bytes: [u8; KEY_LEN] = raw
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Corrupt("wrapped key has the wrong length".into()))?;
        Ok(AeadKey::from_bytes(bytes))
    }

    /// Decrypt the contents with the data key.
    pub fn decrypt(&self, data_key: &AeadKey) -> Result<Vault, VaultError> {
        let sealed = self.sealed_contents()?;
        let pt = crypto::open(data_key, &sealed.iv, &sealed.aad, &sealed.ct)?;
        contents_from_plaintext(&pt)
    }

    /// The encrypted contents as AES-GCM inputs, for a caller that decrypts them itself
    /// (the browser, with WebCrypto) and then calls [`contents_from_plaintext`].
    pub fn sealed_contents(&self) -> Result<SealedParts, VaultError> {
        Ok(SealedParts {
            iv: decode_fixed::<IV_LEN>(&self.data.iv, "data IV")?,
            aad: data_aad(self.rev),
            ct: b64_decode(&self.data.ct)
                .map_err(|_| VaultError::Corrupt("contents are not base64".into()))?,
        })
    }

    /// The plaintext and AES-GCM inputs of the next revision with `vault` as its contents,
    /// for a caller that encrypts them itself and then calls [`VaultRecord::with_sealed`].
    /// [`VaultRecord::with_contents`] is exactly these two steps with RustCrypto.
    pub fn prepare_contents(&self, vault: &Vault) -> Result<ContentsToSeal, VaultError> {
        let rev = self.rev + 1;
        Ok(ContentsToSeal {
            rev,
            iv: crypto::random_array()?,
            aad: data_aad(rev),
            plaintext: contents_plaintext(vault)?,
        })
    }

    /// The next revision, its contents sealed from `job` (`ct` is ciphertext || tag).
    pub fn with_sealed(&self, job: &ContentsToSeal, ct: &[u8]) -> VaultRecord {
        // Field by field: `..self.clone()` would copy the old contents (megabytes for a
        // large vault) only to drop them.
        VaultRecord {
            format: self.format.clone(),
            version: self.version,
            rev: job.rev,
            kdf: self.kdf.clone(),
            wrapped_key: self.wrapped_key.clone(),
            data: Sealed {
                iv: b64_encode(&job.iv),
                ct: b64_encode(ct),
            },
        }
    }

    /// The same record under a new passphrase-derived key: a fresh salt and wrap, the
    /// contents untouched.
    pub fn rewrap(
        &self,
        data_key: &AeadKey,
        new_kek: &AeadKey,
        new_salt: &[u8; SALT_LEN],
        iterations: u32,
    ) -> Result<VaultRecord, VaultError> {
        let kdf = kdf(new_salt, iterations);
        let wrapped_key = wrap(data_key, new_kek, &kdf)?;
        Ok(VaultRecord {
            kdf,
            wrapped_key,
            ..self.clone()
        })
    }

    /// A new revision of this record with `vault` as its contents (fresh IV).
    pub fn with_contents(
        &self,
        data_key: &AeadKey,
        vault: &Vault,
    ) -> Result<VaultRecord, VaultError> {
        let job = self.prepare_contents(vault)?;
        let ct = crypto::seal(data_key, &job.iv, &job.aad, &job.plaintext);
        Ok(self.with_sealed(&job, &ct))
    }

    pub fn to_json(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// AES-GCM inputs of a record's encrypted contents. Holds no secret.
pub struct SealedParts {
    pub iv: [u8; IV_LEN],
    pub aad: Vec<u8>,
    pub ct: Vec<u8>,
}

/// A revision waiting to be sealed. No `Debug`: the plaintext is the whole vault. It is
/// wiped when dropped.
pub struct ContentsToSeal {
    pub rev: u64,
    pub iv: [u8; IV_LEN],
    pub aad: Vec<u8>,
    pub plaintext: Zeroizing<Vec<u8>>,
}

fn contents_plaintext(vault: &Vault) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    serde_json::to_vec(vault)
        .map(Zeroizing::new)
        .map_err(|e| VaultError::Corrupt(e.to_string()))
}

/// The vault from decrypted contents.
pub fn contents_from_plaintext(pt: &[u8]) -> Result<Vault, VaultError> {
    // serde's message could quote a decrypted value (a key, a label): say less.
    from_json_strict::<Vault>(pt)
        .map_err(|_| VaultError::Corrupt("the decrypted contents are not a vault".into()))
}

fn kdf(salt: &[u8; SALT_LEN], iterations: u32) -> Kdf {
    Kdf {
        name: "PBKDF2".into(),
        hash: "SHA-256".into(),
        iterations,
        salt: b64_encode(salt),
    }
}

fn wrap(data_key: &AeadKey, kek: &AeadKey, kdf: &Kdf) -> Result<Sealed, VaultError> {
    wrap_with_iv(data_key, kek, kdf, &crypto::random_array()?)
}

fn wrap_with_iv(
    data_key: &AeadKey,
    kek: &AeadKey,
    kdf: &Kdf,
    iv: &[u8; IV_LEN],
) -> Result<Sealed, VaultError> {
    let iv = *iv;
    let ct = crypto::seal(kek, &iv, &wrap_aad(kdf), data_key.expose());
    Ok(Sealed {
        iv: b64_encode(&iv),
        ct: b64_encode(&ct),
    })
}

fn seal_contents(data_key: &AeadKey, vault: &Vault, rev: u64) -> Result<Sealed, VaultError> {
    seal_contents_with_iv(data_key, vault, rev, &crypto::random_array()?)
}

fn seal_contents_with_iv(
    data_key: &AeadKey,
    vault: &Vault,
    rev: u64,
    iv: &[u8; IV_LEN],
) -> Result<Sealed, VaultError> {
    let iv = *iv;
    let json = contents_plaintext(vault)?;
    let ct = crypto::seal(data_key, &iv, &data_aad(rev), &json);
    Ok(Sealed {
        iv: b64_encode(&iv),
        ct: b64_encode(&ct),
    })
}

/// A brand-new vault: a random data key wrapped by `kek` (derived by the caller from the
/// passphrase with `salt` and `iterations`). Returns the record and the data key.
pub fn create(
    vault: &Vault,
    kek: &AeadKey,
    salt: &[u8; SALT_LEN],
    iterations: u32,
) -> Result<(VaultRecord, AeadKey), VaultError> {
    let data_key = AeadKey::generate()?;
    let kdf = kdf(salt, iterations);
    let wrapped_key = wrap(&data_key, kek, &kdf)?;
    let rev = 1;
    let record = VaultRecord {
        format: FORMAT.into(),
        version: VERSION,
        rev,
        kdf,
        wrapped_key,
        data: seal_contents(&data_key, vault, rev)?,
    };
    Ok((record, data_key))
}

/// Every random input given: for test vectors only (`examples/vault_vector.rs`).
/// Real vaults come from [`create`], which draws them from the CSPRNG.
#[doc(hidden)]
pub fn create_deterministic(
    vault: &Vault,
    passphrase: &str,
    salt: &[u8; SALT_LEN],
    iterations: u32,
    data_key: [u8; KEY_LEN],
    wrap_iv: &[u8; IV_LEN],
    data_iv: &[u8; IV_LEN],
) -> Result<VaultRecord, VaultError> {
    let kek = crypto::derive_key(passphrase.as_bytes(), salt, iterations);
    let data_key = AeadKey::from_bytes(data_key);
    let kdf = kdf(salt, iterations);
    let wrapped_key = wrap_with_iv(&data_key, &kek, &kdf, wrap_iv)?;
    Ok(VaultRecord {
        format: FORMAT.into(),
        version: VERSION,
        rev: 1,
        kdf,
        wrapped_key,
        data: seal_contents_with_iv(&data_key, vault, 1, data_iv)?,
    })
}

/// Native convenience: derive with RustCrypto and create. (The browser derives with
/// WebCrypto and calls [`create`].)
pub fn create_with_passphrase(
    vault: &Vault,
    passphrase: &str,
    iterations: u32,
) -> Result<(VaultRecord, AeadKey), VaultError> {
    let salt: [u8; SALT_LEN] = crypto::random_array()?;
    let kek = crypto::derive_key(passphrase.as_bytes(), &salt, iterations);
    create(vault, &kek, &salt, iterations)
}

/// Native convenience: parse, derive, unwrap, decrypt.
pub fn open_with_passphrase(
    text: &str,
    passphrase: &str,
) -> Result<(VaultRecord, AeadKey, Vault), VaultError> {
    let record = parse(text)?;
    let kek = crypto::derive_key(passphrase.as_bytes(), &record.salt(), record.iterations());
    let dk = record.unwrap_key(&kek)?;
    let vault = record.decrypt(&dk)?;
    Ok((record, dk, vault))
}
