-- Request templates (core/src/template.rs): an org's named starting points for a new access
-- request, saved by its admins and picked at the top of the new-request page.
CREATE TABLE request_templates (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    name        text NOT NULL,
    nodes       uuid[] NOT NULL DEFAULT '{}',
    assets      uuid[] NOT NULL DEFAULT '{}',
    accounts    text[] NOT NULL DEFAULT '{}',
    actions     text[] NOT NULL DEFAULT '{}',
    period_days integer NOT NULL CHECK (period_days BETWEEN 1 AND 3650),
    reason_hint text NOT NULL DEFAULT '',
    created_by  uuid REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX request_templates_name ON request_templates (org_id, lower(name));
