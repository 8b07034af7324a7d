//! The authorization matrix: every ticket endpoint and the grant, ACL and flow
//! administration, tried by every kind of caller, against a table of exact answers.
//!
//! The ticket (Default org, opened by alice) asks `m1` at level 1 and `m2` at level 2, and
//! copies `m3`. Columns of the tables, in order:
//!
//! | column | who |
//! |---|---|
//! | anon | no credentials |
//! | applicant | alice |
//! | current | m1, assignee of the current level |
//! | other | m2, assignee of the next level |
//! | cc | m3 |
//! | stranger | dave, a plain member of the same org |
//! | org_admin | bob, admin of the ticket's org (not an assignee) |
//! | foreign | carol, admin of the other org (Research) only |
//! | auditor | m4, auditor of the ticket's org |
//! | super | admin, super admin |
//! | service | a gateway's service token |
//!
//! Someone who cannot see a thing gets 404, exactly as for a thing that does not exist; 403
//! only goes to those who see it but may not act; 409 to an approver whose turn it is not.

use std::collections::HashMap;

use reqwest::{Client, Method};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::acls::service_token;
use crate::helpers::TestApp;

const ACTORS: [&str; 11] = [
    "anon",
    "applicant",
    "current",
    "other",
    "cc",
    "stranger",
    "org_admin",
    "foreign",
    "auditor",
    "super",
    "service",
];

/// Reads of a pending ticket (one ticket for all).
#[rustfmt::skip]
const TICKET_READS: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    ("GET /tickets/{id}",                    [401, 200, 200, 200, 200, 404, 200, 404, 200, 200, 401]),
    ("GET /tickets/{id}/events",             [401, 200, 200, 200, 200, 404, 200, 404, 200, 200, 401]),
    ("GET /tickets/{id}/comments",           [401, 200, 200, 200, 200, 404, 200, 404, 200, 200, 401]),
    // A gateway waits only on the tickets it opened itself.
    ("GET /tickets/{id}/decision",           [401, 200, 200, 200, 200, 404, 200, 404, 200, 200, 404]),
];

/// Changes of a pending ticket at level 1 (a fresh ticket for every call).
#[rustfmt::skip]
const TICKET_WRITES: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    ("POST /tickets/{id}/comments",          [401, 201, 201, 201, 403, 404, 403, 404, 403, 201, 401]),
    ("POST /tickets/{id}/approve",           [401, 403, 200, 409, 403, 404, 403, 404, 403, 403, 401]),
    ("POST /tickets/{id}/reject",            [401, 403, 200, 409, 403, 404, 403, 404, 403, 403, 401]),
    // A gateway withdraws (closes) only the tickets it opened: any other does not exist for it.
    ("POST /tickets/{id}/close",             [401, 200, 200, 409, 403, 404, 403, 404, 403, 403, 404]),
    // 200 for the request; the status here is the one ticket's own answer inside it.
    ("POST /tickets/bulk approve",           [401, 403, 200, 409, 403, 404, 403, 404, 403, 403, 401]),
    ("POST /tickets/bulk reject",            [401, 403, 200, 409, 403, 404, 403, 404, 403, 403, 401]),
];

/// A grant of alice's in the Default org (a fresh grant for every revoke).
#[rustfmt::skip]
const GRANTS: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    // Whoever sees the request sees its grant; its last level's approver ("oth" approved level
    // 2), the org's admins and super admins revoke it.
    ("GET /grants/{id}",                     [401, 200, 200, 200, 200, 404, 200, 404, 200, 200, 401]),
    ("DELETE /grants/{id}",                  [401, 403, 403, 200, 403, 404, 200, 404, 403, 200, 401]),
    ("POST /grants/{id}/revoke",             [401, 403, 403, 200, 403, 404, 200, 404, 403, 200, 401]),
];

/// A login-asset ACL of the Default org (a fresh one for every change), and the lists.
#[rustfmt::skip]
const ACLS: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    ("GET /acls/login-asset/{id}",           [401, 404, 404, 404, 404, 404, 200, 404, 404, 200, 401]),
    // An org admin's change waits for a super admin: 202 with its policy_change ticket.
    ("PATCH /acls/login-asset/{id}",         [401, 404, 404, 404, 404, 404, 202, 404, 404, 200, 401]),
    ("DELETE /acls/login-asset/{id}",        [401, 404, 404, 404, 404, 404, 202, 404, 404, 204, 401]),
    ("POST /acls/login-asset (Default)",     [401, 403, 403, 403, 403, 403, 202, 403, 403, 201, 401]),
    ("GET /acls/login-asset",                [401, 403, 403, 403, 403, 403, 200, 200, 403, 200, 401]),
    ("GET /acls/login",                      [401, 403, 403, 403, 403, 403, 403, 403, 403, 200, 401]),
];

/// The Default org's apply_asset flow; the same answers for an org that does not exist
/// (except for the super admin), so a 403 tells nothing about which orgs there are.
#[rustfmt::skip]
const FLOWS: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    ("GET /flows/{org}/apply_asset",         [401, 403, 403, 403, 403, 403, 200, 403, 403, 200, 401]),
    ("GET /flows/{unknown}/apply_asset",     [401, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401]),
    ("GET /flows/{org}/apply_asset/preview", [401, 403, 403, 403, 403, 403, 200, 403, 403, 200, 401]),
    // bob's PUT is proposed (200 with `pending_change`); his DELETE then finds it waiting.
    ("PUT /flows/{org}/apply_asset",         [401, 403, 403, 403, 403, 403, 200, 403, 403, 200, 401]),
    ("PUT /flows/global/apply_asset",        [401, 403, 403, 403, 403, 403, 403, 403, 403, 200, 401]),
    ("DELETE /flows/{org}/apply_asset",      [401, 403, 403, 403, 403, 403, 409, 403, 403, 200, 401]),
];

/// A policy_change ticket proposed by bob (a fresh one for every call): only a super admin
/// other than its author decides it.
#[rustfmt::skip]
const POLICY: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    ("POST /tickets/{policy}/approve",       [401, 404, 404, 404, 404, 404, 403, 404, 403, 200, 401]),
];

/// Changing one's own password (with the current one): every person for themselves; never
/// with a token (the service token is no person at all).
#[rustfmt::skip]
const SELF_SERVICE: &[(&str, [u16; 11])] = &[
                                         // anon appl cur  oth  cc   str  oad  for  aud  sup  svc
    ("PATCH /users/{self} password",         [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
    ("GET /me/invitations",                  [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
];

struct Matrix {
    app: TestApp,
    clients: HashMap<&'static str, Client>,
    service: String,
    default: Uuid,
    flow: Value,
    /// (row, actor, expected, got, body) of every cell that differs.
    misses: Vec<String>,
}

impl Matrix {
    async fn call(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.app.url);
        let mut r = match who {
            "anon" => Client::new().request(method, url),
            "service" => Client::new()
                .request(method, url)
                .bearer_auth(&self.service),
            _ => self.clients[who].request(method, url),
        };
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("send");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    fn check(&mut self, row: &str, who: &str, want: u16, got: u16, body: &Value) {
        if want != got {
            self.misses
                .push(format!("{row:<40} {who:<10} want {want} got {got}: {body}"));
        }
    }

    /// Opens a Default ticket as alice: pending at level 1.
    async fn ticket(&self) -> Uuid {
        let web1 = self.app.asset_id("web-01").await;
        let (s, t) = self
            .call(
                "applicant",
                Method::POST,
                "/tickets",
                Some(TestApp::apply_body(self.default, "matrix", &[web1])),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        t["id"].as_str().unwrap().parse().unwrap()
    }

    /// A ticket approved at both levels: its grant.
    async fn grant(&self) -> Uuid {
        let id = self.ticket().await;
        for who in ["current", "other"] {
            let (s, t) = self
                .call(
                    who,
                    Method::POST,
                    &format!("/tickets/{id}/approve"),
                    Some(json!({})),
                )
                .await;
            assert_eq!(s, 200, "{t}");
        }
        let n = self.app.count_grant(id).await;
        assert_eq!(n, 1);
        id
    }

    async fn acl(&self) -> Uuid {
        let (s, a) = self
            .call(
                "super",
                Method::POST,
                "/acls/login-asset",
                Some(
                    json!({"name": "matrix", "priority": 50, "org_id": self.default,
                            "accounts": {"names": ["nobody"]}, "action": "reject"}),
                ),
            )
            .await;
        assert_eq!(s, 201, "{a}");
        a["id"].as_str().unwrap().parse().unwrap()
    }

    /// What a refused change must leave alone: the ticket row, its history and its thread.
    async fn ticket_state(&self, id: Uuid) -> (String, i16, i64, i64) {
        sqlx::query_as(
            "SELECT state, current_level,
                    (SELECT count(*) FROM ticket_events WHERE ticket_id = t.id),
                    (SELECT count(*) FROM ticket_comments WHERE ticket_id = t.id)
             FROM tickets t WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.app.pool)
        .await
        .expect("ticket")
    }
}

impl TestApp {
    async fn count_grant(&self, id: Uuid) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM grants WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .expect("grant")
    }
}

fn split(row: &str) -> (Method, &str) {
    let (m, rest) = row.split_once(' ').expect("METHOD path");
    (
        m.parse().expect("method"),
        rest.split(' ').next().unwrap_or(rest),
    )
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn every_caller_gets_exactly_the_expected_answer(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let m = app.make_users("m", 4).await;
    let default = app.org_id("Default").await;
    let flow = json!({
        "levels": [
            {"selector": {"users": [m[0]], "super_admins": false, "org_admins": false}, "rule": "any"},
            {"selector": {"users": [m[1]], "super_admins": false, "org_admins": false}, "rule": "any"},
        ],
        "cc": [m[2]],
    });
    app.set_default_flow(flow.clone()).await;
    sqlx::query("UPDATE memberships SET role = 'org_auditor' WHERE user_id = $1")
        .bind(m[3])
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE memberships SET role = 'org_admin' WHERE user_id = $1")
        .bind(app.user_id("carol").await)
        .execute(&pool)
        .await
        .unwrap();
    let service = service_token(&app).await;
    let mut clients = HashMap::new();
    for (actor, username) in [
        ("applicant", "alice"),
        ("current", "m1"),
        ("other", "m2"),
        ("cc", "m3"),
        ("stranger", "dave"),
        ("org_admin", "bob"),
        ("foreign", "carol"),
        ("auditor", "m4"),
        ("super", "admin"),
    ] {
        clients.insert(actor, app.signed_in(username).await);
    }
    let mut mx = Matrix {
        app,
        clients,
        service,
        default,
        flow,
        misses: Vec::new(),
    };

    // ---- ticket reads: one pending ticket ----
    let id = mx.ticket().await;
    for (row, want) in TICKET_READS {
        let (method, path) = split(row);
        for (who, want) in ACTORS.iter().zip(want) {
            let (got, body) = mx
                .call(
                    who,
                    method.clone(),
                    &path.replace("{id}", &id.to_string()),
                    None,
                )
                .await;
            mx.check(row, who, *want, got, &body);
        }
    }
    // A hidden ticket answers exactly like one that does not exist.
    let (s, hidden) = mx
        .call("foreign", Method::GET, &format!("/tickets/{id}"), None)
        .await;
    let (s2, unknown) = mx
        .call(
            "foreign",
            Method::GET,
            &format!("/tickets/{}", Uuid::new_v4()),
            None,
        )
        .await;
    assert_eq!((s, &hidden), (s2, &unknown));

    // ---- ticket changes: a fresh ticket each ----
    for (row, want) in TICKET_WRITES {
        for (who, want) in ACTORS.iter().zip(want) {
            let id = mx.ticket().await;
            let before = mx.ticket_state(id).await;
            let (got, body) = if let Some(action) = row.strip_prefix("POST /tickets/bulk ") {
                let (s, r) = mx
                    .call(
                        who,
                        Method::POST,
                        "/tickets/bulk",
                        Some(json!({"action": action, "ids": [id]})),
                    )
                    .await;
                match (s, &r["results"][0]) {
                    (200, one) if one["ok"] == true => (200, r.clone()),
                    (200, one) => (
                        one["error"]["status"].as_u64().unwrap_or(0) as u16,
                        r.clone(),
                    ),
                    _ => (s, r),
                }
            } else {
                let (method, path) = split(row);
                let body = if path.ends_with("/comments") {
                    json!({"body": "matrix"})
                } else {
                    json!({})
                };
                mx.call(
                    who,
                    method,
                    &path.replace("{id}", &id.to_string()),
                    Some(body),
                )
                .await
            };
            mx.check(row, who, *want, got, &body);
            if got >= 400 {
                assert_eq!(
                    mx.ticket_state(id).await,
                    before,
                    "{row} by {who} changed the ticket"
                );
            }
        }
    }

    // ---- grants ----
    let g = mx.grant().await;
    for (who, want) in ACTORS.iter().zip(&GRANTS[0].1) {
        let (got, body) = mx
            .call(who, Method::GET, &format!("/grants/{g}"), None)
            .await;
        mx.check(GRANTS[0].0, who, *want, got, &body);
    }
    for (row, body) in [
        (&GRANTS[1], None),
        (&GRANTS[2], Some(json!({"reason": "matrix"}))),
    ] {
        let (method, path) = split(row.0);
        for (who, want) in ACTORS.iter().zip(&row.1) {
            let g = mx.grant().await;
            let path = path.replace("{id}", &g.to_string());
            let (got, answer) = mx.call(who, method.clone(), &path, body.clone()).await;
            mx.check(row.0, who, *want, got, &answer);
            let live = mx.app.count_grant(g).await;
            assert_eq!(live, i64::from(got != 200), "{who}: revoked only on 200");
        }
    }

    // ---- ACLs ----
    for (row, want) in ACLS {
        let (method, path) = split(row);
        for (who, want) in ACTORS.iter().zip(want) {
            let (got, body) = if path.contains("{id}") {
                let acl = mx.acl().await;
                let body = (method == Method::PATCH).then(|| json!({"name": "renamed"}));
                mx.call(
                    who,
                    method.clone(),
                    &path.replace("{id}", &acl.to_string()),
                    body,
                )
                .await
            } else if method == Method::POST {
                let body = json!({"name": "matrix", "priority": 60, "org_id": mx.default,
                                  "accounts": {"names": ["nobody"]}, "action": "reject"});
                mx.call(who, method.clone(), path, Some(body)).await
            } else {
                mx.call(who, method.clone(), path, None).await
            };
            mx.check(row, who, *want, got, &body);
        }
    }

    // ---- flows ---- (last: a successful DELETE is put back at once)
    let alice = mx.app.user_id("alice").await;
    for (row, want) in FLOWS {
        let (method, path) = split(row);
        let path = path
            .replace("{org}", &mx.default.to_string())
            .replace("{unknown}", &Uuid::new_v4().to_string());
        for (who, want) in ACTORS.iter().zip(want) {
            let (got, body) = if method == Method::PUT {
                let flow = if path.contains("global") {
                    json!({"levels": [{"selector": {"users": [], "super_admins": true, "org_admins": false}, "rule": "any"}], "cc": []})
                } else {
                    mx.flow.clone()
                };
                mx.call(who, Method::PUT, &path, Some(flow)).await
            } else if path.ends_with("/preview") {
                mx.call(who, Method::GET, &format!("{path}?applicant={alice}"), None)
                    .await
            } else {
                mx.call(who, method.clone(), &path, None).await
            };
            mx.check(row, who, *want, got, &body);
            if method == Method::DELETE && got == 200 {
                let (s, b) = mx
                    .call("super", Method::PUT, &path, Some(mx.flow.clone()))
                    .await;
                assert_eq!(s, 200, "{b}");
            }
        }
    }

    // ---- policy changes ----
    for (row, want) in POLICY {
        for (who, want) in ACTORS.iter().zip(want) {
            let body = json!({"name": format!("proposed by bob for {who}"), "priority": 70,
                              "org_id": mx.default, "accounts": {"names": ["nobody"]}, "action": "reject"});
            let (s, p) = mx
                .call("org_admin", Method::POST, "/acls/login-asset", Some(body))
                .await;
            assert_eq!(s, 202, "{p}");
            let ticket = p["pending_change"]["ticket_id"]
                .as_str()
                .unwrap()
                .to_string();
            let (got, body) = mx
                .call(
                    who,
                    Method::POST,
                    &format!("/tickets/{ticket}/approve"),
                    Some(json!({})),
                )
                .await;
            mx.check(row, who, *want, got, &body);
        }
    }

    // ---- self-service (last: passwords change) ----
    for (who, want) in ACTORS.iter().zip(&SELF_SERVICE[0].1) {
        let username = match *who {
            "applicant" => "alice",
            "current" => "m1",
            "other" => "m2",
            "cc" => "m3",
            "stranger" => "dave",
            "org_admin" => "bob",
            "foreign" => "carol",
            "auditor" => "m4",
            "super" => "admin",
            _ => "alice",
        };
        let id = mx.app.user_id(username).await;
        let (got, body) = mx
            .call(
                who,
                Method::PATCH,
                &format!("/users/{id}"),
                Some(json!({"password": "a new one 123", "current_password": crate::helpers::PASSWORD})),
            )
            .await;
        mx.check(SELF_SERVICE[0].0, who, *want, got, &body);
    }
    for (who, want) in ACTORS.iter().zip(&SELF_SERVICE[1].1) {
        let (got, body) = mx.call(who, Method::GET, "/me/invitations", None).await;
        mx.check(SELF_SERVICE[1].0, who, *want, got, &body);
    }

    assert!(
        mx.misses.is_empty(),
        "{} cells differ from the table:\n{}",
        mx.misses.len(),
        mx.misses.join("\n")
    );
}
