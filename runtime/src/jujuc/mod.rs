//! The raw `jujuc` call (placeholder until the jujuc layer lands).

use crate::backend::HookTools;
use crate::bindings::jujuc::ToolOutput;

/// Run one hook tool from its argv.
pub fn run(
    _tools: &mut dyn HookTools,
    argv: &[String],
    _stdin: &[u8],
) -> Result<ToolOutput, String> {
    let name = argv.first().map(String::as_str).unwrap_or("");
    Ok(ToolOutput {
        code: 1,
        stdout: Vec::new(),
        stderr: format!("ERROR bad request: unknown command: {name}\n").into_bytes(),
    })
}
