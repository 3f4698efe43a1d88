use tenancy_core::Scope;

fn main() {
    let _: Result<Scope, _> = serde_json::from_str(r#"{"org": 2}"#);
}
