//! Filters: conditions on a model's rows, kept as a tree of typed
//! comparisons so that a statement with a filter is rendered once per
//! shape and then only bound, like an unfiltered one.
//!
//! Two filters of the same shape (the same columns, comparisons and
//! nesting, and lists of the same length) differ only in their values, so
//! the library renders the statement the first time with placeholders and
//! binds each later call's values along the same plan. A filter built with
//! [`Filter::custom`] holds sea-query's condition as given, which has no
//! shape the library can read: statements with one are rendered per call.
//!
//! On PostgreSQL the difference also shows in round trips: a lone
//! operation whose statement is cached names its organization in the
//! statement's own round trip (a call made once per connection), while
//! one rendered per call (a custom condition, a filter of more than 32
//! values, a model's statements past its first 256 shapes of filter) runs
//! in a transaction that names it: `BEGIN` with the setting, the
//! statement, `COMMIT`, three round trips. In a caller's transaction both
//! cost the statement alone.

use std::fmt;
use std::marker::PhantomData;

use sea_query::{BinOper, Condition, Expr, ExprTrait, Value};

/// A comparison of a column with one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    Like,
}

#[derive(Clone, Debug)]
enum Node {
    Compare {
        table: &'static str,
        column: &'static str,
        op: Op,
        value: Value,
    },
    List {
        table: &'static str,
        column: &'static str,
        negated: bool,
        values: Vec<Value>,
    },
    Null {
        table: &'static str,
        column: &'static str,
        negated: bool,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Custom(Condition),
}

/// The most values a filter may bind and still be cached by its shape:
/// past it (a long `IN` list, a chain of `or`s built from a request), the
/// statement is rendered per call, so that callers choosing lengths
/// cannot fill the cache with statements used once.
const MAX_CACHED_VALUES: usize = 32;

/// Whether statements binding `value` can be cached: sea-query renders a
/// PostgreSQL enum value with a cast (`$1::"mood"`) that a sentinel would
/// not carry.
pub(crate) fn cacheable(value: &Value) -> bool {
    !matches!(value, Value::Enum(_))
}

/// The shape of a filter: everything but its values. Equal shapes render
/// the same SQL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Shape(Box<[Token]>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Token {
    Compare(&'static str, &'static str, Op),
    List(&'static str, &'static str, bool, usize),
    Null(&'static str, &'static str, bool),
    And,
    Or,
    Not,
}

impl Node {
    fn shape(&self, tokens: &mut Vec<Token>) -> Option<()> {
        match self {
            Self::Compare {
                table,
                column,
                op,
                value,
            } => {
                if !cacheable(value) {
                    return None;
                }
                tokens.push(Token::Compare(table, column, *op));
            }
            Self::List {
                table,
                column,
                negated,
                values,
            } => {
                if !values.iter().all(cacheable) {
                    return None;
                }
                tokens.push(Token::List(table, column, *negated, values.len()));
            }
            Self::Null {
                table,
                column,
                negated,
            } => tokens.push(Token::Null(table, column, *negated)),
            Self::And(a, b) | Self::Or(a, b) => {
                tokens.push(if matches!(self, Self::And(..)) {
                    Token::And
                } else {
                    Token::Or
                });
                a.shape(tokens)?;
                b.shape(tokens)?;
            }
            Self::Not(inner) => {
                tokens.push(Token::Not);
                inner.shape(tokens)?;
            }
            Self::Custom(_) => return None,
        }
        Some(())
    }

    fn values(&self, out: &mut Vec<Value>) {
        match self {
            Self::Compare { value, .. } => out.push(value.clone()),
            Self::List { values, .. } => out.extend(values.iter().cloned()),
            Self::Null { .. } | Self::Custom(_) => {}
            Self::And(a, b) | Self::Or(a, b) => {
                a.values(out);
                b.values(out);
            }
            Self::Not(inner) => inner.values(out),
        }
    }

    /// The condition, with each value taken from `value` in the order of
    /// [`values`](Self::values): the node's own, or sentinels.
    fn condition(&self, value: &mut impl FnMut(&Value) -> Value) -> Condition {
        let col = |table: &'static str, column: &'static str| Expr::col((table, column));
        match self {
            Self::Compare {
                table,
                column,
                op,
                value: v,
            } => {
                let (column, v) = (col(table, column), value(v));
                Condition::all().add(match op {
                    Op::Eq => column.eq(v),
                    Op::Ne => column.ne(v),
                    Op::Lt => column.lt(v),
                    Op::Lte => column.lte(v),
                    Op::Gt => column.gt(v),
                    Op::Gte => column.gte(v),
                    Op::Like => column.binary(BinOper::Like, v),
                })
            }
            Self::List {
                table,
                column,
                negated,
                values,
            } => {
                if values.is_empty() {
                    // Written as literals: sea-query binds its own values
                    // for an empty list, which a cached plan cannot tell
                    // from the caller's.
                    return Condition::all().add(Expr::cust(if *negated {
                        "1 = 1"
                    } else {
                        "1 = 0"
                    }));
                }
                let values: Vec<Value> = values.iter().map(&mut *value).collect();
                let column = col(table, column);
                Condition::all().add(if *negated {
                    column.is_not_in(values)
                } else {
                    column.is_in(values)
                })
            }
            Self::Null {
                table,
                column,
                negated,
            } => {
                let column = col(table, column);
                Condition::all().add(if *negated {
                    column.is_not_null()
                } else {
                    column.is_null()
                })
            }
            Self::And(a, b) => Condition::all()
                .add(a.condition(value))
                .add(b.condition(value)),
            Self::Or(a, b) => Condition::any()
                .add(a.condition(value))
                .add(b.condition(value)),
            Self::Not(inner) => inner.condition(value).not(),
            Self::Custom(condition) => condition.clone(),
        }
    }
}

/// A condition on rows of model `M`, for `select(..).filter(..)`, update
/// guards and aggregates.
///
/// Built from the model's column constants and combined with [`and`],
/// [`or`] and `!`. Whatever the filter says, the scope's organization
/// predicate is added beside it, never replaced.
///
/// [`and`]: Filter::and
/// [`or`]: Filter::or
pub struct Filter<M> {
    node: Node,
    model: PhantomData<fn() -> M>,
}

impl<M> Filter<M> {
    fn new(node: Node) -> Self {
        Self {
            node,
            model: PhantomData,
        }
    }

    pub(crate) fn compare(table: &'static str, column: &'static str, op: Op, value: Value) -> Self {
        Self::new(Node::Compare {
            table,
            column,
            op,
            value,
        })
    }

    pub(crate) fn list(
        table: &'static str,
        column: &'static str,
        negated: bool,
        values: Vec<Value>,
    ) -> Self {
        Self::new(Node::List {
            table,
            column,
            negated,
            values,
        })
    }

    pub(crate) fn null(table: &'static str, column: &'static str, negated: bool) -> Self {
        Self::new(Node::Null {
            table,
            column,
            negated,
        })
    }

    /// A filter from any sea-query condition, for what the typed column
    /// methods do not cover (functions, sub-selects, raw SQL).
    ///
    /// The condition is yours: a sub-select into another table is not
    /// scoped by this crate. The organization predicate of the query it is
    /// used in still applies to the model's own rows. A statement with a
    /// custom condition is rendered on every call, and on PostgreSQL, as a
    /// lone operation, runs in a transaction that names the organization
    /// (three round trips, where a cached statement costs one).
    #[must_use]
    pub fn custom(condition: impl Into<Condition>) -> Self {
        Self::new(Node::Custom(condition.into()))
    }

    /// Both this filter and `other`.
    #[must_use]
    pub fn and(self, other: Self) -> Self {
        Self::new(Node::And(Box::new(self.node), Box::new(other.node)))
    }

    /// This filter or `other`.
    #[must_use]
    pub fn or(self, other: Self) -> Self {
        Self::new(Node::Or(Box::new(self.node), Box::new(other.node)))
    }

    /// The condition with the filter's own values.
    pub(crate) fn condition(&self) -> Condition {
        self.node.condition(&mut Value::clone)
    }

    /// The condition with `sentinel(n)` for its `n`-th value.
    pub(crate) fn with_sentinels(&self, mut sentinel: impl FnMut(usize) -> Value) -> Condition {
        let mut next = 0;
        self.node.condition(&mut |_| {
            let value = sentinel(next);
            next += 1;
            value
        })
    }

    /// The shape, if the filter has one the library can read (no custom
    /// condition).
    pub(crate) fn shape(&self) -> Option<Shape> {
        let mut values = Vec::new();
        self.node.values(&mut values);
        if values.len() > MAX_CACHED_VALUES {
            return None;
        }
        let mut tokens = Vec::new();
        self.node.shape(&mut tokens)?;
        Some(Shape(tokens.into()))
    }

    /// The values, in the order the statement binds them.
    pub(crate) fn values(&self) -> Vec<Value> {
        let mut values = Vec::new();
        self.node.values(&mut values);
        values
    }
}

/// What cached statements need of an optional filter: its shape
/// (`Some(None)` without a filter; `None` when a custom condition leaves it
/// without one), the condition with sentinels, and the values.
pub(crate) trait MaybeFilter {
    fn shape(&self) -> Option<Option<Shape>>;
    fn with_sentinels(&self) -> Option<Condition>;
    fn values(&self) -> Vec<Value>;
}

impl<M> MaybeFilter for Option<Filter<M>> {
    fn shape(&self) -> Option<Option<Shape>> {
        match self {
            Some(filter) => filter.shape().map(Some),
            None => Some(None),
        }
    }

    fn with_sentinels(&self) -> Option<Condition> {
        self.as_ref()
            .map(|filter| filter.with_sentinels(crate::query::sentinel::filter))
    }

    fn values(&self) -> Vec<Value> {
        self.as_ref().map(Filter::values).unwrap_or_default()
    }
}

impl<M> std::ops::Not for Filter<M> {
    type Output = Self;

    fn not(self) -> Self {
        Self::new(Node::Not(Box::new(self.node)))
    }
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Self::new(self.node.clone())
    }
}

impl<M> fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Filter").field(&self.condition()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(column: &'static str, value: i64) -> Filter<()> {
        Filter::compare("t", column, Op::Eq, Value::BigInt(Some(value)))
    }

    #[test]
    fn shapes_ignore_values_and_custom_conditions_have_none() {
        let one = eq("a", 1).and(!eq("b", 2));
        let two = eq("a", 7).and(!eq("b", 9));
        assert_eq!(one.shape(), two.shape());
        assert_ne!(one.shape(), eq("a", 1).or(!eq("b", 2)).shape());
        assert_ne!(
            Filter::<()>::list("t", "a", false, vec![1.into()]).shape(),
            Filter::<()>::list("t", "a", false, vec![1.into(), 2.into()]).shape()
        );
        assert_eq!(
            two.values(),
            vec![Value::BigInt(Some(7)), Value::BigInt(Some(9))]
        );
        let (sql, values) = sea_query::Query::select()
            .expr(Expr::cust("1"))
            .cond_where(Filter::<()>::list("t", "a", false, Vec::new()).condition())
            .build(sea_query::PostgresQueryBuilder);
        assert!(sql.ends_with("WHERE 1 = 0"), "{sql}");
        assert!(values.0.is_empty(), "an empty list binds nothing");
        let long = Filter::<()>::list("t", "a", false, (0..33).map(Value::from).collect());
        assert_eq!(long.shape(), None, "a long list is rendered per call");
        let custom = Filter::<()>::custom(Expr::cust("1 = 1"));
        assert_eq!(custom.shape(), None);
        assert_eq!(eq("a", 1).and(custom).shape(), None);
    }

    #[test]
    fn sentinels_take_the_places_of_values_in_order() {
        let filter = eq("a", 1).or(Filter::list("t", "b", true, vec![2.into(), 3.into()]));
        let rendered = filter.with_sentinels(|n| Value::BigInt(Some(-(n as i64) - 100)));
        let (_, values) = sea_query::Query::select()
            .expr(Expr::cust("1"))
            .cond_where(rendered)
            .build(sea_query::PostgresQueryBuilder);
        assert_eq!(
            values.0,
            vec![
                Value::BigInt(Some(-100)),
                Value::BigInt(Some(-101)),
                Value::BigInt(Some(-102))
            ]
        );
    }
}
