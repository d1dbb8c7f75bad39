//! `vpass keys generate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Subcommand, ValueEnum};
use vpass_credential::keys::{Signer, SigningKey};

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Write a new private key (JWK, file mode 0600) and print its did:key.
    Generate {
        /// Where to write the private JWK. An existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// EdDSA (Ed25519, offices and holders) or ES256 (P-256, holder keys on phones).
        #[arg(long, value_enum, default_value_t = KeyAlg::EdDSA)]
        alg: KeyAlg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyAlg {
    #[value(name = "EdDSA", alias = "eddsa", alias = "ed25519")]
    EdDSA,
    #[value(name = "ES256", alias = "es256", alias = "p256")]
    ES256,
}

pub fn run(cmd: KeysCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCmd::Generate { out, alg } => {
            if out.exists() {
                bail!(
                    "{} already exists; refusing to overwrite a key",
                    out.display()
                );
            }
            let key = match alg {
                KeyAlg::EdDSA => SigningKey::generate_ed25519(),
                KeyAlg::ES256 => SigningKey::generate_p256(),
            };
            let did = key.public().did_key();
            // The `kid` is the did:key itself: it names the key completely, and verifiers given
            // `--issuer-key did:key:…` match it directly (a DID URL fragment would only add
            // ~50 characters to every QR code).
            let key = key.with_kid(did.clone());
            let mut text = serde_json::to_string_pretty(&key.to_private_jwk())?;
            text.push('\n');
            crate::write_file(&out, text.as_bytes(), true)?;
            eprintln!("wrote private key to {} (keep it secret)", out.display());
            println!("{did}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
