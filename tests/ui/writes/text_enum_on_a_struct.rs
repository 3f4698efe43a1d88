// TextEnum is for fieldless enums.
use tenancy_core::TextEnum;

#[derive(TextEnum)]
struct State {
    name: String,
}

fn main() {}
