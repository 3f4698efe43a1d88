//! What BatchTrack's users may be allowed to do, as typed permissions.

tenancy_access::permissions! {
    /// BatchTrack's permissions, checked by the HTTP layer and, for an
    /// adjustment's approver, by the domain.
    pub BatchTrackPermissions {
        /// See ingredients, lots, stock and history.
        ViewInventory: "inventory.view", category "inventory";
        /// Create and edit ingredients and categories, receive lots.
        EditInventory: "inventory.edit", category "inventory";
        /// Approve adjustments of stock (spoilage, recounts, corrections).
        AdjustInventory: "inventory.adjust", category "inventory";
        /// See recipes and run stock checks.
        ViewRecipes: "recipes.view", category "recipes";
        /// Create and edit recipes.
        EditRecipes: "recipes.edit", category "recipes";
        /// See batches.
        ViewBatches: "batches.view", category "production";
        /// Start, finish and cancel batches.
        RunBatches: "batches.run", category "production";
        /// See products, SKUs and product inventory.
        ViewProducts: "products.view", category "products";
        /// Create and edit products and SKUs.
        EditProducts: "products.edit", category "products";
        /// Record sales and shipments.
        RecordSales: "sales.record", category "products";
        /// Trace lots and batches: the recall report.
        Trace: "trace.view", category "production";
        /// Invite, deactivate and restore members; create roles, grant
        /// them what one holds oneself, assign and revoke them (the
        /// library's `members.manage`).
        ManageMembers: "members.manage", category "organization";
        /// Rename the organization and change its settings (the
        /// library's `organization.manage`).
        ManageOrganization: "organization.manage", category "organization";
    }
}
