//! Every guarantee the type system carries, proven by code that must not
//! compile, with the message users see committed beside it (`.stderr`);
//! and one model using every attribute, which must compile.
//!
//! The messages follow the compiler of these machines (rustc 1.95); after a
//! deliberate compiler upgrade, regenerate them with `TRYBUILD=overwrite`
//! and read every diff.

#[test]
fn misuse_does_not_compile_and_every_attribute_does() {
    let cases = trybuild::TestCases::new();
    for category in [
        "derive",
        "insert-value",
        "kinds",
        "no-scope",
        "not-scoped",
        "permissions",
        "reassign-org",
        "scope-by-hand",
        "sealed",
        "sealed-access",
        "soft-delete",
        "system-scope",
        "wrong-id-type",
        "writes",
    ] {
        cases.compile_fail(format!("ui/{category}/*.rs"));
    }
    cases.pass("ui/pass/*.rs");
}
