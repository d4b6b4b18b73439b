//! Components written by hand (WAT core modules made components by
//! wit-component against `wit/v1`), shared by the limit and pool tests.

/// A component written by hand: a core module (WAT) exporting the v1 tool
/// interface, made a component by wit-component against `wit/v1`.
pub fn component_from_core(core_wat: &str) -> Vec<u8> {
    let mut module = wat::parse_str(core_wat).expect("core module");
    let mut resolve = wit_parser::Resolve::default();
    let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/v1");
    let (package, _) = resolve.push_dir(&wit).expect("wit/v1");
    let world = resolve.select_world(&[package], Some("plugin")).unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .expect("encode component")
}

/// A core module with the tool export and `extra` declarations.
pub fn core_with(extra: &str) -> String {
    format!(
        r#"(module
            (memory (export "memory") 1)
            {extra}
            (func (export "yoi:plugin/tool@1.0.0#call")
                (param i32 i32 i32 i32) (result i32)
                unreachable)
            (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
                i32.const 1024))"#
    )
}
