//! `--yaml-max-*`: the limits on every YAML text charmbox reads (layers,
//! `--file` maps, charmcraft.yaml, scenarios), for any subcommand.

use charmbox::yaml::{DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Limits};

#[derive(clap::Args, Debug)]
pub struct YamlLimitArgs {
    /// Largest YAML text read, in bytes; also the most scalar text its
    /// aliases may expand to.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_MAX_BYTES)]
    pub yaml_max_bytes: u64,
    /// Deepest nesting of YAML collections, aliases included (at most 128,
    /// where the YAML library stops anyway).
    #[arg(long, global = true, value_name = "LEVELS", default_value_t = DEFAULT_MAX_DEPTH as u16,
          value_parser = clap::value_parser!(u16).range(1..=128))]
    pub yaml_max_depth: u16,
    /// Most nodes of a YAML document once its aliases are expanded.
    #[arg(long, global = true, value_name = "NODES", default_value_t = DEFAULT_MAX_NODES)]
    pub yaml_max_nodes: u64,
}

impl YamlLimitArgs {
    /// Make these the process's limits.
    pub fn apply(&self) {
        charmbox::yaml::set_limits(Limits {
            max_bytes: self.yaml_max_bytes,
            max_depth: usize::from(self.yaml_max_depth),
            max_nodes: self.yaml_max_nodes,
        });
    }
}
