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

#[test]
fn an_exclusion_is_recreated_with_the_organization_first() {
    let finding = |method: &str, elements: &[(&str, &str)]| Finding::ExclusionWithoutOrgColumn {
        table: "bookings".into(),
        constraint: "bookings_overlap".into(),
        method: method.into(),
        elements: elements
            .iter()
            .map(|(column, operator)| ((*column).to_owned(), (*operator).to_owned()))
            .collect(),
        shared: false,
        org_column: "organization_id".into(),
    };
    let gist = finding("gist", &[("organization_id", "<>"), ("during", "&&")]).to_string();
    assert!(
        gist.starts_with(
            "scoped table `bookings`: exclusion constraint `bookings_overlap` (organization_id \
             WITH <>, during WITH &&) does not compare `organization_id` with ="
        ),
        "{gist}"
    );
    // The organization once, with `=`; btree_gist named for gist only.
    assert!(
        gist.contains(r#"recreate it as EXCLUDE USING gist ("organization_id" WITH =, during WITH &&) (the btree_gist"#),
        "{gist}"
    );
    let btree = finding("btree", &[("room", "=")]).to_string();
    assert!(
        btree.ends_with(r#"EXCLUDE USING btree ("organization_id" WITH =, room WITH =)"#),
        "{btree}"
    );
}

#[test]
fn a_partition_finding_says_what_it_lacks() {
    let finding = Finding::UnprotectedPartition {
        table: "parts".into(),
        partition: "parts_p2".into(),
        role: "app".into(),
        enabled: true,
        forced: true,
        missing_policies: vec!["tenancy_system".into()],
        unexpected_policies: vec!["open".into()],
    };
    let line = finding.to_string();
    assert!(
        line.starts_with(
            "partition `parts_p2` of tenant table `parts` lacks the table's row-level security \
             (no policy `tenancy_system`; permissive policy `open`, which \
             `ddl::row_level_security` does not write)"
        ),
        "{line}"
    );
    assert!(
        line.contains("so it may show other organizations' rows"),
        "{line}"
    );
    assert!(
        line.ends_with(r#"REVOKE ALL ON parts_p2 FROM "app""#),
        "{line}"
    );
    assert_eq!(finding.table(), Some("parts_p2"));
}

#[test]
fn a_view_finding_names_the_view_to_change() {
    let finding = |through: &str| Finding::ViewBypassesPolicies {
        view: "recipe_list".into(),
        table: "recipes".into(),
        through: through.into(),
        owner: "postgres".into(),
        role: "app".into(),
    };
    let own = finding("recipe_list").to_string();
    assert!(
        own.starts_with(
            "view `recipe_list` reads tenant table `recipes` with the rights of its owner \
             `postgres`"
        ),
        "{own}"
    );
    assert!(
        own.contains("run ALTER VIEW recipe_list SET (security_invoker = true)"),
        "{own}"
    );
    let inner = finding("reports.all_recipes").to_string();
    assert!(
        inner.contains("through view `reports.all_recipes`, which reads with the rights"),
        "{inner}"
    );
    assert!(
        inner.contains(
            "run ALTER VIEW reports.all_recipes SET (security_invoker = true), or REVOKE SELECT \
             ON recipe_list FROM \"app\""
        ),
        "{inner}"
    );
    assert_eq!(finding("recipe_list").table(), Some("recipe_list"));
}

#[test]
fn a_materialized_view_finding_is_one_line() {
    let finding = Finding::MaterializedViewOfTenantTable {
        view: "snapshot_list".into(),
        materialized: "recipe_snapshot".into(),
        table: "recipes".into(),
        role: "app".into(),
    };
    let line = finding.to_string();
    assert!(
        line.starts_with(
            "view `snapshot_list` reads materialized view `recipe_snapshot`, which holds rows \
             of tenant table `recipes`"
        ),
        "{line}"
    );
    assert!(
        line.contains(r#"REVOKE SELECT ON snapshot_list FROM "app""#),
        "{line}"
    );
    assert!(!line.contains('\n'));
    assert!(finding.is_defect());
}
