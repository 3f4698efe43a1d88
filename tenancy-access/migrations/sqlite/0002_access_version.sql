-- tenancy: the access version, which every change of what a request context
-- reads (tenancy_access::ContextCache) replaces with a new random value,
-- by trigger, in the same transaction, so that no write path can forget it. A
-- cached context is served only while the version is the one read with it.
-- Random rather than counted: one value never names two different states,
-- even across a rolled-back change or a restored backup.
--
-- Updates of columns that no context reads (names, descriptions) keep it.
-- Rebuilding an access table (create, copy, drop, rename: SQLite's way to
-- alter most columns) drops its triggers: recreate them from this file, and
-- end such a migration with
--     UPDATE access_version SET version = random();
-- ContextCache checks once that every trigger is in place, and otherwise
-- reads every context in full.

CREATE TABLE access_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, random());

CREATE TRIGGER subscription_tiers_access_version_insert AFTER INSERT ON subscription_tiers
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER subscription_tiers_access_version_update AFTER UPDATE ON subscription_tiers
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER subscription_tiers_access_version_delete AFTER DELETE ON subscription_tiers
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER users_access_version_insert AFTER INSERT ON users
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER users_access_version_update AFTER UPDATE OF id, email, is_developer ON users
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER users_access_version_delete AFTER DELETE ON users
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER organizations_access_version_insert AFTER INSERT ON organizations
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER organizations_access_version_update AFTER UPDATE OF id, owner_id, tier, subscription_status, stripe_customer_id, stripe_subscription_id, delinquent_since, billing_event_at, is_active ON organizations
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER organizations_access_version_delete AFTER DELETE ON organizations
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER memberships_access_version_insert AFTER INSERT ON memberships
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER memberships_access_version_update AFTER UPDATE ON memberships
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER memberships_access_version_delete AFTER DELETE ON memberships
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER permissions_access_version_insert AFTER INSERT ON permissions
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER permissions_access_version_update AFTER UPDATE OF id, key, required_tier ON permissions
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER permissions_access_version_delete AFTER DELETE ON permissions
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER roles_access_version_insert AFTER INSERT ON roles
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER roles_access_version_update AFTER UPDATE OF id, organization_id, is_active ON roles
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER roles_access_version_delete AFTER DELETE ON roles
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER role_permissions_access_version_insert AFTER INSERT ON role_permissions
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER role_permissions_access_version_update AFTER UPDATE ON role_permissions
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER role_permissions_access_version_delete AFTER DELETE ON role_permissions
    BEGIN UPDATE access_version SET version = random(); END;

CREATE TRIGGER user_role_assignments_access_version_insert AFTER INSERT ON user_role_assignments
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER user_role_assignments_access_version_update AFTER UPDATE OF id, organization_id, membership_id, role_id, is_active ON user_role_assignments
    BEGIN UPDATE access_version SET version = random(); END;
CREATE TRIGGER user_role_assignments_access_version_delete AFTER DELETE ON user_role_assignments
    BEGIN UPDATE access_version SET version = random(); END;
