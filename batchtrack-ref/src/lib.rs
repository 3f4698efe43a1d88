//! BatchTrack, the reference app of tenancy: small-batch production
//! (recipes, FIFO inventory, batches, products) for many organizations in
//! one database, with every tenant table scoped by `tenancy-core`.
//!
//! `main.rs` only parses the command line; everything else lives here so
//! that tests start the same application the binary does.

pub mod configuration;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod outbox;
pub mod startup;
pub mod telemetry;
pub mod web;

pub use startup::{Application, StartupError};

/// Runs the command the command line names, until it ends or the process
/// is asked to stop (Ctrl-C, SIGTERM).
///
/// # Errors
///
/// When the database cannot be opened, migrated or audited, or the address
/// cannot be bound; [`StartupError::Defects`] when `audit` finds defects.
pub async fn run(cli: configuration::Cli) -> Result<(), StartupError> {
    let url = &cli.database_url;
    let shown = configuration::redact_password(url);
    match &cli.command {
        None | Some(configuration::Command::Serve) => {
            let app = Application::build(&cli.config()).await?;
            let today = chrono::Utc::now().date_naive();
            // A SQLite file without users gets the demo, so that the
            // first run has something to sign in to; the logins are shown
            // where the demo is.
            let demo = match app.database() {
                http::Database::Sqlite(pool) => {
                    if let Some(demo::Seeded::Written(_)) = demo::seed_if_empty(pool, today)
                        .await
                        .map_err(StartupError::Seed)?
                    {
                        println!("wrote the demo organizations");
                    }
                    demo::is_present(pool).await
                }
                http::Database::Postgres(pool) => demo::is_present(pool).await,
            }
            .map_err(StartupError::Seed)?;
            println!(
                "BatchTrack listens on http://{} (database: {shown}): open it in a browser; \
                 the API is under /api/v1, its reference at /docs",
                app.address()
            );
            if demo {
                print_logins();
            }
            app.run_until_stopped().await
        }
        Some(configuration::Command::Seed { demo: true }) => {
            let today = chrono::Utc::now().date_naive();
            let seeded = match startup::open(url).await? {
                http::Database::Sqlite(pool) => demo::seed(&pool, today).await,
                http::Database::Postgres(pool) => demo::seed(&pool, today).await,
            }
            .map_err(StartupError::Seed)?;
            match seeded {
                demo::Seeded::Written(_) => println!("wrote the demo organizations to {shown}"),
                demo::Seeded::AlreadyThere => println!("{shown} holds the demo already"),
            }
            print_logins();
            Ok(())
        }
        Some(configuration::Command::Seed { demo: false }) => Err(StartupError::NothingToSeed),
        Some(configuration::Command::Migrate) => {
            startup::migrate(url).await?;
            println!("the schema of {shown} is up to date");
            Ok(())
        }
        Some(configuration::Command::Audit) => {
            let report = startup::audit(url).await?;
            println!("{report}");
            match report.defects().count() {
                0 => Ok(()),
                defects => Err(StartupError::Defects(defects)),
            }
        }
        Some(configuration::Command::CitusDdl { app_role }) => {
            for statement in tenancy_core::ddl::citus(&domain::models(), app_role) {
                println!("{statement};");
            }
            Ok(())
        }
    }
}

fn print_logins() {
    println!(
        "demo logins (password `{}`): {}",
        demo::PASSWORD,
        demo::logins().join(", ")
    );
}
