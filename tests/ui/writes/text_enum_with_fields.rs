// A TextEnum is stored as one word per variant: variants with fields, and
// two variants stored as the same word, are refused together.
use tenancy_core::TextEnum;

#[derive(Clone, Copy, TextEnum)]
enum State {
    Received,
    InUse(u8),
    #[tenancy(rename = "received")]
    Again,
}

fn main() {}
