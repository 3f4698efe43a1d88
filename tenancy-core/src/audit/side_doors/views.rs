//! Views and materialized views that show the app's role rows of tenant
//! tables that the policies would not.
//!
//! A view reads its relations with the rights of its owner unless it is
//! `security_invoker`, and row-level security then applies as it applies
//! to that owner: not at all to a superuser or a role with `BYPASSRLS`,
//! nor to the table's owner when it is not forced. The policies key on the
//! transaction's setting, not on the role, so a view owned by a role the
//! policies hold still shows one organization. A materialized view has no
//! policies: it holds the rows its refresh read, for whoever may read it.
//! Views read other views, so the walk follows them, with the rights each
//! one reads with.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::super::Finding;

/// A view or materialized view, of any schema but PostgreSQL's own.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug)]
pub(in crate::audit) struct ViewInfo {
    /// As PostgreSQL prints it: qualified when off the search path.
    pub(in crate::audit) name: String,
    pub(in crate::audit) materialized: bool,
    /// Whether it reads with the rights of whoever reads it.
    pub(in crate::audit) invoker: bool,
    /// Its owner's oid and name.
    pub(in crate::audit) owner: i64,
    pub(in crate::audit) owner_name: String,
    /// Whether the connected role may read it.
    pub(in crate::audit) readable: bool,
}

/// The views of the database and what they read, by oid.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug, Default)]
pub(in crate::audit) struct ViewGraph {
    pub(in crate::audit) views: HashMap<i64, ViewInfo>,
    /// The relations each view reads directly.
    pub(in crate::audit) reads: HashMap<i64, Vec<i64>>,
    /// Tenant tables (those `ddl::row_level_security` writes policies for)
    /// and their partitions, by name as PostgreSQL prints it.
    pub(in crate::audit) tenant: HashMap<i64, String>,
    /// The roles (of views' owners and the connected role) that
    /// row-level security does not hold on a tenant relation, with it.
    pub(in crate::audit) escapes: HashSet<(i64, i64)>,
    /// The connected role.
    pub(in crate::audit) role: i64,
}

/// The views that row-level security holds differently from the view
/// they are read through: the one that reads as its owner, and the owner.
#[derive(Clone, Copy)]
struct Rights<'a> {
    role: i64,
    /// The view whose owner `role` is; `None` while reading as the
    /// connected role, whose own rights the role findings cover.
    definer: Option<&'a ViewInfo>,
}

/// Views read other views at a bounded depth; the bound only guards the
/// walk against a catalog it does not expect.
const MAX_DEPTH: usize = 64;

/// One finding for each tenant relation that a view or materialized view
/// the connected role (`role`) may read shows without the policies, in
/// the order of the views' names.
pub(in crate::audit) fn check_views(graph: &ViewGraph, role: &str, findings: &mut Vec<Finding>) {
    let mut readable: Vec<(i64, &ViewInfo)> = graph
        .views
        .iter()
        .filter(|(_, view)| view.readable)
        .map(|(oid, view)| (*oid, view))
        .collect();
    readable.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    for (oid, view) in readable {
        let mut walk = Walk {
            graph,
            top: view,
            role,
            reported: BTreeSet::new(),
            findings: &mut *findings,
        };
        if view.materialized {
            walk.materialized(oid, view);
        } else {
            let rights = walk.rights_of(
                view,
                Rights {
                    role: graph.role,
                    definer: None,
                },
            );
            walk.view(oid, rights, 0);
        }
    }
}

/// The walk from one readable view.
struct Walk<'a, 'f> {
    graph: &'a ViewGraph,
    top: &'a ViewInfo,
    role: &'a str,
    /// Tenant relations already reported for `top`.
    reported: BTreeSet<String>,
    findings: &'f mut Vec<Finding>,
}

impl<'a> Walk<'a, '_> {
    /// The rights `view` reads with, read with `outer`.
    fn rights_of(&self, view: &'a ViewInfo, outer: Rights<'a>) -> Rights<'a> {
        if view.invoker {
            outer
        } else {
            Rights {
                role: view.owner,
                definer: Some(view),
            }
        }
    }

    fn view(&mut self, oid: i64, rights: Rights<'a>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let graph = self.graph;
        for relation in graph.reads.get(&oid).into_iter().flatten() {
            if let Some(table) = graph.tenant.get(relation) {
                if let Some(definer) = rights.definer
                    && graph.escapes.contains(&(rights.role, *relation))
                    && self.reported.insert(table.clone())
                {
                    self.findings.push(Finding::ViewBypassesPolicies {
                        view: self.top.name.clone(),
                        table: table.clone(),
                        through: definer.name.clone(),
                        owner: definer.owner_name.clone(),
                        role: self.role.to_owned(),
                    });
                }
            } else if let Some(inner) = graph.views.get(relation) {
                if inner.materialized {
                    self.materialized(*relation, inner);
                } else {
                    let rights = self.rights_of(inner, rights);
                    self.view(*relation, rights, depth + 1);
                }
            }
        }
    }

    /// Every tenant relation that materialized view `view` holds rows of,
    /// through whatever it reads, with whatever rights.
    fn materialized(&mut self, oid: i64, view: &ViewInfo) {
        let graph = self.graph;
        let mut tables = BTreeSet::new();
        let mut seen = HashSet::from([oid]);
        let mut next = vec![(oid, 0)];
        while let Some((at, depth)) = next.pop() {
            for relation in graph.reads.get(&at).into_iter().flatten() {
                if let Some(table) = graph.tenant.get(relation) {
                    tables.insert(table.clone());
                } else if depth < MAX_DEPTH && seen.insert(*relation) {
                    next.push((*relation, depth + 1));
                }
            }
        }
        for table in tables {
            if self.reported.insert(table.clone()) {
                self.findings.push(Finding::MaterializedViewOfTenantTable {
                    view: self.top.name.clone(),
                    materialized: view.name.clone(),
                    table,
                    role: self.role.to_owned(),
                });
            }
        }
    }
}
