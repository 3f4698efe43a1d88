//! Starting the application for one test.

use batchtrack_ref::Application;
use batchtrack_ref::configuration::Config;

/// A running application on a fresh SQLite file.
pub(crate) struct TestApp {
    pub(crate) address: String,
    _dir: tempfile::TempDir,
}

pub(crate) async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("an address"),
        database_url: format!("sqlite://{}", dir.path().join("batchtrack.db").display()),
        log: "warn".into(),
        system_database_url: None,
        stripe_webhook_secret: None,
    };
    let app = Application::build(&config)
        .await
        .expect("the application starts");
    let address = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, _dir: dir }
}
