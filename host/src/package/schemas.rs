//! Tool input schemas written once: derived from the plugin's own input
//! types and checked against `plugin.toml`.
//!
//! A Rust plugin that registers a tool with `Tools::tool_with_schema`
//! (guest SDK, schemars) answers the reserved tool name
//! [`INPUT_SCHEMAS_TOOL`] with a JSON object: tool name → the JSON Schema
//! of its input type. `check` and `pack` of a plugin directory call it
//! once, in the same no-authority probe as the tool list
//! ([`super::probe`]), and require each manifest tool's `input_schema` to
//! say the same as the derived one ([`compare`]), ignoring annotation
//! keywords only ([`ANNOTATIONS`]). A mismatch is `schema-mismatch` naming
//! the tool, the first differing JSON pointer and the derived schema (so
//! the author can paste it). A component that does not answer the name
//! (any other language, or a Rust tool registered without a schema)
//! leaves the manifest's schema as the only one.

use std::collections::BTreeMap;

use serde_json::Value;

use super::PackageError;
use crate::diag;
use crate::manifest::Manifest;

/// The reserved tool name a component answers with its derived input
/// schemas (tool names are `[a-z0-9_-]`, so no tool has it).
pub const INPUT_SCHEMAS_TOOL: &str = "yoi:input-schemas";

/// Keywords that describe but do not constrain: not compared.
pub const ANNOTATIONS: [&str; 6] = [
    "$schema",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
];

/// Parses a component's answer to [`INPUT_SCHEMAS_TOOL`]: a JSON object of
/// object schemas, else `schemas-unreadable`.
pub fn parse(answer: &str) -> Result<BTreeMap<String, Value>, PackageError> {
    let unreadable = |why: &str| PackageError::SchemasUnreadable(why.to_owned());
    let map: BTreeMap<String, Value> = serde_json::from_str(answer)
        .map_err(|_| unreadable("not a JSON object of tool name to schema"))?;
    if map.values().any(|schema| !schema.is_object()) {
        return Err(unreadable("a schema is not a JSON object"));
    }
    Ok(map)
}

/// Checks every manifest tool that has a derived schema: the two must be
/// equal once [`ANNOTATIONS`] are removed from both.
pub fn compare(manifest: &Manifest, derived: &BTreeMap<String, Value>) -> Result<(), PackageError> {
    for tool in &manifest.tools {
        let Some(schema) = derived.get(&tool.name) else {
            continue;
        };
        let (want, have) = (normalized(schema), normalized(&tool.input_schema));
        if let Some(at) = first_difference(&want, &have, String::new()) {
            return Err(PackageError::SchemaMismatch {
                tool: super::shown(&tool.name),
                at: diag::bound(&at, 128),
                derived: diag::bound(&want.to_string(), 600),
            });
        }
    }
    Ok(())
}

/// `schema` without annotation keywords, at every depth, and with each
/// `required` list sorted (it is a set).
fn normalized(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !ANNOTATIONS.contains(&k.as_str()))
                .map(|(k, v)| match (k.as_str(), v) {
                    ("required", Value::Array(names)) if names.iter().all(Value::is_string) => {
                        let mut names = names.clone();
                        names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                        (k.clone(), Value::Array(names))
                    }
                    _ => (k.clone(), normalized(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// The JSON pointer of the first place `a` and `b` differ (`""` is the
/// root), or `None` when they are equal.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => first_difference(v, w, here),
                    _ => Some(here),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn manifest(schema: &str) -> Manifest {
        Manifest::parse(&format!(
            "schema_version = 1\nid = \"x\"\nname = \"X\"\nversion = \"0.1.0\"\n\
             abi = \"yoi-plugin-wasm-1\"\ncomponent = \"x.wasm\"\n\
             [[tools]]\nname = \"greet\"\ndescription = \"d\"\ninput_schema = {schema}\n"
        ))
        .unwrap()
    }

    fn derived() -> BTreeMap<String, Value> {
        // What schemars derives for `struct Greet { name: String }` with
        // `deny_unknown_fields` and a doc comment.
        parse(
            &json!({"greet": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "Greet", "description": "Input of greet.",
                "type": "object", "additionalProperties": false,
                "properties": {"name": {"type": "string", "description": "Who."}},
                "required": ["name"],
            }})
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn equal_up_to_annotations_passes() {
        let m = manifest(
            "{ type = \"object\", title = \"mine\", required = [\"name\"], \
             properties = { name = { type = \"string\" } }, additionalProperties = false }",
        );
        compare(&m, &derived()).unwrap();
        // `required` is a set.
        let mut two = derived();
        two.get_mut("greet").unwrap()["required"] = json!(["name", "age"]);
        let m2 = manifest(
            "{ type = \"object\", required = [\"age\", \"name\"], \
             properties = { name = { type = \"string\" } }, additionalProperties = false }",
        );
        compare(&m2, &two).unwrap();
        // A tool without a derived schema is not compared.
        compare(&m, &BTreeMap::new()).unwrap();
    }

    #[test]
    fn a_mismatch_names_the_tool_and_the_pointer() {
        let m = manifest(
            "{ type = \"object\", required = [\"name\"], \
             properties = { name = { type = \"integer\" } }, additionalProperties = false }",
        );
        let err = compare(&m, &derived()).unwrap_err();
        assert_eq!(err.code(), "schema-mismatch");
        let text = err.to_string();
        assert!(
            text.contains("'greet'") && text.contains("/properties/name/type"),
            "{text}"
        );
        assert!(
            text.contains("\"type\":\"string\""),
            "the derived schema is shown: {text}"
        );
        // A keyword missing on one side.
        let m = manifest(
            "{ type = \"object\", required = [\"name\"], properties = { name = { type = \"string\" } } }",
        );
        let err = compare(&m, &derived()).unwrap_err();
        assert!(err.to_string().contains("/additionalProperties"), "{err}");
    }

    #[test]
    fn unreadable_answers_are_refused() {
        for answer in ["", "[]", "{\"greet\": 1}", "not json"] {
            assert_eq!(parse(answer).unwrap_err().code(), "schemas-unreadable");
        }
        assert!(parse("{}").unwrap().is_empty());
    }

    #[test]
    fn pointers_escape_and_arrays_compare_in_order() {
        let a = json!({"a/b": [1, 2]});
        assert_eq!(
            first_difference(&a, &json!({"a/b": [1, 3]}), String::new()).as_deref(),
            Some("/a~1b/1")
        );
        assert_eq!(
            first_difference(&a, &json!({"a/b": [1]}), String::new()).as_deref(),
            Some("/a~1b")
        );
        assert_eq!(first_difference(&a, &a.clone(), String::new()), None);
    }
}
