//! The demo, written through the app's services on both backends: its
//! logins and roles, its stock, and its one finished batch per
//! organization; written once.

use batchtrack_ref::demo::{self, Seeded};
use batchtrack_ref::domain::Store;
use batchtrack_ref::domain::inventory::{expired_lots, low_stock};
use batchtrack_ref::domain::models::{Batch, BatchStatus, ProductStock};
use batchtrack_ref::domain::permissions as p;
use tenancy_core::{Scope, Scoped, SystemScope};

use crate::fixtures::{Db, today};

crate::both!(the_demo_is_written_once_with_its_roles_stock_and_a_finished_batch);

async fn the_demo_is_written_once_with_its_roles_stock_and_a_finished_batch<DB: Store>(
    db: &Db<DB>,
) {
    assert!(!demo::is_present(&db.system).await.unwrap());
    let Seeded::Written(organizations) = demo::seed(&db.system, today()).await.unwrap() else {
        panic!("a fresh database gets the demo");
    };
    assert_eq!(
        demo::seed(&db.system, today()).await.unwrap(),
        Seeded::AlreadyThere
    );
    assert_eq!(
        demo::seed_if_empty(&db.system, today()).await.unwrap(),
        None,
        "a database with users gets no demo"
    );
    assert!(demo::is_present(&db.system).await.unwrap());
    let system = SystemScope::new("demo test").unwrap();
    let login = async |email: &str| {
        tenancy_access::user_by_email(&db.system, &system, email)
            .await
            .unwrap()
            .user_id()
    };
    let developer = tenancy_access::user_by_email(&db.system, &system, demo::DEVELOPER)
        .await
        .unwrap();
    assert!(developer.is_developer);
    for (org, (_, domain)) in organizations.into_iter().zip(demo::ORGANIZATIONS) {
        let owner = Scope::for_member(org, login(&format!("owner@{domain}")).await);
        let manager = Scope::for_member(org, login(&format!("manager@{domain}")).await);
        let viewer = Scope::for_member(org, login(&format!("viewer@{domain}")).await);
        let held = |scope: Scope| async move {
            tenancy_access::permissions(&db.pool, &scope).await.unwrap()
        };
        let viewing = held(viewer).await;
        assert!(viewing.has::<p::ViewInventory>() && viewing.has::<p::Trace>());
        assert!(!viewing.has::<p::RunBatches>() && !viewing.has::<p::EditInventory>());
        let managing = held(manager).await;
        assert!(managing.has::<p::RunBatches>() && managing.has::<p::EditRecipes>());
        assert!(!managing.has::<p::AdjustInventory>());

        assert_eq!(
            expired_lots(&db.pool, &owner, today()).await.unwrap().len(),
            1
        );
        assert_eq!(low_stock(&db.pool, &owner, today()).await.unwrap().len(), 1);
        let batches = Batch::select(&owner).fetch_all(&db.pool).await.unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].status, BatchStatus::Finished);
        let goods = ProductStock::select(&owner)
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(goods.len(), 1);
        assert!(!goods[0].quantity.is_zero());
        crate::fixtures::assert_books_balance(db, &owner).await;
    }
}
