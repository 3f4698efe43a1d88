//! A lone scoped statement on PostgreSQL in one round trip.
//!
//! Row-level security reads the organization from a transaction-local
//! setting, so a statement outside a transaction must run in one that
//! names it: `BEGIN; SET LOCAL ..`, the statement, `COMMIT`, three round
//! trips where sqlx by hand sends one. sqlx sends one statement per round
//! trip, and no single statement can set the value and be sure to read it
//! afterwards (PostgreSQL orders neither the parts of a `WITH` nor a
//! `FROM set_config(..)` against the rest of the plan).
//!
//! What does order them is a function: each cached statement of a model
//! gets, on each connection, a temporary PL/pgSQL function
//! (`pg_temp.tenancy_<hash>`) that names the organization, runs the
//! statement as it is, with its parameters, and puts the setting back as
//! it found it. The statement is then called as one prepared statement
//! with bound parameters, in autocommit: one round trip, and the setting
//! ends with the call's own transaction (or is put back, on a connection
//! inside a transaction that sqlx does not know of), whenever the future
//! is dropped.
//!
//! The function is created the first time the statement runs on a
//! connection: the call fails (no such function), the statement runs in a
//! transaction that names the organization as before, and the function is
//! created from what sqlx learnt while preparing it (the types of its
//! parameters and columns). A connection that loses its temporary objects
//! (`DISCARD`) makes them again the same way. Where temporary functions
//! cannot be created (no `TEMPORARY` privilege, a read-only standby), the
//! library logs it once, and each statement that met the refusal keeps
//! the transaction from then on. Statements rendered per call (a
//! `Filter::custom`, an update that changes nothing) and follow-up
//! statements (the explanation of a refused write) keep it too.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::Digest;

use super::{Backend, Prepared, Tenant, tenant};
use crate::error::{Error, Result};
use crate::id::OrgId;

/// A connection lent to the work of one operation, and whether each of
/// its statements must name the organization itself.
pub(crate) struct Lent<'a, DB: Backend> {
    pub(crate) connection: &'a mut DB::Connection,
    /// `Some` for a lone operation on PostgreSQL outside a transaction:
    /// every statement runs in a call (or transaction) that names `org`.
    names: Option<OrgId>,
}

impl<'a, DB: Backend> Lent<'a, DB> {
    /// A connection whose transaction (or lack of policies) needs no
    /// naming.
    pub(crate) fn plain(connection: &'a mut DB::Connection) -> Self {
        Self {
            connection,
            names: None,
        }
    }

    /// A connection outside a transaction, on which each statement names
    /// `org`.
    pub(crate) fn naming(connection: &'a mut DB::Connection, org: OrgId) -> Self {
        Self {
            connection,
            names: Some(org),
        }
    }

    /// The organization each statement names itself, if it must.
    pub(crate) fn names(&self) -> Option<OrgId> {
        self.names
    }

    /// The same lending, for a shorter while.
    pub(crate) fn reborrow(&mut self) -> Lent<'_, DB> {
        Lent {
            connection: &mut *self.connection,
            names: self.names,
        }
    }
}

/// What a statement hands back: rows, or (a write without `RETURNING`)
/// how many rows it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Returns {
    Rows,
    Count,
}

/// The function of one cached statement, by what its call hands back.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    rows: OnceLock<Option<Call>>,
    count: OnceLock<Option<Call>>,
    /// Set when the function of the statement cannot be made (a type
    /// without a name, a body that would not quote): it runs in the
    /// transaction from then on.
    refused: [AtomicBool; 2],
}

/// A statement's function: its name and the statement that calls it.
#[derive(Debug)]
pub(crate) struct Call {
    /// `tenancy_` and a hash of what the function runs: the same name for
    /// the same function, in every process.
    pub(crate) name: String,
    /// `SELECT * FROM pg_temp.<name>($1, .., $n + 1)`, the organization
    /// last.
    pub(crate) sql: Arc<str>,
    /// What the function hands back.
    pub(crate) returns: Returns,
    /// The statement the function runs.
    pub(crate) body: Arc<str>,
}

/// The quote of function bodies; a statement that holds it (only possible
/// in a quoted identifier) gets no function.
const BODY_QUOTE: &str = "$tenancy_body$";

/// Set once the server refused a temporary function, so that it is
/// logged once.
static WARNED: AtomicBool = AtomicBool::new(false);

impl Calls {
    fn slot(returns: Returns) -> usize {
        match returns {
            Returns::Rows => 0,
            Returns::Count => 1,
        }
    }

    /// The function of the statement `sql` with `params` parameters.
    fn get(&self, sql: &Arc<str>, params: usize, returns: Returns) -> Option<&Call> {
        if self.refused[Self::slot(returns)].load(Ordering::Relaxed) {
            return None;
        }
        let cell = match returns {
            Returns::Rows => &self.rows,
            Returns::Count => &self.count,
        };
        cell.get_or_init(|| Call::new(sql, params, returns))
            .as_ref()
    }

    fn refuse(&self, returns: Returns) {
        self.refused[Self::slot(returns)].store(true, Ordering::Relaxed);
    }

    /// No function for this statement: one the cache does not keep.
    pub(crate) fn refuse_all(&self) {
        self.refuse(Returns::Rows);
        self.refuse(Returns::Count);
    }
}

impl Call {
    fn new(sql: &Arc<str>, params: usize, returns: Returns) -> Option<Self> {
        if sql.contains(BODY_QUOTE) {
            return None;
        }
        let mut hash = sha2::Sha256::new();
        // The version of the function's text: a new one gets new names, so
        // that a connection shared with an older build never calls its
        // functions.
        // Bump with any change to `definition`.
        hash.update(b"tenancy lone call 2\0");
        hash.update(match returns {
            Returns::Rows => b"rows\0",
            Returns::Count => b"count",
        });
        hash.update(sql.as_bytes());
        let digest = hash.finalize();
        let name = digest[..12]
            .iter()
            .fold(String::from("tenancy_"), |mut name, byte| {
                use std::fmt::Write;
                let _ = write!(name, "{byte:02x}");
                name
            });
        let arguments = (1..=params + 1)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let call = match returns {
            Returns::Rows => format!("SELECT * FROM pg_temp.{name}({arguments})"),
            Returns::Count => format!("SELECT pg_temp.{name}({arguments})"),
        };
        Some(Self {
            name,
            sql: call.into(),
            returns,
            body: Arc::clone(sql),
        })
    }

    /// Whether `error` is the call's own failure, which ran nothing of
    /// the statement (the whole call is one statement: what it wrote
    /// rolled back with it), so that the statement runs in a transaction
    /// instead.
    fn failure(&self, error: &Error) -> Option<Failure> {
        let Error::Database(sqlx::Error::Database(db)) = error else {
            return None;
        };
        let message = db.message();
        match db.code().as_deref() {
            // undefined_function: never made on this connection, or dropped
            // by `DISCARD TEMP`
            Some("42883") if message.contains(&self.name) => Some(Failure::Missing),
            // invalid_schema_name: no temporary object made yet
            Some("3F000") if message.contains("pg_temp") => Some(Failure::Missing),
            // datatype_mismatch, raised inside the function: "structure of
            // query does not match function result type" (a column of a
            // domain type, which the statement's description gives as its
            // base type, or a column changed under a running app). Making
            // the function again would fail again.
            Some("42804") if Self::raised_in(db.as_ref(), &self.name) => Some(Failure::Misfit),
            _ => None,
        }
    }

    #[cfg(feature = "postgres")]
    fn raised_in(db: &dyn sqlx::error::DatabaseError, name: &str) -> bool {
        db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .and_then(sqlx::postgres::PgDatabaseError::r#where)
            .is_some_and(|context| context.contains(name))
    }

    #[cfg(not(feature = "postgres"))]
    fn raised_in(_: &dyn sqlx::error::DatabaseError, _: &str) -> bool {
        false
    }
}

/// How a call failed without running its statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// The connection has no such function: make it.
    Missing,
    /// The function does not fit the statement: keep the transaction.
    Misfit,
}

/// How one kind of result is read from a statement: run once on its call
/// and, when the call's function is missing, again on the statement.
pub(crate) trait Fetch<DB: Backend>: Send {
    type Out: Send;

    /// What the statement hands back.
    fn returns(&self) -> Returns;

    /// Runs `prepared` on `connection`.
    fn run<'a>(
        &'a mut self,
        prepared: Prepared<DB>,
        connection: &'a mut DB::Connection,
    ) -> futures_util::future::BoxFuture<'a, Result<Self::Out>>;
}

/// Runs `prepared` for `org` on a connection outside a transaction: its
/// call in one round trip when the statement has a function, else in a
/// transaction that names the organization.
pub(crate) async fn named<DB: Backend, F: Fetch<DB>>(
    prepared: Prepared<DB>,
    connection: &mut DB::Connection,
    org: OrgId,
    fetch: &mut F,
) -> Result<F::Out> {
    let returns = fetch.returns();
    let Some(shape) = prepared.shape() else {
        return in_transaction(prepared, connection, org, fetch).await;
    };
    let Some(call) = shape.calls.get(&shape.sql, shape.params.len(), returns) else {
        return in_transaction(prepared, connection, org, fetch).await;
    };
    let failure = match fetch.run(prepared.to_call(call, org)?, connection).await {
        Err(error) => match call.failure(&error) {
            Some(failure) => failure,
            None => return Err(error),
        },
        done => return done,
    };
    let out = in_transaction(prepared, connection, org, fetch).await?;
    if failure == Failure::Misfit {
        tracing::debug!(target: "tenancy::lone", statement = %call.body, "a statement's function does not fit its result");
        shape.calls.refuse(returns);
        return Ok(out);
    }
    match DB::__make_call(connection, call).await {
        Ok(()) => {}
        // Each statement finds out once, and then keeps the transaction.
        Err(MakeError::Unavailable(error)) => {
            shape.calls.refuse(returns);
            if !WARNED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    target: "tenancy::lone",
                    %error,
                    "PostgreSQL refused a temporary function (no TEMPORARY privilege on the \
                     database, or a read-only standby): the lone scoped operations that met the \
                     refusal name their organization in a transaction from now on (three round \
                     trips); grant the role TEMPORARY for one"
                );
            }
        }
        Err(MakeError::Refused(reason)) => {
            tracing::debug!(target: "tenancy::lone", %reason, statement = %call.body, "a statement gets no function");
            shape.calls.refuse(returns);
        }
        // The connection failed or the future was dropped midway: the
        // next run tries again.
        Err(MakeError::Failed(error)) => {
            tracing::debug!(target: "tenancy::lone", %error, "a statement's function was not made");
        }
    }
    Ok(out)
}

/// Runs `prepared` in a transaction that names `org` (three round trips).
async fn in_transaction<DB: Backend, F: Fetch<DB>>(
    prepared: Prepared<DB>,
    connection: &mut DB::Connection,
    org: OrgId,
    fetch: &mut F,
) -> Result<F::Out> {
    let mut tx = tenant::begin::<DB>(connection, Tenant::Org(org)).await?;
    let out = fetch.run(prepared, &mut tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// Why a statement's function was not made. Only PostgreSQL makes them:
/// built without it, two of the reasons are never given.
#[derive(Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum MakeError {
    /// The server makes no temporary function for this role or database.
    Unavailable(sqlx::Error),
    /// This statement cannot have one.
    Refused(String),
    /// Anything else: worth trying again another time.
    Failed(sqlx::Error),
}

/// Makes the function of `call` on `connection`, whose statement sqlx has
/// just prepared there (so that its cache holds the types the statement
/// is bound with).
#[cfg(feature = "postgres")]
pub(crate) fn postgres_make_call<'c>(
    connection: &'c mut sqlx::PgConnection,
    call: &'c Call,
) -> futures_util::future::BoxFuture<'c, std::result::Result<(), MakeError>> {
    use sqlx::{Column, Executor, SqlSafeStr, Statement, TypeInfo};
    Box::pin(async move {
        let body = sqlx::AssertSqlSafe(call.body.to_string()).into_sql_str();
        let statement = (&mut *connection)
            .prepare(body)
            .await
            .map_err(MakeError::Failed)?;
        let parameters = match statement.parameters() {
            Some(sqlx::Either::Left(types)) => types.to_vec(),
            _ => return Err(MakeError::Refused("no parameter types".into())),
        };
        let columns: Vec<_> = statement
            .columns()
            .iter()
            .map(|column| column.type_info().clone())
            .collect();
        if (call.returns == Returns::Count) != columns.is_empty() {
            return Err(MakeError::Refused(format!(
                "a statement with {} columns, called for {:?}",
                columns.len(),
                call.returns
            )));
        }
        let mut oids = Vec::with_capacity(parameters.len() + columns.len());
        for type_info in parameters.iter().chain(&columns) {
            match type_info.oid() {
                Some(oid) => oids.push(i64::from(oid.0)),
                None => {
                    return Err(MakeError::Refused(format!(
                        "a type without an oid: {}",
                        type_info.name()
                    )));
                }
            }
        }
        // The server's names of the types, quoted and qualified as needed.
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT pg_catalog.format_type(t.oid, NULL) \
             FROM unnest($1::int8[]::oid[]) WITH ORDINALITY AS t (oid, n) ORDER BY t.n",
        )
        .bind(&oids)
        .fetch_all(&mut *connection)
        .await
        .map_err(MakeError::Failed)?;
        if names.len() != oids.len() {
            return Err(MakeError::Refused("types without names".into()));
        }
        let (parameter_types, column_types) = names.split_at(parameters.len());
        let ddl = definition(call, parameter_types, column_types);
        match sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
            .execute(&mut *connection)
            .await
        {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) => match db.code().as_deref() {
                // insufficient_privilege (no TEMPORARY), read_only_sql_transaction
                // (a standby)
                Some("42501" | "25006") => Err(MakeError::Unavailable(sqlx::Error::Database(db))),
                // The definition itself refused (syntax or access rule,
                // feature not supported, no PL/pgSQL): it would be again.
                Some(code) if code.starts_with("42") || code == "0A000" => {
                    Err(MakeError::Refused(db.message().to_owned()))
                }
                _ => Err(MakeError::Failed(sqlx::Error::Database(db))),
            },
            Err(error) => Err(MakeError::Failed(error)),
        }
    })
}

/// The function of `call`, replacing one of the same name and parameters
/// (whose result may no longer fit), in one message: one implicit
/// transaction.
#[cfg(feature = "postgres")]
fn definition(call: &Call, parameter_types: &[String], column_types: &[String]) -> String {
    let setting = crate::ddl::ORG_SETTING;
    let name = &call.name;
    let parameters = parameter_types
        .iter()
        .map(String::as_str)
        .chain(["text"])
        .collect::<Vec<_>>()
        .join(", ");
    let drop = format!("DROP FUNCTION IF EXISTS pg_temp.{name}({parameters})");
    let org = format!("${}", parameter_types.len() + 1);
    let body = &call.body;
    let (result, run) = match call.returns {
        Returns::Rows => {
            let columns = column_types
                .iter()
                .enumerate()
                .map(|(n, ty)| format!("tenancy_{} {ty}", n + 1))
                .collect::<Vec<_>>()
                .join(", ");
            (
                format!("TABLE ({columns})"),
                format!("    RETURN QUERY {body};\n"),
            )
        }
        Returns::Count => (
            "bigint".to_owned(),
            format!("    {body};\n    GET DIAGNOSTICS tenancy_count = ROW_COUNT;\n"),
        ),
    };
    let finish = match call.returns {
        Returns::Rows => "",
        Returns::Count => "    RETURN tenancy_count;\n",
    };
    // `use_column`: the statement's columns win over the function's
    // output names. `SET LOCAL` (through `EXECUTE`, since it takes no
    // parameter) rather than `set_config`: the same setting, and the one
    // form Citus forwards to its workers. The setting is put back as
    // found, so that on a connection inside a transaction sqlx does not
    // know of, nothing after the call acts for the organization.
    format!(
        "{drop};\n\
         CREATE FUNCTION pg_temp.{name}({parameters}) RETURNS {result} \
         LANGUAGE plpgsql VOLATILE AS {BODY_QUOTE}\n\
         #variable_conflict use_column\n\
         DECLARE\n    tenancy_previous text := pg_catalog.current_setting('{setting}', true);\n    tenancy_count bigint;\n\
         BEGIN\n    EXECUTE pg_catalog.format('SET LOCAL {setting} = %L', {org});\n\
         {run}\
         EXECUTE pg_catalog.format('SET LOCAL {setting} = %L', coalesce(tenancy_previous, ''));\n\
         {finish}\
         END\n{BODY_QUOTE}"
    )
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;

    #[test]
    fn a_call_names_a_hash_of_its_statement_and_passes_the_organization_last() {
        let sql: Arc<str> = "SELECT \"id\" FROM \"items\" WHERE \"organization_id\" = $1".into();
        let call = Call::new(&sql, 1, Returns::Rows).unwrap();
        assert_eq!(call.name.len(), "tenancy_".len() + 24);
        assert_eq!(
            &*call.sql,
            format!("SELECT * FROM pg_temp.{}($1, $2)", call.name)
        );
        let count = Call::new(&sql, 1, Returns::Count).unwrap();
        assert_ne!(call.name, count.name, "one function per kind of result");
        assert_eq!(
            Call::new(&sql, 1, Returns::Rows).unwrap().name,
            call.name,
            "the same statement, the same name"
        );
        let quoted: Arc<str> = format!("SELECT 1 AS \"{BODY_QUOTE}\"").into();
        assert!(Call::new(&quoted, 0, Returns::Rows).is_none());
    }

    #[test]
    fn the_definition_names_the_organization_and_puts_the_setting_back() {
        let sql: Arc<str> = "UPDATE \"items\" SET \"qty\" = $1 WHERE \"id\" = $2".into();
        let call = Call::new(&sql, 2, Returns::Count).unwrap();
        let ddl = definition(&call, &["bigint".into(), "bigint".into()], &[]);
        assert!(ddl.starts_with(&format!(
            "DROP FUNCTION IF EXISTS pg_temp.{}(bigint, bigint, text);",
            call.name
        )));
        assert!(ddl.contains("(bigint, bigint, text) RETURNS bigint"));
        assert!(ddl.contains("format('SET LOCAL tenancy.org_id = %L', $3)"));
        assert!(ddl.contains("coalesce(tenancy_previous, '')"));
        assert!(ddl.contains(&format!("    {sql};\n")));

        let none: Arc<str> = "DELETE FROM \"items\"".into();
        let call = Call::new(&none, 0, Returns::Count).unwrap();
        let ddl = definition(&call, &[], &[]);
        assert!(ddl.starts_with(&format!(
            "DROP FUNCTION IF EXISTS pg_temp.{}(text);",
            call.name
        )));
        assert!(ddl.contains("(text) RETURNS bigint"));
        assert!(ddl.contains("format('SET LOCAL tenancy.org_id = %L', $1)"));
    }
}
