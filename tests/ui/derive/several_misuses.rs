use tenancy_core::Scoped;

#[derive(Scoped)]
#[tenancy(tabel = "recipes")]
struct Recipe {
    id: i64,
    organization_id: String,
    #[tenancy(colum = "title")]
    name: String,
}

fn main() {}
