//! The lines of findings.

use super::*;

#[test]
fn nullable_org_column_says_what_to_write() {
    let finding = Finding::NullableOrgColumn {
        table: "recipes".into(),
        column: "organization_id".into(),
    };
    assert_eq!(
        finding.to_string(),
        "scoped table `recipes`: `organization_id` is nullable; declare it NOT NULL"
    );
    assert!(finding.is_defect());
    assert_eq!(finding.table(), Some("recipes"));
}

#[test]
fn key_without_org_column_writes_the_key_with_it() {
    let finding = Finding::KeyWithoutOrgColumn {
        table: "recipes".into(),
        key: "recipes_name_key".into(),
        columns: vec!["name".into()],
        primary: false,
        shared: false,
        org_column: "organization_id".into(),
    };
    let line = finding.to_string();
    assert!(
        line.starts_with("scoped table `recipes`: unique key `recipes_name_key` (name)"),
        "{line}"
    );
    assert!(
        line.ends_with(r#"make it UNIQUE ("organization_id", "name")"#),
        "{line}"
    );
}

#[test]
fn a_shared_table_keeps_its_primary_key_on_the_id() {
    let finding = Finding::KeyWithoutOrgColumn {
        table: "tags".into(),
        key: "tags_pkey".into(),
        columns: vec!["name".into(), "id".into()],
        primary: true,
        shared: true,
        org_column: "organization_id".into(),
    };
    let line = finding.to_string();
    assert!(
        line.ends_with(
            r#"make the id alone the primary key, and add UNIQUE ("organization_id", "name", "id")"#
        ),
        "{line}"
    );
}

#[test]
fn reference_not_composite_writes_the_foreign_key() {
    let finding = Finding::ReferenceNotComposite {
        table: "batches".into(),
        column: "recipe_id".into(),
        org_column: "organization_id".into(),
        target: "recipes".into(),
        target_org_column: "organization_id".into(),
        target_id_column: "id".into(),
    };
    assert!(finding.to_string().contains(
        r#"FOREIGN KEY ("organization_id", "recipe_id") REFERENCES "recipes" ("organization_id", "id")"#
    ));
}

#[test]
fn only_the_distribution_note_is_not_a_defect() {
    let note = Finding::NotDistributable {
        table: "recipe_steps".into(),
        parent: "recipes".into(),
    };
    assert!(!note.is_defect());
    assert!(note.to_string().starts_with("note: "));
    let role = Finding::RoleBypassesRls { role: "app".into() };
    assert!(role.is_defect());
    assert_eq!(role.table(), None);
}

#[test]
fn every_finding_is_one_line() {
    let owner = Finding::RoleOwnsTable {
        role: "app".into(),
        table: "recipes".into(),
        owner: "migrator".into(),
    };
    assert!(
        owner
            .to_string()
            .contains("is a member of `migrator`, which owns table `recipes`")
    );
    assert!(!owner.to_string().contains('\n'));
}

#[test]
fn a_global_table_with_an_organization_column_says_what_to_declare() {
    let finding = Finding::GlobalTableWithOrgColumn {
        table: "notices".into(),
        column: "organization_id".into(),
    };
    let line = finding.to_string();
    assert!(
        line.starts_with("global table `notices` has column `organization_id`"),
        "{line}"
    );
    assert!(line.contains("declare the model scoped"), "{line}");
    assert_eq!(finding.table(), Some("notices"));
}

#[test]
fn kinds_that_differ_are_listed() {
    let finding = Finding::KindsDiffer {
        table: "units".into(),
        kinds: vec!["global".into(), "scoped by organization_id".into()],
    };
    let line = finding.to_string();
    assert!(
        line.starts_with(
            "table `units` is declared by models of different kinds (global; scoped by \
             organization_id)"
        ),
        "{line}"
    );
    assert!(finding.is_defect());
}
