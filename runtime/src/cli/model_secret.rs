//! `charmbox model secret …`: user secrets and the owner hooks an operator
//! can make due, as `juju add-secret`, `update-secret`, `grant-secret` and
//! the secret lifecycle do (the simulator's `secret_*` operations).

use anyhow::bail;
use charmbox::sim::Simulator;
use charmbox::state::Bag;

/// What to do with a secret.
#[derive(clap::Subcommand)]
pub enum SecretVerb {
    /// Add a user secret (`juju add-secret NAME key=value …`); prints its id.
    Add {
        /// The secret's name: later commands may use it instead of the id.
        name: String,
        /// `key=value` content.
        #[arg(required = true)]
        content: Vec<String>,
        /// Grant read access to this application (repeatable).
        #[arg(long = "grant", value_name = "APP")]
        grant: Vec<String>,
    },
    /// A new revision (`juju update-secret`); consumers tracking an older
    /// one get secret-changed.
    Set {
        /// The secret's id or label.
        secret: String,
        /// `key=value` content.
        #[arg(required = true)]
        content: Vec<String>,
    },
    /// Make the secret's rotation due now: its owner gets secret-rotate.
    Rotate { secret: String },
    /// Make the latest revision expire now: its owner gets secret-expired.
    Expire { secret: String },
    /// Let applications read a user secret (`juju grant-secret`).
    Grant {
        secret: String,
        #[arg(required = true, value_name = "APP")]
        apps: Vec<String>,
    },
    /// Take read access to a user secret away (`juju revoke-secret`).
    Revoke {
        secret: String,
        #[arg(required = true, value_name = "APP")]
        apps: Vec<String>,
    },
    /// Tell the owner a revision is unused (secret-remove); a user secret
    /// is removed.
    Remove {
        secret: String,
        /// The revision (default: the latest).
        #[arg(long)]
        revision: Option<u32>,
    },
}

/// Secret content from `key=value` arguments (values are kept as text).
fn content(pairs: &[String]) -> anyhow::Result<Bag> {
    let mut out = Bag::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            bail!("expected key=value, got {p:?}");
        };
        if out.insert(k.to_string(), v.to_string()).is_some() {
            bail!("key {k:?} given twice");
        }
    }
    Ok(out)
}

impl SecretVerb {
    /// Apply the operation to the model, printing what it did.
    pub fn run(self, sim: &mut Simulator) -> anyhow::Result<()> {
        match self {
            SecretVerb::Add {
                name,
                content: c,
                grant,
            } => {
                let id = sim.secret_add_named(Some(&name), content(&c)?, &grant)?;
                println!("{id}");
            }
            SecretVerb::Set { secret, content: c } => {
                let rev = sim.secret_set(&secret, content(&c)?)?;
                println!("{secret}: revision {rev}");
            }
            SecretVerb::Rotate { secret } => {
                sim.secret_rotate(&secret)?;
                println!("{secret}: rotation due");
            }
            SecretVerb::Expire { secret } => {
                sim.secret_expire(&secret)?;
                println!("{secret}: latest revision expired");
            }
            SecretVerb::Grant { secret, apps } => {
                sim.secret_grant(&secret, &apps)?;
                println!("{secret}: granted to {}", apps.join(", "));
            }
            SecretVerb::Revoke { secret, apps } => {
                sim.secret_revoke(&secret, &apps)?;
                println!("{secret}: revoked from {}", apps.join(", "));
            }
            SecretVerb::Remove { secret, revision } => {
                sim.secret_remove(&secret, revision)?;
                println!("{secret}: removed");
            }
        }
        Ok(())
    }
}
