//! The app with the demo, served on a random port on either backend, and
//! a client that speaks to it as the demo's people do.

use batchtrack_ref::demo;
use batchtrack_ref::http::{self, Api};
use batchtrack_ref::outbox::MemoryOutbox;
use tenancy_access::billing::stripe::WebhookVerifier;

/// The Stripe signing secret the served app verifies with.
pub(crate) const STRIPE_SECRET: &str = "whsec_batchtrack_tests";
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Runs a test against the served app on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! served {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::served::Served::sqlite().await;
                    super::$name(&app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::served::Served::postgres().await else { return };
                    super::$name(&app).await;
                }
            )*
        }
    };
}

/// Raw access to the database, for what the API must not offer (lapsing
/// an organization's billing).
pub(crate) enum Admin {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A served app holding the demo.
pub(crate) struct Served {
    pub(crate) base: String,
    pub(crate) backend: &'static str,
    client: reqwest::Client,
    admin: Admin,
    /// What the app sent: invitations.
    pub(crate) outbox: MemoryOutbox,
    _keep: Option<tempfile::TempDir>,
}

/// A response: status, JSON body (`Null` when none) and headers.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl Served {
    pub(crate) async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("batchtrack.db").display());
        let database = batchtrack_ref::startup::open(&url).await.expect("opens");
        let http::Database::Sqlite(pool) = &database else {
            unreachable!("a SQLite URL")
        };
        batchtrack_ref::db::migrate(pool).await.expect("migrates");
        demo::seed(pool, chrono::Utc::now().date_naive())
            .await
            .expect("the demo is written");
        let outbox = MemoryOutbox::default();
        let api = Api::new(pool.clone())
            .await
            .expect("units")
            .with_outbox(std::sync::Arc::new(outbox.clone()))
            .with_stripe(WebhookVerifier::new(STRIPE_SECRET));
        let base = serve(http::router(api, "sqlite")).await;
        Self {
            base,
            backend: "sqlite",
            client: reqwest::Client::new(),
            admin: Admin::Sqlite(pool.clone()),
            outbox,
            _keep: Some(dir),
        }
    }

    pub(crate) async fn postgres() -> Option<Self> {
        let cluster = tenancy_tests::pg::cluster()?;
        let admin = cluster.fresh_database().await.expect("a database");
        batchtrack_ref::db::migrate(&admin).await.expect("migrates");
        let system: sqlx::PgPool = tenancy_core::pool::options()
            .max_connections(2)
            .connect_with(cluster.system_role(&admin).await.expect("a system role"))
            .await
            .expect("connects as the system role");
        demo::seed(&system, chrono::Utc::now().date_naive())
            .await
            .expect("the demo is written");
        let pool = cluster.app_pool(&admin).await.expect("the app's role");
        batchtrack_ref::db::require_clean(&pool)
            .await
            .expect("the audit passes for the app's role");
        let outbox = MemoryOutbox::default();
        let api = Api::new(pool)
            .await
            .expect("units")
            .with_system(system)
            .with_outbox(std::sync::Arc::new(outbox.clone()))
            .with_stripe(WebhookVerifier::new(STRIPE_SECRET));
        let base = serve(http::router(api, "postgres")).await;
        Some(Self {
            base,
            backend: "postgres",
            client: reqwest::Client::new(),
            admin: Admin::Postgres(admin),
            outbox,
            _keep: None,
        })
    }

    /// Signs in a demo login and answers its token.
    pub(crate) async fn login(&self, email: &str) -> String {
        self.login_with(email, demo::PASSWORD, None).await
    }

    /// Signs in `email` with `password` to `organization` (its first when
    /// `None`) and answers the token.
    pub(crate) async fn login_with(
        &self,
        email: &str,
        password: &str,
        organization: Option<&Value>,
    ) -> String {
        let mut body = json!({"email": email, "password": password});
        if let Some(organization) = organization {
            body["organization_id"] = organization.clone();
        }
        let answer = self
            .call(None, Method::POST, "/api/v1/auth/login", Some(body))
            .await;
        assert_eq!(answer.status, 200, "{email} signs in: {}", answer.body);
        answer.body["token"].as_str().expect("a token").to_owned()
    }

    pub(crate) async fn get(&self, token: &str, path: &str) -> Answer {
        self.call(Some(token), Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.call(Some(token), Method::POST, path, Some(body)).await
    }

    /// A request with an optional bearer token and JSON body.
    pub(crate) async fn call(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    /// A request built by the test itself.
    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// The first page's items of a list.
    pub(crate) async fn items(&self, token: &str, path: &str) -> Vec<Value> {
        let answer = self.get(token, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| answer.body.as_array().cloned().unwrap_or_default())
    }

    /// Links the organization `org` to the Stripe customer `customer`.
    pub(crate) async fn link_customer(&self, org: tenancy_core::OrgId, customer: &str) {
        let system = tenancy_core::SystemScope::new("link a Stripe customer").expect("a reason");
        match &self.admin {
            Admin::Sqlite(pool) => {
                tenancy_access::billing::link_stripe_customer(pool, &system, org, customer).await
            }
            Admin::Postgres(pool) => {
                tenancy_access::billing::link_stripe_customer(pool, &system, org, customer).await
            }
        }
        .expect("the customer is linked");
    }

    /// Lapses the billing of the organization named `name` a month ago.
    pub(crate) async fn lapse_billing(&self, name: &str) {
        let since = chrono::Utc::now() - chrono::Duration::days(30);
        match &self.admin {
            Admin::Sqlite(pool) => {
                sqlx::query("UPDATE organizations SET subscription_status = 'canceled', delinquent_since = $1 WHERE name = $2")
                    .bind(since)
                    .bind(name)
                    .execute(pool)
                    .await
                    .expect("billing lapses");
            }
            Admin::Postgres(pool) => {
                sqlx::query("UPDATE organizations SET subscription_status = 'canceled', delinquent_since = $1 WHERE name = $2")
                    .bind(since)
                    .bind(name)
                    .execute(pool)
                    .await
                    .expect("billing lapses");
            }
        }
    }
}

/// Sends `request` and reads the answer.
pub(crate) async fn answer(request: reqwest::RequestBuilder) -> Answer {
    read(request.send().await.expect("the request is answered")).await
}

/// Reads an answer.
pub(crate) async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(
            headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok()),
            Some("application/problem+json"),
            "every error is problem details: {status} {text}"
        );
    }
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        body,
        headers,
    }
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    format!("http://{address}")
}
