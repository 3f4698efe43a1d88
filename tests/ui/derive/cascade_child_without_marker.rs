use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "members", soft_delete, cascade(Assignment))]
struct Member {
    id: Id<Member>,
    organization_id: OrgId,
    is_active: bool,
}

#[derive(Scoped)]
#[tenancy(table = "assignments", soft_delete)]
struct Assignment {
    id: Id<Assignment>,
    organization_id: OrgId,
    #[tenancy(references = Member)]
    member_id: Id<Member>,
    is_active: bool,
}

fn main() {}
