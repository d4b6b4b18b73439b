//! Tool input schemas written once (issue 13, item 1): `hello-wasip1`
//! registers its tools with `Tools::tool_with_schema`, so the component
//! answers its input schemas, derived from the Rust input types by
//! schemars; `check`/`pack` of the directory compare them with
//! `plugin.toml` (`package/schemas.rs`) in the no-authority probe.

use yoi_e2e_tests::*;
use yoi_plugin_host::package::Package;

fn check_with_manifest(edit: impl FnOnce(String) -> String) -> Result<Package, String> {
    let dir = tempfile::tempdir().unwrap();
    let manifest =
        std::fs::read_to_string(example_dir("hello-wasip1").join("plugin.toml")).unwrap();
    std::fs::write(dir.path().join("plugin.toml"), edit(manifest)).unwrap();
    let module = plugins_dir().join("hello-wasip1.wasm");
    Package::from_dir_declaring(dir.path(), Some(&module), host())
        .map_err(|e| format!("[{}] {e}", e.code()))
}

#[test]
fn a_manifest_saying_what_the_types_say_checks() {
    let package = check_with_manifest(|m| m).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(package.manifest.tools.len(), 2);
    // Formatting and annotations do not matter: a title and a reordered
    // `required` still say the same.
    check_with_manifest(|m| {
        m.replace(
            "input_schema = { type = \"object\", required = [\"path\"]",
            "input_schema = { title = \"mine\", type = \"object\", required = [\"path\"]",
        )
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_manifest_schema_that_drifted_from_the_type_is_schema_mismatch() {
    // The Rust type requires a non-empty name; the manifest forgot.
    let err = check_with_manifest(|m| m.replace(", minLength = 1", "")).unwrap_err();
    assert!(err.starts_with("[schema-mismatch]"), "{err}");
    assert!(err.contains("'greet'"), "{err}");
    assert!(err.contains("/properties/name/minLength"), "{err}");
    assert!(
        err.contains("\"minLength\":1"),
        "the derived schema is shown: {err}"
    );
    // The manifest accepts a field the type does not have.
    let err = check_with_manifest(|m| {
        m.replace(
            "properties = { path = { type = \"string\" } }",
            "properties = { path = { type = \"string\" }, mode = { type = \"string\" } }",
        )
    })
    .unwrap_err();
    assert!(err.starts_with("[schema-mismatch]"), "{err}");
    assert!(
        err.contains("'peek'") && err.contains("/properties/mode"),
        "{err}"
    );
}

#[test]
fn components_without_derived_schemas_keep_the_manifest_schema() {
    // hello (Rust, plain `tool`) and hello-js answer no schemas: any
    // manifest schema is accepted as the only one.
    for name in ["hello", "hello-js"] {
        let component = plugins_dir().join(format!("{name}.wasm"));
        Package::from_dir_declaring(&example_dir(name), Some(&component), host())
            .unwrap_or_else(|e| panic!("{name}: [{}] {e}", yoi_plugin_host::ErrorCode::code(&e)));
    }
}
