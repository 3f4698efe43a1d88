//! Statements rendered once, and how to bind them.
//!
//! A cached statement is rendered with a distinct *sentinel* value in every
//! place a value goes (the organization, the id, each new value...). The
//! values sea-query hands back then say, in order, which value each
//! placeholder takes: the statement's binding plan. Later calls only bind
//! their values along the plan, whatever the kind of table and however
//! often a value recurs (a reference is bound once as a column and once in
//! its check).

use sea_query::Value;

/// What a placeholder of a cached statement takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// The organization of the scope.
    Org,
    /// The row's id.
    Id,
    /// A list's limit.
    Limit,
    /// A list's offset.
    Offset,
    /// Field `n` of the new row, in insert-column order.
    New(usize),
    /// Value `n` of an update, in the order the update sets them.
    Set(usize),
    /// Field `field` of new row number `row` of a many-row insert.
    Row { row: usize, field: usize },
    /// Value `n` of a filter or guard, in the order the filter lists them.
    Filter(usize),
}

/// The values cached statements are rendered with: each is a value no call
/// renders into a cached statement, so every one maps back to one [`Param`].
pub(crate) mod sentinel {
    use super::Param;
    use sea_query::Value;

    const ORG: i64 = -7_000_001;
    const ID: i64 = -7_000_002;
    const LIMIT: u64 = 7_000_003;
    const OFFSET: u64 = 7_000_004;
    const NEW: i64 = -8_000_000;
    const SET: i64 = -9_000_000;
    const FILTER: i64 = -10_000_000;
    /// Rows of a many-row insert: `ROW - row × FIELDS - field`.
    const ROW: i64 = -20_000_000;
    /// The most fields a row of a many-row insert has in the plan, and
    /// the most rows: far more than any statement binds.
    pub(crate) const FIELDS: usize = 1_024;
    pub(crate) const ROWS: usize = 65_536;

    /// Sentinel of the organization.
    pub(crate) fn org() -> Value {
        Value::BigInt(Some(ORG))
    }

    /// Sentinel of the id.
    pub(crate) fn id() -> Value {
        Value::BigInt(Some(ID))
    }

    /// Sentinel limit (sea-query takes limits as `u64`).
    pub(crate) const fn limit() -> u64 {
        LIMIT
    }

    /// Sentinel offset.
    pub(crate) const fn offset() -> u64 {
        OFFSET
    }

    /// Sentinel of field `n` of a new row.
    pub(crate) fn new_field(n: usize) -> Value {
        Value::BigInt(Some(NEW - i64::try_from(n).unwrap_or(0)))
    }

    /// Sentinel of value `n` of an update.
    pub(crate) fn set(n: usize) -> Value {
        Value::BigInt(Some(SET - i64::try_from(n).unwrap_or(0)))
    }

    /// Sentinel of value `n` of a filter.
    pub(crate) fn filter(n: usize) -> Value {
        Value::BigInt(Some(FILTER - i64::try_from(n).unwrap_or(0)))
    }

    /// Sentinel of field `field` of row `row` of a many-row insert.
    pub(crate) fn row_field(row: usize, field: usize) -> Value {
        let offset = i64::try_from(row * FIELDS + field).unwrap_or(0);
        Value::BigInt(Some(ROW - offset))
    }

    /// The parameter a rendered sentinel stands for.
    pub(crate) fn param(value: &Value) -> Option<Param> {
        let index = |base: i64, v: i64| usize::try_from(base - v).ok();
        match *value {
            Value::BigInt(Some(ORG)) => Some(Param::Org),
            Value::BigInt(Some(ID)) => Some(Param::Id),
            Value::BigUnsigned(Some(LIMIT)) => Some(Param::Limit),
            Value::BigUnsigned(Some(OFFSET)) => Some(Param::Offset),
            Value::BigInt(Some(v)) if v <= NEW && v > SET => index(NEW, v).map(Param::New),
            Value::BigInt(Some(v)) if v <= SET && v > FILTER => index(SET, v).map(Param::Set),
            Value::BigInt(Some(v)) if v <= FILTER && v > FILTER - 1_000_000 => {
                index(FILTER, v).map(Param::Filter)
            }
            Value::BigInt(Some(v)) if v <= ROW && v > ROW - (ROWS * FIELDS) as i64 => index(ROW, v)
                .map(|n| Param::Row {
                    row: n / FIELDS,
                    field: n % FIELDS,
                }),
            _ => None,
        }
    }
}

/// A statement rendered once: its SQL and its binding plan.
#[derive(Debug)]
pub(crate) struct Shape {
    pub(crate) sql: std::sync::Arc<str>,
    pub(crate) params: Box<[Param]>,
    /// On PostgreSQL, the functions that run it as a lone operation.
    pub(crate) calls: crate::exec::Calls,
}

impl Shape {
    /// The shape of a statement rendered with sentinels; `None` if a value
    /// is not a sentinel (a statement builder bound a constant, which the
    /// plan could not reproduce).
    pub(crate) fn from_rendered(sql: String, values: &[Value]) -> Option<Self> {
        let params = values
            .iter()
            .map(sentinel::param)
            .collect::<Option<Box<[Param]>>>()?;
        Some(Self {
            sql: sql.into(),
            params,
            calls: crate::exec::Calls::default(),
        })
    }

    /// Whether the plan binds values that are sea-query values (those of
    /// an update or a filter), rather than only keys and new rows.
    pub(crate) fn binds_values(&self) -> bool {
        self.params
            .iter()
            .any(|p| matches!(p, Param::Set(_) | Param::Filter(_)))
    }
}

/// Which cached statement of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ShapeKey {
    List {
        access: super::Reach<()>,
        inactive: bool,
        limit: bool,
        offset: bool,
    },
    Count {
        access: super::Reach<()>,
        inactive: bool,
    },
    Find {
        access: super::Reach<()>,
        inactive: bool,
    },
    Insert {
        access: super::Reach<()>,
    },
    /// A many-row insert of this many rows.
    InsertRows {
        access: super::Reach<()>,
        rows: usize,
    },
    /// The columns changed, as bits of their indexes in the model, and
    /// which of them are added to and subtracted from.
    Update {
        access: super::Reach<()>,
        columns: u64,
        adds: u64,
        subtracts: u64,
    },
    Delete {
        access: super::Reach<()>,
    },
    Restore {
        access: super::Reach<()>,
    },
    /// Every row a filter matches, with these changes (see `Update`).
    UpdateMatching {
        access: super::Reach<()>,
        columns: u64,
    },
    /// An aggregate of a column, over every row or per group.
    Aggregate {
        access: super::Reach<()>,
        inactive: bool,
        function: super::aggregate::Function,
        column: &'static str,
        group: Option<&'static str>,
    },
    /// The `step`-th statement of the model's cascades (see
    /// `cascade::chains`).
    Cascade {
        access: super::Reach<()>,
        step: usize,
        action: super::Cascade,
    },
}

/// Which cached statement: the model's statement `base`, with the shapes
/// of the filter (or guard) and the ordering the caller added, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) base: ShapeKey,
    pub(crate) filter: Option<crate::filter::Shape>,
    pub(crate) order: Box<[OrderShape]>,
}

impl From<ShapeKey> for CacheKey {
    fn from(base: ShapeKey) -> Self {
        Self {
            base,
            filter: None,
            order: Box::default(),
        }
    }
}

/// One key of an ordering: the column, whether descending, and where its
/// nulls go (`Some(true)`: first).
pub(crate) type OrderShape = (&'static str, bool, Option<bool>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sentinel_maps_back_to_its_param() {
        assert_eq!(sentinel::param(&sentinel::org()), Some(Param::Org));
        assert_eq!(sentinel::param(&sentinel::id()), Some(Param::Id));
        assert_eq!(
            sentinel::param(&Value::BigUnsigned(Some(sentinel::limit()))),
            Some(Param::Limit)
        );
        assert_eq!(
            sentinel::param(&Value::BigUnsigned(Some(sentinel::offset()))),
            Some(Param::Offset)
        );
        for n in [0, 1, 63, 500] {
            assert_eq!(
                sentinel::param(&sentinel::new_field(n)),
                Some(Param::New(n))
            );
            assert_eq!(sentinel::param(&sentinel::set(n)), Some(Param::Set(n)));
            assert_eq!(
                sentinel::param(&sentinel::filter(n)),
                Some(Param::Filter(n))
            );
            assert_eq!(
                sentinel::param(&sentinel::row_field(n, 7)),
                Some(Param::Row { row: n, field: 7 })
            );
        }
        assert_eq!(
            sentinel::param(&sentinel::row_field(
                sentinel::ROWS - 1,
                sentinel::FIELDS - 1
            )),
            Some(Param::Row {
                row: sentinel::ROWS - 1,
                field: sentinel::FIELDS - 1
            })
        );
        assert_eq!(sentinel::param(&Value::BigInt(Some(5))), None);
        assert_eq!(sentinel::param(&Value::Bool(Some(true))), None);
    }
}
