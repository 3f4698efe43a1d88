use tenancy_core::Scoped;

#[derive(Scoped)]
#[tenancy(table = "recipes")]
enum Recipe {
    Soap,
    Candle,
}

fn main() {}
