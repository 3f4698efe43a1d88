//! The operations of the property test, and the model of what each
//! organization may see and change.

use proptest::prelude::*;

/// How many cases run per backend, unless `PROPTEST_CASES` says otherwise.
pub(crate) const CASES: u32 = 128;
/// The longest sequence of operations in a case.
pub(crate) const MAX_OPS: usize = 40;
/// Organizations, by number (see `models::org_id`).
pub(crate) const ORGS: usize = 3;

/// One step. Rows are picked by index into those created so far, of any
/// organization: most picks of another organization's row must fail as if
/// it did not exist.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    InsertRecipe {
        org: usize,
    },
    InsertLine {
        org: usize,
        recipe: usize,
    },
    InsertBatch {
        org: usize,
        recipe: usize,
    },
    InsertRole {
        org: Option<usize>,
    },
    DeleteRecipe {
        org: usize,
        recipe: usize,
    },
    RestoreRecipe {
        org: usize,
        recipe: usize,
    },
    DeleteLine {
        org: usize,
        line: usize,
    },
    UpdateLine {
        org: usize,
        line: usize,
    },
    MoveLine {
        org: usize,
        line: usize,
        recipe: usize,
    },
    DeleteBatch {
        org: usize,
        batch: usize,
    },
    RepointBatch {
        org: usize,
        batch: usize,
        recipe: usize,
    },
    UpdateRole {
        org: usize,
        role: usize,
    },
    DeleteRole {
        org: usize,
        role: usize,
    },
    /// Two lines in one `insert_many`, under two picked recipes.
    InsertLines {
        org: usize,
        first: usize,
        second: usize,
    },
    /// `quantity = '3'` only if it is not `'3'` yet: a guarded update.
    GuardLine {
        org: usize,
        line: usize,
    },
    /// Every line of `org` at `'3'` back to `'1'`: an update of many rows.
    ResetLines {
        org: usize,
    },
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    let org = 0..ORGS;
    let pick = 0..64_usize;
    prop_oneof![
        3 => org.clone().prop_map(|org| Op::InsertRecipe { org }),
        3 => (org.clone(), pick.clone()).prop_map(|(org, recipe)| Op::InsertLine { org, recipe }),
        3 => (org.clone(), pick.clone()).prop_map(|(org, recipe)| Op::InsertBatch { org, recipe }),
        2 => proptest::option::of(org.clone()).prop_map(|org| Op::InsertRole { org }),
        2 => (org.clone(), pick.clone()).prop_map(|(org, recipe)| Op::DeleteRecipe { org, recipe }),
        2 => (org.clone(), pick.clone()).prop_map(|(org, recipe)| Op::RestoreRecipe { org, recipe }),
        2 => (org.clone(), pick.clone()).prop_map(|(org, line)| Op::DeleteLine { org, line }),
        2 => (org.clone(), pick.clone()).prop_map(|(org, line)| Op::UpdateLine { org, line }),
        2 => (org.clone(), pick.clone(), pick.clone())
            .prop_map(|(org, line, recipe)| Op::MoveLine { org, line, recipe }),
        1 => (org.clone(), pick.clone()).prop_map(|(org, batch)| Op::DeleteBatch { org, batch }),
        2 => (org.clone(), pick.clone(), pick.clone())
            .prop_map(|(org, batch, recipe)| Op::RepointBatch { org, batch, recipe }),
        2 => (org.clone(), pick.clone()).prop_map(|(org, role)| Op::UpdateRole { org, role }),
        1 => (org.clone(), pick.clone()).prop_map(|(org, role)| Op::DeleteRole { org, role }),
        2 => (org.clone(), pick.clone(), pick.clone())
            .prop_map(|(org, first, second)| Op::InsertLines { org, first, second }),
        2 => (org.clone(), pick).prop_map(|(org, line)| Op::GuardLine { org, line }),
        1 => org.prop_map(|org| Op::ResetLines { org }),
    ]
}

/// What an operation answered, as far as isolation is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    NotFound,
    Forbidden,
    ConditionFailed,
    Invalid(String),
    /// How many rows an update of many changed.
    Count(u64),
}

impl<T> From<Result<T, tenancy_core::Error>> for Outcome {
    fn from(result: Result<T, tenancy_core::Error>) -> Self {
        match result {
            Ok(_) => Self::Ok,
            Err(tenancy_core::Error::NotFound { .. }) => Self::NotFound,
            Err(tenancy_core::Error::Forbidden) => Self::Forbidden,
            Err(tenancy_core::Error::ConditionFailed { .. }) => Self::ConditionFailed,
            Err(tenancy_core::Error::Invalid { field, .. }) => Self::Invalid(field.into_owned()),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct RecipeRow {
    pub(crate) id: i64,
    pub(crate) org: usize,
    pub(crate) active: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct LineRow {
    pub(crate) id: i64,
    pub(crate) recipe: i64,
    pub(crate) active: bool,
    pub(crate) marked: bool,
    pub(crate) quantity: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct BatchRow {
    pub(crate) id: i64,
    pub(crate) org: usize,
    pub(crate) recipe: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct RoleRow {
    pub(crate) id: i64,
    pub(crate) org: Option<usize>,
}

/// Every row ever created, as the model believes it is now.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub(crate) recipes: Vec<RecipeRow>,
    pub(crate) lines: Vec<LineRow>,
    pub(crate) batches: Vec<BatchRow>,
    pub(crate) roles: Vec<RoleRow>,
}

impl Model {
    pub(crate) fn recipe(&self, id: i64) -> Option<&RecipeRow> {
        self.recipes.iter().find(|r| r.id == id)
    }

    /// Whether `org` may refer to recipe `id`: its own and active.
    pub(crate) fn recipe_usable(&self, org: usize, id: i64) -> bool {
        self.recipe(id).is_some_and(|r| r.org == org && r.active)
    }

    /// Whether `org` sees line `line` (active, under its own recipe).
    pub(crate) fn line_visible(&self, org: usize, line: &LineRow) -> bool {
        line.active && self.recipe(line.recipe).is_some_and(|r| r.org == org)
    }

    pub(crate) fn visible_recipes(&self, org: usize, inactive: bool) -> Vec<i64> {
        self.recipes
            .iter()
            .filter(|r| r.org == org && (inactive || r.active))
            .map(|r| r.id)
            .collect()
    }

    pub(crate) fn visible_lines(&self, org: usize) -> Vec<i64> {
        self.lines
            .iter()
            .filter(|l| self.line_visible(org, l))
            .map(|l| l.id)
            .collect()
    }

    /// How many lines `org` sees per recipe, by recipe id.
    pub(crate) fn lines_per_recipe(&self, org: usize) -> Vec<(i64, u64)> {
        let mut counts = std::collections::BTreeMap::new();
        for line in self.lines.iter().filter(|l| self.line_visible(org, l)) {
            *counts.entry(line.recipe).or_insert(0_u64) += 1;
        }
        counts.into_iter().collect()
    }

    /// How many batches `org` has per recipe, by recipe id.
    pub(crate) fn batches_per_recipe(&self, org: usize) -> Vec<(i64, u64)> {
        let mut counts = std::collections::BTreeMap::new();
        for batch in self.batches.iter().filter(|b| b.org == org) {
            *counts.entry(batch.recipe).or_insert(0_u64) += 1;
        }
        counts.into_iter().collect()
    }

    pub(crate) fn visible_batches(&self, org: usize) -> Vec<i64> {
        self.batches
            .iter()
            .filter(|b| b.org == org)
            .map(|b| b.id)
            .collect()
    }

    pub(crate) fn visible_roles(&self, org: usize) -> Vec<i64> {
        self.roles
            .iter()
            .filter(|r| r.org.is_none_or(|o| o == org))
            .map(|r| r.id)
            .collect()
    }
}

/// The element `pick` of `rows`, cycling; `None` when there are none.
pub(crate) fn nth<T>(rows: &[T], pick: usize) -> Option<&T> {
    (!rows.is_empty()).then(|| &rows[pick % rows.len()])
}
