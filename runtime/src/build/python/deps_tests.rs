use super::*;

/// A charm in a temporary directory, removed when dropped.
struct Fixture {
    charm: PythonCharm,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Fixture {
    type Target = PythonCharm;
    fn deref(&self) -> &PythonCharm {
        &self.charm
    }
}

fn charm(tag: &str, charmcraft: &str, files: &[(&str, &str)]) -> Fixture {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("charmbox-deps-{tag}-"))
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/charm.py"), "import ops\n").unwrap();
    fs::write(dir.join("charmcraft.yaml"), charmcraft).unwrap();
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    Fixture {
        charm: PythonCharm::detect(dir).unwrap(),
        _dir: tmp,
    }
}

#[test]
fn the_charm_plugin_reads_its_requirement_files_and_packages() {
    let c = charm(
        "charm",
        "name: x\nparts:\n  charm:\n    plugin: charm\n    charm-requirements: [reqs/a.txt]\n    \
         charm-binary-python-packages: [pyyaml==6.0.2]\n    charm-python-packages: [six]\n",
        &[],
    );
    fs::create_dir_all(c.dir.join("reqs")).unwrap();
    fs::write(c.dir.join("reqs/a.txt"), "ops==3.9.0\n").unwrap();
    let d = declared(&c).unwrap();
    assert_eq!(d.files, ["reqs/a.txt"]);
    assert_eq!(d.packages, ["six", "pyyaml==6.0.2"]);
    let text = requirements_text(&c, &d, Path::new("/nonexistent")).unwrap();
    assert_eq!(text, "ops==3.9.0\n\nsix\npyyaml==6.0.2\n");
}

#[test]
fn requirements_txt_is_the_charm_plugins_default_and_the_partless_one() {
    let with_part = charm(
        "default",
        "name: x\nparts:\n  charm:\n    plugin: charm\n  extra:\n    plugin: dump\n",
        &[("requirements.txt", "ops\n")],
    );
    assert_eq!(declared(&with_part).unwrap().files, ["requirements.txt"]);
    let partless = charm("partless", "name: x\n", &[("requirements.txt", "ops\n")]);
    assert_eq!(declared(&partless).unwrap().files, ["requirements.txt"]);
}

#[test]
fn the_python_and_uv_plugins() {
    let py = charm(
        "python",
        "name: x\nparts:\n  deps:\n    plugin: python\n    python-requirements: [r.txt]\n    \
         python-packages: [ops]\n",
        &[("r.txt", "six\n")],
    );
    let d = declared(&py).unwrap();
    assert_eq!(
        (d.files, d.packages),
        (vec!["r.txt".to_string()], vec!["ops".to_string()])
    );
    let uv = charm(
        "uv",
        "name: x\nparts:\n  charm:\n    plugin: uv\n    source: .\n    uv-groups: [charm]\n    \
         uv-extras: [tls]\n",
        &[],
    );
    let d = declared(&uv).unwrap();
    assert_eq!(d.uv, Some((vec!["charm".into()], vec!["tls".into()])));
    // Exporting needs the project and its lock, named.
    let e = requirements_text(&uv, &d, Path::new("/nonexistent")).unwrap_err();
    assert!(e.to_string().contains("needs pyproject.toml"), "{e}");
    let partless = charm("uv-partless", "name: x\n", &[("uv.lock", "")]);
    assert_eq!(declared(&partless).unwrap().uv, Some(Default::default()));
}

#[test]
fn what_charmbox_cannot_build_is_named() {
    let poetry = charm(
        "poetry",
        "name: x\nparts:\n  charm:\n    plugin: poetry\n",
        &[],
    );
    let e = declared(&poetry).unwrap_err();
    assert!(
        matches!(&e, BuildError::UnsupportedPlugin { part, plugin }
        if part == "charm" && plugin == "poetry"),
        "{e}"
    );
    let none = charm("none", "name: x\n", &[]);
    assert!(matches!(
        declared(&none),
        Err(BuildError::NoRequirements { .. })
    ));
    let escape = charm(
        "escape",
        "name: x\nparts:\n  charm:\n    plugin: charm\n    charm-requirements: [../../etc/passwd]\n",
        &[],
    );
    let e = declared(&escape).unwrap_err();
    assert!(
        e.to_string().contains("not inside the charm directory"),
        "{e}"
    );
    let huge = charm(
        "huge",
        "name: x\n",
        &[(
            "requirements.txt",
            &"x".repeat(MAX_REQUIREMENTS_BYTES as usize + 1),
        )],
    );
    let d = declared(&huge).unwrap();
    let e = requirements_text(&huge, &d, Path::new("/nonexistent")).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
}
