//! Cascades: compiled once per backend; `Db` and `db()` come from the
//! parent module.

use sqlx::Pool;
use tenancy_core::{Id, Scope, Scoped, SoftDelete};

use super::{Db, db};
use crate::models::{
    Bin, Folder, Lot, NewBin, NewFolder, NewLot, NewShelf, NewSite, NewSupplier, NewTransfer,
    Shelf, Site, Supplier, Transfer, org_id,
};

fn scope(org: i64) -> Scope {
    Scope::for_job(org_id(org), "cascades suite")
}

/// One organization's warehouse: a site with two shelves of one bin each,
/// a supplier, a lot in each bin from that supplier, and a transfer from
/// the first bin to the second.
struct Warehouse {
    org: i64,
    site: Site,
    shelves: [Shelf; 2],
    bins: [Bin; 2],
    supplier: Supplier,
    lots: [Lot; 2],
    transfer: Transfer,
}

async fn warehouse(pool: &Pool<Db>, org: i64) -> Warehouse {
    let s = scope(org);
    let site = Site::insert(
        &s,
        NewSite {
            name: "Main".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    let supplier = Supplier::insert(
        &s,
        NewSupplier {
            name: "Oils Ltd".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    let mut shelves = Vec::new();
    let mut bins = Vec::new();
    let mut lots = Vec::new();
    for name in ["A", "B"] {
        let shelf = Shelf::insert(
            &s,
            NewShelf {
                site_id: site.id,
                name: name.into(),
            },
        )
        .execute(pool)
        .await
        .unwrap();
        let bin = Bin::insert(
            &s,
            NewBin {
                shelf_id: shelf.id,
                name: name.into(),
            },
        )
        .execute(pool)
        .await
        .unwrap();
        let new = NewLot {
            bin_id: bin.id,
            supplier_id: Some(supplier.id),
            code: name.into(),
        };
        lots.push(Lot::insert(&s, new).execute(pool).await.unwrap());
        shelves.push(shelf);
        bins.push(bin);
    }
    let transfer = Transfer::insert(
        &s,
        NewTransfer {
            from_bin: bins[0].id,
            to_bin: bins[1].id,
        },
    )
    .execute(pool)
    .await
    .unwrap();
    Warehouse {
        org,
        site,
        shelves: array(shelves),
        bins: array(bins),
        supplier,
        lots: array(lots),
        transfer,
    }
}

fn array<T, const N: usize>(rows: Vec<T>) -> [T; N] {
    rows.try_into().unwrap_or_else(|_| panic!("{N} rows"))
}

/// Whether the row with this id is active, read through the organization's
/// scope with inactive rows included.
async fn active<M>(pool: &Pool<Db>, org: i64, id: Id<M>) -> bool
where
    M: SoftDelete + tenancy_core::RowCodec<Db> + HasActive,
{
    M::find(&scope(org), id)
        .include_inactive()
        .fetch_optional(pool)
        .await
        .unwrap()
        .map(|row| row.is_active())
        .expect("the row exists")
}

trait HasActive {
    fn is_active(&self) -> bool;
}

macro_rules! has_active {
    ($($model:ty),*) => {$(
        impl HasActive for $model {
            fn is_active(&self) -> bool {
                self.is_active
            }
        }
    )*};
}

has_active!(Site, Shelf, Bin, Supplier, Lot, Transfer, Folder);

/// Every row of the warehouse below its site, as (what, active).
async fn states(pool: &Pool<Db>, w: &Warehouse) -> Vec<(&'static str, bool)> {
    let o = w.org;
    vec![
        ("shelf A", active(pool, o, w.shelves[0].id).await),
        ("shelf B", active(pool, o, w.shelves[1].id).await),
        ("bin A", active(pool, o, w.bins[0].id).await),
        ("bin B", active(pool, o, w.bins[1].id).await),
        ("lot A", active(pool, o, w.lots[0].id).await),
        ("lot B", active(pool, o, w.lots[1].id).await),
        ("transfer", active(pool, o, w.transfer.id).await),
    ]
}

fn all(active: bool) -> Vec<(&'static str, bool)> {
    [
        "shelf A", "shelf B", "bin A", "bin B", "lot A", "lot B", "transfer",
    ]
    .into_iter()
    .map(|what| (what, active))
    .collect()
}

#[tokio::test]
async fn a_delete_cascades_as_deep_as_declared_and_a_restore_brings_all_back() {
    let Some(db) = db().await else { return };
    let pool = db.pool();
    let mine = warehouse(pool, 1).await;
    let theirs = warehouse(pool, 2).await;

    Site::delete(&scope(1), mine.site.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(!active(pool, 1, mine.site.id).await);
    assert_eq!(
        states(pool, &mine).await,
        all(false),
        "four levels down, every row"
    );
    assert_eq!(
        states(pool, &theirs).await,
        all(true),
        "another organization's rows"
    );

    Site::restore(&scope(1), mine.site.id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(states(pool, &mine).await, all(true));
}

#[tokio::test]
async fn a_restore_leaves_what_was_deleted_on_its_own() {
    let Some(db) = db().await else { return };
    let pool = db.pool();
    let w = warehouse(pool, 1).await;
    // Bin B goes first, on its own: its lot and the transfer go with it.
    Bin::delete(&scope(1), w.bins[1].id)
        .execute(pool)
        .await
        .unwrap();
    Site::delete(&scope(1), w.site.id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(states(pool, &w).await, all(false));

    Site::restore(&scope(1), w.site.id)
        .execute(pool)
        .await
        .unwrap();
    let expected = vec![
        ("shelf A", true),
        ("shelf B", true),
        ("bin A", true),
        ("bin B", false),
        ("lot A", true),
        ("lot B", false),
        ("transfer", false),
    ];
    assert_eq!(
        states(pool, &w).await,
        expected,
        "bin B's own delete still holds"
    );

    Bin::restore(&scope(1), w.bins[1].id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(states(pool, &w).await, all(true));
}

#[tokio::test]
async fn a_child_of_two_parents_comes_back_only_when_neither_is_deleted() {
    let Some(db) = db().await else { return };
    let pool = db.pool();
    let w = warehouse(pool, 1).await;
    let lot = w.lots[0].id;

    // Supplier first, then the bin.
    Supplier::delete(&scope(1), w.supplier.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(!active(pool, 1, lot).await);
    Bin::delete(&scope(1), w.bins[0].id)
        .execute(pool)
        .await
        .unwrap();
    Supplier::restore(&scope(1), w.supplier.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(!active(pool, 1, lot).await, "its bin is still deleted");
    assert!(
        active(pool, 1, w.lots[1].id).await,
        "the lot whose bin is active"
    );
    Bin::restore(&scope(1), w.bins[0].id)
        .execute(pool)
        .await
        .unwrap();
    assert!(active(pool, 1, lot).await);

    // The bin first, then the supplier; restored in the same order.
    Bin::delete(&scope(1), w.bins[0].id)
        .execute(pool)
        .await
        .unwrap();
    Supplier::delete(&scope(1), w.supplier.id)
        .execute(pool)
        .await
        .unwrap();
    Bin::restore(&scope(1), w.bins[0].id)
        .execute(pool)
        .await
        .unwrap();
    assert!(!active(pool, 1, lot).await, "its supplier is still deleted");
    Supplier::restore(&scope(1), w.supplier.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(active(pool, 1, lot).await);
}

#[tokio::test]
async fn two_references_to_one_model_both_cascade() {
    let Some(db) = db().await else { return };
    let pool = db.pool();
    let w = warehouse(pool, 1).await;
    let transfer = w.transfer.id;

    // Deleting the bin it goes to takes the transfer, as the bin it comes
    // from would.
    Bin::delete(&scope(1), w.bins[1].id)
        .execute(pool)
        .await
        .unwrap();
    assert!(!active(pool, 1, transfer).await);
    Bin::restore(&scope(1), w.bins[1].id)
        .execute(pool)
        .await
        .unwrap();
    assert!(active(pool, 1, transfer).await);

    // Held by both bins: back only once both are.
    Bin::delete(&scope(1), w.bins[0].id)
        .execute(pool)
        .await
        .unwrap();
    Bin::delete(&scope(1), w.bins[1].id)
        .execute(pool)
        .await
        .unwrap();
    Bin::restore(&scope(1), w.bins[0].id)
        .execute(pool)
        .await
        .unwrap();
    assert!(
        !active(pool, 1, transfer).await,
        "the bin it goes to is still deleted"
    );
    Bin::restore(&scope(1), w.bins[1].id)
        .execute(pool)
        .await
        .unwrap();
    assert!(active(pool, 1, transfer).await);

    // Each reference is checked on its own: another organization's bin is
    // refused in either place.
    let theirs = warehouse(pool, 2).await;
    for new in [
        NewTransfer {
            from_bin: theirs.bins[0].id,
            to_bin: w.bins[1].id,
        },
        NewTransfer {
            from_bin: w.bins[0].id,
            to_bin: theirs.bins[1].id,
        },
    ] {
        let refused = Transfer::insert(&scope(1), new)
            .execute(pool)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, tenancy_core::Error::Invalid { .. }),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_model_that_cascades_to_itself_takes_its_children() {
    let Some(db) = db().await else { return };
    let pool = db.pool();
    let folder = |parent_id| NewFolder { parent_id };
    let root = Folder::insert(&scope(1), folder(None))
        .execute(pool)
        .await
        .unwrap();
    let child = Folder::insert(&scope(1), folder(Some(root.id)))
        .execute(pool)
        .await
        .unwrap();
    Folder::delete(&scope(1), root.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(!active(pool, 1, child.id).await);
    Folder::restore(&scope(1), root.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(active(pool, 1, child.id).await);
}
