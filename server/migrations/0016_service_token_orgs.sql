-- The orgs a service token serves (finding 18). A gateway's asset and org names resolve only
-- within its token's orgs, so an org creating an asset with the same name as another org's
-- cannot make that gateway's questions ambiguous, or answered for the wrong asset.
CREATE TABLE service_token_orgs (
    service_token_id uuid NOT NULL REFERENCES service_tokens ON DELETE CASCADE,
    org_id           uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    PRIMARY KEY (service_token_id, org_id)
);
CREATE INDEX service_token_orgs_org ON service_token_orgs (org_id);

-- Tokens made before this migration answered for every org, so each gets every org that
-- exists now: deployed gateways keep working unchanged after the upgrade (names that repeat
-- across those orgs were already refused with "name the org", and still are). Orgs made from
-- now on are not added to them: a super admin who wants a narrower scope makes a new token
-- with the orgs it serves and revokes the old one. Revoked tokens get them too, so the list
-- shows what each token served; they are refused anyway.
INSERT INTO service_token_orgs (service_token_id, org_id)
SELECT t.id, o.id FROM service_tokens t CROSS JOIN orgs o;
