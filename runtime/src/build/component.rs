//! From core module to component: check that the module is a charm (it
//! carries the WIT world and exports the handler), encode it with
//! `wit-component` (validated), and check the component's world.

use std::path::Path;

use wit_component::{ComponentEncoder, DecodedWasm};

use super::BuildError;

pub(crate) use crate::bindings::HANDLER;

/// The core export wit-bindgen gives the handler's one function.
fn dispatch_export() -> String {
    format!("{HANDLER}#dispatch")
}

/// The world of a component: its imports and exports, by WIT name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComponentWorld {
    /// Imported interfaces (`juju:charm/hook-tools@0.1.0`, ...).
    pub(crate) imports: Vec<String>,
    /// Exported interfaces.
    pub(crate) exports: Vec<String>,
}

/// Encode the core module at `path` (bytes `module`) into a component.
pub(crate) fn encode(path: &Path, module: &[u8]) -> Result<Vec<u8>, BuildError> {
    let summary = summarize(module).map_err(|reason| BuildError::NotAModule {
        path: path.to_path_buf(),
        reason,
    })?;
    if !summary
        .custom_sections
        .iter()
        .any(|s| s.starts_with("component-type"))
    {
        return Err(BuildError::NoWorld {
            path: path.to_path_buf(),
        });
    }
    let export = dispatch_export();
    if !summary.exports.contains(&export) {
        return Err(BuildError::MissingExport {
            path: path.to_path_buf(),
            export,
        });
    }
    let encode_err = |e: anyhow::Error| BuildError::Encode {
        path: path.to_path_buf(),
        message: format!("{e:#}"),
    };
    let component = ComponentEncoder::default()
        .validate(true)
        .module(module)
        .map_err(encode_err)?
        .encode()
        .map_err(encode_err)?;
    let world = world_of(&component)?;
    if !world.exports.iter().any(|e| e == HANDLER) {
        return Err(BuildError::WrongWorld(format!(
            "it exports {:?}, not {HANDLER}",
            world.exports
        )));
    }
    tracing::debug!(imports = ?world.imports, exports = ?world.exports, "encoded component");
    Ok(component)
}

/// The imports and exports of an encoded component.
pub(crate) fn world_of(component: &[u8]) -> Result<ComponentWorld, BuildError> {
    match wit_component::decode(component) {
        Ok(DecodedWasm::Component(resolve, world)) => {
            let world = &resolve.worlds[world];
            let names = |items: &mut dyn Iterator<Item = &wit_parser::WorldKey>| {
                items.map(|k| resolve.name_world_key(k)).collect::<Vec<_>>()
            };
            Ok(ComponentWorld {
                imports: names(&mut world.imports.keys()),
                exports: names(&mut world.exports.keys()),
            })
        }
        Ok(DecodedWasm::WitPackage(..)) => Err(BuildError::WrongWorld(
            "it is a WIT package, not a component".to_string(),
        )),
        Err(e) => Err(BuildError::WrongWorld(format!("cannot decode it: {e:#}"))),
    }
}

/// What the build needs to know of a core module before encoding it.
#[derive(Debug, Default, PartialEq)]
struct ModuleSummary {
    exports: Vec<String>,
    custom_sections: Vec<String>,
}

/// Read the export names and custom section names of a core module.
/// A small reader of the binary format: sections are `id`, LEB128 size,
/// payload; names are LEB128 length and UTF-8 bytes.
fn summarize(wasm: &[u8]) -> Result<ModuleSummary, String> {
    const MAGIC: &[u8] = b"\0asm";
    if wasm.len() < 8 || &wasm[..4] != MAGIC {
        return Err("no wasm header".to_string());
    }
    match wasm[4..8] {
        [1, 0, 0, 0] => {}
        [_, _, 1, 0] => return Err("it is already a component".to_string()),
        _ => return Err("unknown wasm version".to_string()),
    }
    let mut summary = ModuleSummary::default();
    let mut r = Reader {
        bytes: wasm,
        pos: 8,
    };
    while !r.done() {
        let id = r.byte()?;
        let size = r.u32()? as usize;
        let mut section = Reader {
            bytes: r.take(size)?,
            pos: 0,
        };
        match id {
            0 => summary.custom_sections.push(section.name()?),
            7 => {
                for _ in 0..section.u32()? {
                    let name = section.name()?;
                    let _kind = section.byte()?;
                    let _index = section.u32()?;
                    summary.exports.push(name);
                }
            }
            _ => {}
        }
    }
    Ok(summary)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| format!("unexpected end at byte {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or("LEB128 overflow")?;
            if b & 0x80 == 0 {
                if shift == 28 && b > 0x0f {
                    return Err("LEB128 overflow".to_string());
                }
                return Ok(value);
            }
        }
        Err("LEB128 too long".to_string())
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("section of {len} bytes runs past the end"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn name(&mut self) -> Result<String, String> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a name is not UTF-8".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(mut n: u32, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn name(s: &str, out: &mut Vec<u8>) {
        leb(s.len() as u32, out);
        out.extend_from_slice(s.as_bytes());
    }

    fn section(id: u8, payload: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        leb(payload.len() as u32, out);
        out.extend_from_slice(payload);
    }

    /// A module with one custom section and a function export, by hand.
    fn module(custom: &str, export: &str) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let mut c = Vec::new();
        name(custom, &mut c);
        c.extend_from_slice(b"payload");
        section(0, &c, &mut m);
        section(1, &[1, 0x60, 0, 0], &mut m); // type: func () -> ()
        section(3, &[1, 0], &mut m); // func 0 has type 0
        let mut e = vec![1];
        name(export, &mut e);
        e.extend_from_slice(&[0, 0]); // func 0
        section(7, &e, &mut m);
        section(10, &[1, 2, 0, 0x0b], &mut m); // body: no locals, end
        m
    }

    #[test]
    fn reads_exports_and_custom_sections() {
        let s = summarize(&module(
            "component-type:x",
            "juju:charm/handler@0.1.0#dispatch",
        ))
        .unwrap();
        assert_eq!(s.custom_sections, ["component-type:x"]);
        assert_eq!(s.exports, ["juju:charm/handler@0.1.0#dispatch"]);
    }

    #[test]
    fn rejects_what_is_not_a_core_module() {
        assert!(summarize(b"").is_err());
        assert!(summarize(b"\x7fELF\x02\x01\x01\0").is_err());
        assert_eq!(
            summarize(b"\0asm\x0d\0\x01\0").unwrap_err(),
            "it is already a component"
        );
        let mut truncated = module("c", "e");
        truncated.truncate(truncated.len() - 2);
        assert!(summarize(&truncated).is_err());
        // A section size far past the end, and an overlong LEB128.
        assert!(summarize(b"\0asm\x01\0\0\0\x00\xff\xff\xff\xff\x0f").is_err());
        assert!(summarize(b"\0asm\x01\0\0\0\x00\x80\x80\x80\x80\x80\x01").is_err());
    }

    #[test]
    fn modules_without_world_or_handler_are_explained() {
        let p = Path::new("m.wasm");
        let no_world = module("producers", "juju:charm/handler@0.1.0#dispatch");
        assert!(matches!(
            encode(p, &no_world),
            Err(BuildError::NoWorld { .. })
        ));
        let no_export = module("component-type:x", "something_else");
        let err = encode(p, &no_export).unwrap_err();
        assert!(matches!(err, BuildError::MissingExport { .. }), "{err}");
        assert!(err.to_string().contains("export_charm!"), "{err}");
    }

    #[test]
    fn a_broken_world_section_is_an_encoding_error() {
        let m = module("component-type:x", "juju:charm/handler@0.1.0#dispatch");
        let err = encode(Path::new("m.wasm"), &m).unwrap_err();
        assert!(matches!(err, BuildError::Encode { .. }), "{err}");
    }
}
