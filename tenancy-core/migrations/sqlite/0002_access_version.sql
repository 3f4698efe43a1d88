-- tenancy: the access version, a counter that every change of an access table
-- bumps in the same transaction (by trigger, so no write path can forget it).
-- A cached request context is served only while the counter has not moved
-- since the statement that read the context (tenancy_core::access::ContextCache).
-- Writes with triggers disabled (PostgreSQL's session_replication_role =
-- replica) bypass it: bump the counter by hand after them.

CREATE TABLE access_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, 0);

CREATE TRIGGER subscription_tiers_access_version_insert AFTER INSERT ON subscription_tiers
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER subscription_tiers_access_version_update AFTER UPDATE ON subscription_tiers
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER subscription_tiers_access_version_delete AFTER DELETE ON subscription_tiers
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER users_access_version_insert AFTER INSERT ON users
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER users_access_version_update AFTER UPDATE ON users
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER users_access_version_delete AFTER DELETE ON users
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER organizations_access_version_insert AFTER INSERT ON organizations
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER organizations_access_version_update AFTER UPDATE ON organizations
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER organizations_access_version_delete AFTER DELETE ON organizations
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER memberships_access_version_insert AFTER INSERT ON memberships
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER memberships_access_version_update AFTER UPDATE ON memberships
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER memberships_access_version_delete AFTER DELETE ON memberships
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER permissions_access_version_insert AFTER INSERT ON permissions
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER permissions_access_version_update AFTER UPDATE ON permissions
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER permissions_access_version_delete AFTER DELETE ON permissions
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER roles_access_version_insert AFTER INSERT ON roles
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER roles_access_version_update AFTER UPDATE ON roles
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER roles_access_version_delete AFTER DELETE ON roles
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER role_permissions_access_version_insert AFTER INSERT ON role_permissions
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER role_permissions_access_version_update AFTER UPDATE ON role_permissions
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER role_permissions_access_version_delete AFTER DELETE ON role_permissions
    BEGIN UPDATE access_version SET version = version + 1; END;

CREATE TRIGGER user_role_assignments_access_version_insert AFTER INSERT ON user_role_assignments
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER user_role_assignments_access_version_update AFTER UPDATE ON user_role_assignments
    BEGIN UPDATE access_version SET version = version + 1; END;
CREATE TRIGGER user_role_assignments_access_version_delete AFTER DELETE ON user_role_assignments
    BEGIN UPDATE access_version SET version = version + 1; END;
