//! Rules of the control plane's bodies that span fields, which the derived
//! schemas cannot state: "give one of these", "this one needs that one".
//! Each is added to its component as an `anyOf` beside the derived schema,
//! so a client (and schemathesis) knows which bodies the server takes.

use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayItems, ObjectBuilder, Schema, Type,
};
use utoipa::openapi::{OpenApi, RefOr};

/// Adds the cross-field rules to the components that have them, and gives
/// `RuleView` its own flat schema (the derived one refers to `RuleSpec`,
/// whose `additionalProperties: false` would forbid `id` and `hits`).
pub fn add_cross_field_rules(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        let parameters = operations
            .into_iter()
            .flatten()
            .filter_map(|operation| operation.parameters.as_mut())
            .flatten();
        for parameter in parameters {
            if let RefOr::T(parameter) = parameter
                && let Some(schema) = parameter.schema.as_mut()
            {
                widen_unsigned(schema);
            }
        }
    }
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let schemas = &mut components.schemas;
    // A field is "given" when present and not null: serde reads null as absent.
    let given = |name: &str, kind: Type| {
        ObjectBuilder::new()
            .property(name, ObjectBuilder::new().schema_type(kind))
            .required(name)
    };
    // A form field written twice is `invalid_request` (API.md section 9),
    // and a form carries an array as a repeated field: extra fields of a
    // form are plain strings.
    for name in FORMS {
        if let Some(RefOr::T(Schema::Object(form))) = schemas.get_mut(name) {
            form.additional_properties = Some(Box::new(AdditionalProperties::RefOr(
                ObjectBuilder::new().schema_type(Type::String).into(),
            )));
        }
    }
    let pattern = |name: &str, pattern: &str| {
        ObjectBuilder::new().property(name, ObjectBuilder::new().pattern(Some(pattern)))
    };
    let rules: [(&str, Vec<Vec<ObjectBuilder>>); 4] = [
        (
            "ClockChange",
            vec![vec![
                given("advance_seconds", Type::Integer),
                given("set", Type::String),
                given("freeze", Type::Boolean),
            ]],
        ),
        (
            // `retry_after` goes with a `status` only.
            "RuleSpec",
            vec![vec![
                given("status", Type::Integer),
                given("delay_ms", Type::Integer)
                    .property("retry_after", ObjectBuilder::new().schema_type(Type::Null)),
                ObjectBuilder::new()
                    .property(
                        "drop",
                        ObjectBuilder::new().enum_values(Some([serde_json::Value::Bool(true)])),
                    )
                    .required("drop")
                    .property("retry_after", ObjectBuilder::new().schema_type(Type::Null)),
            ]],
        ),
        (
            // A user or a sub; and the server signs only with its own
            // secret's algorithm and its key's (HS256 and RS256 with the
            // default settings): any other `alg` needs `sign: foreign` or `none`.
            "DevTokenRequest",
            vec![
                vec![given("user", Type::String), given("sub", Type::String)],
                vec![
                    pattern("sign", "^(?:foreign|none)$").required("sign"),
                    pattern("alg", "^(?:HS256|RS256)$"),
                ],
            ],
        ),
        (
            // The login page's extra claims are read when an action is
            // given; the pattern admits the empty object (any works).
            "AuthorizeForm",
            vec![vec![
                ObjectBuilder::new().property("action", ObjectBuilder::new().max_length(Some(0))),
                pattern("extra_claims", r"^[\t\n\r ]*(?:\{[\t\n\r ]*\})?[\t\n\r ]*$"),
            ]],
        ),
    ];
    for (name, groups) in rules {
        let Some(derived) = schemas.get(name).cloned() else {
            continue;
        };
        let description = match &derived {
            RefOr::T(Schema::Object(object)) => object.description.clone(),
            _ => None,
        };
        let combined = groups.into_iter().fold(
            AllOfBuilder::new().item(derived).description(description),
            |all, branches| {
                let any = branches
                    .into_iter()
                    .fold(AnyOfBuilder::new(), |any, branch| any.item(branch));
                all.item(any)
            },
        );
        schemas.insert(name.to_owned(), combined.into());
    }
    if let Some(RefOr::T(Schema::Object(spec))) = schemas.get("RuleSpec").and_then(first_of_all) {
        let mut view = spec.clone();
        view.additional_properties = None;
        view.example = None;
        view.description = Some("A rule in `GET /api/dev/faults`.".to_owned());
        let id = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .description(Some("Its id (for `DELETE /api/dev/faults/{id}`)."));
        let hits = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .description(Some("Requests it hit so far."));
        view.properties.insert("id".to_owned(), id.into());
        view.properties.insert("hits".to_owned(), hits.into());
        view.required = vec!["id".to_owned(), "hits".to_owned()];
        schemas.insert("RuleView".to_owned(), RefOr::T(Schema::Object(view)));
    }
    schemas.values_mut().for_each(widen_unsigned);
}

/// The form bodies of `/oauth2/*`.
const FORMS: [&str; 3] = ["AuthorizeForm", "TokenRequest", "TokenParam"];

/// utoipa writes Rust's `u64` as `format: int64, minimum: 0`, which stops
/// at 2^63 - 1 while the server takes up to 2^64 - 1: an unsigned integer
/// with no bound of its own gets its real one instead of the format.
pub fn widen_unsigned(schema: &mut RefOr<Schema>) {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            let unsigned = object.format == Some(SchemaFormat::KnownFormat(KnownFormat::Int64))
                && object.maximum.is_none()
                && object.minimum.as_ref().is_some_and(|m| match m {
                    utoipa::Number::Int(i) => *i >= 0,
                    utoipa::Number::UInt(_) => true,
                    utoipa::Number::Float(f) => *f >= 0.0,
                });
            if unsigned {
                object.format = None;
                object.maximum = Some(u64::MAX.into());
            }
            object.properties.values_mut().for_each(widen_unsigned);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                widen_unsigned(items);
            }
        }
        Schema::AllOf(all) => all.items.iter_mut().for_each(widen_unsigned),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(widen_unsigned),
        Schema::OneOf(one) => one.items.iter_mut().for_each(widen_unsigned),
        _ => {}
    }
}

/// The derived schema inside an `allOf` made above (or the schema itself).
fn first_of_all(schema: &RefOr<Schema>) -> Option<&RefOr<Schema>> {
    match schema {
        RefOr::T(Schema::AllOf(all)) => all.items.first(),
        other => Some(other),
    }
}
