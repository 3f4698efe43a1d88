-- tenancy: the access version, which every change of what a request context
-- reads (tenancy_access::ContextCache) replaces with a new random value,
-- by trigger, in the same transaction, so that no write path can forget it. A
-- cached context is served only while the version is the one read with it.
-- Random rather than counted: one value never names two different states,
-- even across a rolled-back change or a restored backup.
--
-- Updates of columns that no context reads (names, descriptions) keep it.
-- Writes that bypass triggers (session_replication_role = replica, a
-- restore with --disable-triggers, ALTER TABLE .. DISABLE TRIGGER, a column
-- rewritten by ALTER COLUMN .. TYPE .. USING) must replace it themselves:
--     UPDATE access_version SET version = (random() * 9.2e18)::bigint;
-- ContextCache checks once that every trigger is in place and enabled, and
-- otherwise reads every context in full.

CREATE TABLE access_version (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    version BIGINT NOT NULL
);
INSERT INTO access_version (id, version) VALUES (TRUE, (random() * 9.2e18)::bigint);

-- The search path is fixed, so that a writer with another one still bumps
-- this access_version.
CREATE FUNCTION bump_access_version() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE access_version SET version = (random() * 9.2e18)::bigint;
    RETURN NULL;
END
$$;

-- Deferred to commit, so that the one version row is locked only while a
-- transaction commits, not for its whole length. Transactions that change
-- access tables still commit one at a time; under REPEATABLE READ or
-- SERIALIZABLE, the later of two concurrent ones fails with a serialization
-- error (40001) and is to be retried.

CREATE CONSTRAINT TRIGGER subscription_tiers_access_version AFTER INSERT OR UPDATE OR DELETE ON subscription_tiers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER subscription_tiers_access_version_truncate AFTER TRUNCATE ON subscription_tiers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER users_access_version AFTER INSERT OR UPDATE OF id, email, is_developer OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER users_access_version_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER organizations_access_version AFTER INSERT OR UPDATE OF id, owner_id, tier, subscription_status, stripe_customer_id, stripe_subscription_id, delinquent_since, billing_event_at, is_active OR DELETE ON organizations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER organizations_access_version_truncate AFTER TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER memberships_access_version AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER memberships_access_version_truncate AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER permissions_access_version AFTER INSERT OR UPDATE OF id, key, required_tier OR DELETE ON permissions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER permissions_access_version_truncate AFTER TRUNCATE ON permissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER roles_access_version AFTER INSERT OR UPDATE OF id, organization_id, is_active OR DELETE ON roles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER roles_access_version_truncate AFTER TRUNCATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER role_permissions_access_version AFTER INSERT OR UPDATE OR DELETE ON role_permissions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER role_permissions_access_version_truncate AFTER TRUNCATE ON role_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE CONSTRAINT TRIGGER user_role_assignments_access_version AFTER INSERT OR UPDATE OF id, organization_id, membership_id, role_id, is_active OR DELETE ON user_role_assignments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER user_role_assignments_access_version_truncate AFTER TRUNCATE ON user_role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
