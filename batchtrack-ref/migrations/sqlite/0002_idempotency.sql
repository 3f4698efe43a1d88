-- Requests sent with an Idempotency-Key: a retry answers the first
-- response. The key is unique per organization.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    request_key TEXT NOT NULL CHECK (length(request_key) BETWEEN 1 AND 255),
    fingerprint TEXT NOT NULL,
    status INTEGER CHECK (status BETWEEN 100 AND 599),
    body TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, request_key)
);
