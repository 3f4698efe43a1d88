-- tenancy: the access version, a counter that every change of an access table
-- bumps in the same transaction (by trigger, so no write path can forget it).
-- A cached request context is served only while the counter has not moved
-- since the statement that read the context (tenancy_core::access::ContextCache).
-- Writes with triggers disabled (PostgreSQL's session_replication_role =
-- replica) bypass it: bump the counter by hand after them.

CREATE TABLE access_version (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    version BIGINT NOT NULL
);
INSERT INTO access_version (id, version) VALUES (TRUE, 0);

CREATE FUNCTION bump_access_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER subscription_tiers_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON subscription_tiers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER users_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER organizations_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER memberships_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER permissions_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON permissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER roles_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER role_permissions_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER user_role_assignments_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
