-- tenancy: organizations, users, sessions, roles, permissions, billing and the audit log.
-- Apply as is, or copy into your own migrations, with 0002_access_version.sql.
-- Every tenant table has its own organization_id, and every key between
-- tenant tables includes it.

CREATE TABLE subscription_tiers (
    key TEXT PRIMARY KEY,
    rank INTEGER NOT NULL UNIQUE
);
INSERT INTO subscription_tiers (key, rank) VALUES ('free', 0), ('team', 10), ('enterprise', 20);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_developer BOOLEAN NOT NULL DEFAULT FALSE,
    -- An IANA zone name, for showing the user's times.
    timezone TEXT NOT NULL DEFAULT 'UTC',
    last_login_at TEXT,
    last_active_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    owner_id INTEGER REFERENCES users (id),
    tier TEXT NOT NULL DEFAULT 'free' REFERENCES subscription_tiers (key),
    subscription_status TEXT CHECK (subscription_status IN ('active', 'trialing', 'past_due',
        'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused')),
    stripe_customer_id TEXT UNIQUE,
    stripe_subscription_id TEXT,
    delinquent_since TEXT,
    billing_event_at TEXT,
    -- An IANA zone name: the organization's day starts and ends in it.
    timezone TEXT NOT NULL DEFAULT 'UTC',
    -- A deactivated organization lets nobody but developers in.
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    is_active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, user_id)
);

-- The request context looks memberships up by user.
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE permissions (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    required_tier TEXT REFERENCES subscription_tiers (key),
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations (id),
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE role_permissions (
    role_id INTEGER NOT NULL REFERENCES roles (id),
    permission_id INTEGER NOT NULL REFERENCES permissions (id),
    PRIMARY KEY (role_id, permission_id)
);

CREATE TABLE user_role_assignments (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    membership_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL REFERENCES roles (id),
    assigned_at TEXT NOT NULL,
    assigned_by INTEGER REFERENCES users (id),
    is_active BOOLEAN NOT NULL,
    deactivated_with_membership BOOLEAN NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, membership_id) REFERENCES memberships (organization_id, id)
);

CREATE INDEX user_role_assignments_by_membership ON user_role_assignments (organization_id, membership_id);
-- One active assignment of a role per member: revoking it revokes the role.
CREATE UNIQUE INDEX user_role_assignments_active ON user_role_assignments (organization_id, membership_id, role_id)
    WHERE is_active;

CREATE TABLE user_event_log (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations (id),
    user_id INTEGER REFERENCES users (id),
    actor_id INTEGER REFERENCES users (id),
    event TEXT NOT NULL,
    -- What an app-defined event is about: a kind of thing and its id.
    subject_type TEXT,
    subject_id INTEGER,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX user_event_log_by_org ON user_event_log (organization_id, id);

CREATE TABLE stripe_events (
    event_id TEXT PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations (id),
    event_type TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    selected_org INTEGER REFERENCES organizations (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Revoking every session of a user finds them by user.
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A user's password, apart from the user so that no read of users carries
-- its hash.
CREATE TABLE password_credentials (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    hash TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

-- Failed password attempts, per account and per source (the client's
-- address): they slow that source down on that account, never lock the
-- account for its owner elsewhere. No foreign key: user 0 counts the
-- attempts on emails no account has, so that they are slowed down alike.
CREATE TABLE sign_in_attempts (
    user_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    PRIMARY KEY (user_id, source)
);

-- An invitation to join an organization: a single-use, expiring token,
-- stored as its SHA-256.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    role_id INTEGER REFERENCES roles (id),
    token_hash BLOB NOT NULL UNIQUE,
    invited_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    accepted_by INTEGER REFERENCES users (id),
    revoked_at TEXT,
    UNIQUE (organization_id, id),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX invitations_by_org ON invitations (organization_id, id);
