//! Requirements published only as source distributions (PyYAML 6.0.2 has no
//! wheel for CPython 3.14): built into a wheel on the host as `pip install`
//! of an sdist would (its build backend runs here), then retagged
//! `py3-none-any` so pip takes it for the guest. The wheel's Python files
//! are what the guest runs; native files a host build left in it are
//! handled as for any wheel (optional accelerators dropped, anything else
//! refused by name). Only exact pins (`name==version`) are built.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::pip::{normalize, python, tail};
use crate::build::progress::Step;
use crate::build::{BuildError, BuildOptions};

/// Most requirements of one charm built from source.
pub(crate) const MAX_BUILT: usize = 16;

/// The most a built wheel may hold (entries, bytes unpacked).
const MAX_ENTRIES: usize = 20_000;
const MAX_BYTES: u64 = 256 << 20;

/// The `name==version` of a pip "No matching distribution found for ..."
/// line, when pip names an exact pin.
pub(crate) fn missing_pin(stderr: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(stderr);
    let spec = text
        .lines()
        .find_map(|l| l.split("No matching distribution found for ").nth(1))?
        .trim();
    let (name, version) = spec.split_once("==")?;
    let plain = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || extra.contains(&c))
    };
    (plain(name, &['-', '_']) && plain(version, &['+', '!', '-']))
        .then(|| (normalize(name), version.to_string()))
}

/// The directory holding `name==version` built from its sdist as a
/// `py3-none-any` wheel, built once under `<cache>/sdist-wheels/`.
pub(crate) fn wheel_from_sdist(
    name: &str,
    version: &str,
    cache: &Path,
    opts: &BuildOptions,
) -> Result<PathBuf, BuildError> {
    let root = cache.join("sdist-wheels");
    let _ = fs::create_dir_all(&root);
    crate::cached_dir::fill_once(
        &root.join(format!("{name}-{version}")),
        |tmp| {
            let raw = tmp.join("raw");
            let built = Step::new(opts, format!("building {name} {version} from its source"))
                .timed_in(&root, &format!("sdist-{name}"))
                .run(|| build_wheel(name, version, &raw))?;
            retag(&built, tmp).map_err(|e| failed(name, version, e))?;
            let _ = fs::remove_dir_all(&raw);
            Ok(())
        },
        BuildError::PythonSetup,
    )
}

fn failed(name: &str, version: &str, why: String) -> BuildError {
    BuildError::PythonRequirement {
        package: format!("{name}=={version}"),
        reason: format!(
            "it has no wheel for CPython {}, and its source distribution did not build \
             into one: {why}",
            super::pip::GUEST_PYTHON
        ),
    }
}

/// `pip wheel` of the sdist alone with the host's interpreter; the wheel.
fn build_wheel(name: &str, version: &str, out: &Path) -> Result<PathBuf, BuildError> {
    let result = super::pip::run(
        Command::new(python())
            .args(["-m", "pip", "wheel", "--disable-pip-version-check"])
            .args(["--no-input", "--no-deps", "--no-binary", ":all:", "-w"])
            .arg(out)
            .arg(format!("{name}=={version}")),
        &format!("building {name} from its source distribution"),
    )?;
    if !result.status.success() {
        return Err(failed(name, version, tail(&result.stderr, 10)));
    }
    fs::read_dir(out)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| failed(name, version, "pip wrote no wheel".into()))
}

/// Copy the wheel `whl` into `dir` as `<dist>-<version>-py3-none-any.whl`:
/// its WHEEL file says it is pure and for any Python 3 (pip checks tags,
/// not RECORD's hashes; it writes its own RECORD on install).
fn retag(whl: &Path, dir: &Path) -> Result<PathBuf, String> {
    let file_name = whl.file_name().unwrap_or_default().to_string_lossy();
    let mut parts = file_name.split('-');
    let (Some(dist), Some(version)) = (parts.next(), parts.next()) else {
        return Err(format!("unexpected wheel name {file_name}"));
    };
    let out = dir.join(format!("{dist}-{version}-py3-none-any.whl"));
    let file = fs::File::open(whl).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!("the wheel has more than {MAX_ENTRIES} entries"));
    }
    let mut files = Vec::new();
    let mut left = MAX_BYTES;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
        if entry.is_dir() {
            continue;
        }
        let Some(name) = entry
            .enclosed_name()
            .and_then(|p| p.to_str().map(str::to_string))
        else {
            return Err("the wheel has an entry outside it".into());
        };
        let mut bytes = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        left = left
            .checked_sub(bytes.len() as u64)
            .ok_or_else(|| format!("the wheel unpacks to more than {} MiB", MAX_BYTES >> 20))?;
        if name.ends_with(".dist-info/WHEEL") {
            bytes = pure_wheel_metadata(&String::from_utf8_lossy(&bytes)).into_bytes();
        }
        // Readable by all; executable only where it was.
        let mode = match entry.unix_mode() {
            Some(m) if m & 0o111 != 0 => 0o755,
            _ => 0o644,
        };
        files.push((name, bytes, mode));
    }
    crate::pack::zip_out::write_zip(&out, files).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A WHEEL file saying pure, any Python 3, other fields kept.
fn pure_wheel_metadata(text: &str) -> String {
    let mut out: String = text
        .lines()
        .filter(|l| !l.starts_with("Tag:") && !l.starts_with("Root-Is-Purelib:"))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str("Root-Is-Purelib: true\nTag: py3-none-any\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_naming_a_pinned_requirement_without_a_wheel_gives_its_pin() {
        let stderr = b"ERROR: Could not find a version that satisfies the requirement \
            PyYAML==6.0.2 (from versions: none)\nERROR: No matching distribution found for \
            PyYAML==6.0.2\n";
        assert_eq!(
            missing_pin(stderr),
            Some(("pyyaml".to_string(), "6.0.2".to_string()))
        );
        let ranged = b"ERROR: No matching distribution found for pyyaml>=6\n";
        assert_eq!(missing_pin(ranged), None);
        let odd = b"ERROR: No matching distribution found for x==1; rm -rf\n";
        assert_eq!(missing_pin(odd), None);
    }

    #[test]
    fn a_host_wheel_is_retagged_pure_for_any_python() {
        let dir = std::env::temp_dir().join(format!("charmbox-retag-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let host = dir.join("PyYAML-6.0.2-cp311-cp311-linux_x86_64.whl");
        let wheel = "Wheel-Version: 1.0\nGenerator: setuptools\nRoot-Is-Purelib: false\n\
                     Tag: cp311-cp311-linux_x86_64\n";
        crate::pack::zip_out::write_zip(
            &host,
            vec![
                ("yaml/__init__.py".into(), b"x = 1\n".to_vec(), 0o644),
                ("PyYAML-6.0.2.dist-info/WHEEL".into(), wheel.into(), 0o644),
            ],
        )
        .unwrap();
        let out_dir = dir.join("out");
        fs::create_dir_all(&out_dir).unwrap();
        let out = retag(&host, &out_dir).unwrap();
        assert_eq!(
            out.file_name().unwrap(),
            "PyYAML-6.0.2-py3-none-any.whl",
            "{out:?}"
        );
        let mut zip = zip::ZipArchive::new(fs::File::open(&out).unwrap()).unwrap();
        let mut text = String::new();
        zip.by_name("PyYAML-6.0.2.dist-info/WHEEL")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.contains("Tag: py3-none-any\n"), "{text}");
        assert!(text.contains("Root-Is-Purelib: true\n"), "{text}");
        assert!(!text.contains("cp311"), "{text}");
        assert!(text.contains("Generator: setuptools\n"), "{text}");
        let _ = fs::remove_dir_all(&dir);
    }
}
