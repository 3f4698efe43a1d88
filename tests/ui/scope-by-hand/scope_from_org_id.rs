use tenancy_core::{OrgId, Scope};

fn main() {
    let _: Scope = OrgId::new(1).into();
}
