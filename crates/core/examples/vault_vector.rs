//! Writes the vault-record test vector of `docs/vault-record-v1.md` to stdout:
//! `cargo run -p byok-core --example vault_vector > crates/core/tests/vectors/vault/v1-basic.json`.
//! Inputs are fixed so the output is reproducible; real vaults use random ones.

use byok_core::model::Vault;
use byok_core::vault;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let plaintext = include_str!("../tests/vectors/vault/v1-basic.plaintext.json");
    let v: Vault = serde_json::from_str(plaintext)?;
    let salt: [u8; 16] = core::array::from_fn(|i| 0x20 + i as u8);
    let dk: [u8; 32] = core::array::from_fn(|i| 0x40 + i as u8);
    let wrap_iv: [u8; 12] = core::array::from_fn(|i| 0x60 + i as u8);
    let data_iv: [u8; 12] = core::array::from_fn(|i| 0x70 + i as u8);
    let r = vault::create_deterministic(
        &v,
        "correct horse battery staple",
        &salt,
        600_000,
        dk,
        &wrap_iv,
        &data_iv,
    )?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
