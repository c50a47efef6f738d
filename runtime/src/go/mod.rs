//! Go's standard library and Go YAML libraries, where their exact texts
//! reach Juju's or Pebble's output: `%q` quoting, `strconv` parsing and
//! float formatting, `time` durations and RFC 3339 instants, `path.Clean`
//! and `path.Match`, and the YAML that gopkg.in/yaml.v2 (Juju's hook tools)
//! and gopkg.in/yaml.v3 (Pebble) write. The one home for these rules: the
//! jujuc layer, the simulated Pebble, the sandbox and the backends call it.

pub mod duration;
pub mod path;
pub mod quote;
pub mod strconv;
pub mod time;
pub mod yaml;
