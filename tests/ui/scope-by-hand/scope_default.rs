use tenancy_core::Scope;

fn main() {
    let _ = Scope::default();
}
