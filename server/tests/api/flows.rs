//! Approval flows through the API: who may see and change them, validation, the org's own flow
//! over the global one, and open tickets keeping their assignees.

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestApp;

async fn id_of(pool: &PgPool, sql: &'static str, name: &str) -> Uuid {
    sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn user(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM users WHERE username = $1", name).await
}

async fn org(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM orgs WHERE name = $1", name).await
}

async fn asset(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM assets WHERE name = $1", name).await
}

fn level_of(users: &[Uuid]) -> Value {
    json!({"selector": {"users": users, "super_admins": false, "org_admins": false}, "rule": "any"})
}

async fn open(app: &TestApp, c: &reqwest::Client, org_id: Uuid, asset_id: Uuid) -> Value {
    let now = chrono::Utc::now();
    let (s, t) = app
        .post(
            c,
            "/api/v1/tickets",
            json!({"type": "apply_asset", "org_id": org_id, "title": "Flow test", "request": {
                "permission_name": "p", "assets": [asset_id], "accounts": ["root"], "actions": ["connect"],
                "start": now, "expiry": now + chrono::Duration::days(1)}}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t
}

pub fn assignees(t: &Value, level: usize) -> Vec<String> {
    t["steps"][level]["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn who_may_see_and_change_flows(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let default = org(&pool, "Default").await;
    let research = org(&pool, "Research").await;
    let carol = user(&pool, "carol").await;
    let flow = json!({"levels": [level_of(&[carol])], "cc": []});

    let admin = app.signed_in("admin").await;
    let (s, list) = app.get(&admin, "/api/v1/flows").await;
    assert_eq!(s, 200);
    assert_eq!(list["total"], 3, "global + two orgs: {list}");
    assert_eq!(
        app.put(&admin, "/api/v1/flows/global/apply_asset", flow.clone())
            .await
            .0,
        200
    );
    assert_eq!(
        app.put(
            &admin,
            &format!("/api/v1/flows/{research}/apply_asset"),
            flow.clone()
        )
        .await
        .0,
        200
    );

    // bob administers Default only.
    let bob = app.signed_in("bob").await;
    let (s, list) = app.get(&bob, "/api/v1/flows").await;
    assert_eq!(s, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["org_name"], "Default");
    assert_eq!(
        app.get(&bob, "/api/v1/flows/global/apply_asset").await.0,
        403
    );
    assert_eq!(
        app.put(&bob, "/api/v1/flows/global/apply_asset", flow.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        app.put(
            &bob,
            &format!("/api/v1/flows/{research}/apply_asset"),
            flow.clone()
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.put(
            &bob,
            &format!("/api/v1/flows/{default}/apply_asset"),
            flow.clone()
        )
        .await
        .0,
        200
    );

    // Users and auditors may not.
    let alice = app.signed_in("alice").await;
    assert_eq!(app.get(&alice, "/api/v1/flows").await.0, 403);
    assert_eq!(
        app.get(&alice, &format!("/api/v1/flows/{default}/apply_asset"))
            .await
            .0,
        403
    );
    assert_eq!(
        app.put(
            &alice,
            &format!("/api/v1/flows/{default}/apply_asset"),
            flow.clone()
        )
        .await
        .0,
        403
    );
    let anon = app.client();
    assert_eq!(app.get(&anon, "/api/v1/flows").await.0, 401);

    // Bad scope and type.
    assert_eq!(
        app.get(&admin, "/api/v1/flows/nowhere/apply_asset").await.0,
        400
    );
    assert_eq!(app.get(&admin, "/api/v1/flows/global/bogus").await.0, 400);
    assert_eq!(
        app.get(&admin, "/api/v1/flows/global/login_confirm")
            .await
            .0,
        422
    );
    assert_eq!(
        app.get(
            &admin,
            &format!("/api/v1/flows/{}/apply_asset", Uuid::new_v4())
        )
        .await
        .0,
        404
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn invalid_flows_are_refused_with_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let default = org(&pool, "Default").await;
    let carol = user(&pool, "carol").await;
    let admin = app.signed_in("admin").await;
    let path = format!("/api/v1/flows/{default}/apply_asset");
    let before = app.get(&admin, &path).await.1;

    let cases = [
        (json!({"levels": [], "cc": []}), "levels"),
        (
            json!({"levels": vec![level_of(&[carol]); 6], "cc": []}),
            "levels",
        ),
        (
            json!({"levels": [level_of(&[carol]), {"selector": {"users": [], "super_admins": false, "org_admins": false}, "rule": "any"}]}),
            "levels[1].selector",
        ),
        (
            json!({"levels": [level_of(&[Uuid::new_v4()])]}),
            "levels[0].selector.users[0]",
        ),
        (
            json!({"levels": [level_of(&[carol])], "cc": [Uuid::new_v4()]}),
            "cc[0]",
        ),
        // A quorum of none, and one that an applicant among the approvers could not reach.
        (
            json!({"levels": [{"selector": {"users": [carol]}, "rule": {"at_least": 0}}]}),
            "levels[0].rule",
        ),
        (
            json!({"levels": [{"selector": {"users": [carol]}, "rule": {"at_least": 1}}]}),
            "levels[0].rule",
        ),
        // A timer of no hours, and an escalation to nobody.
        (
            json!({"levels": [{"selector": {"users": [carol]}, "rule": "any",
                   "timers": {"remind_every_hours": 0}}]}),
            "levels[0].timers.remind_every_hours",
        ),
        (
            json!({"levels": [{"selector": {"users": [carol]}, "rule": "any",
                   "timers": {"escalate": {"after_hours": 24, "selector": {}}}}]}),
            "levels[0].timers.escalate.selector",
        ),
    ];
    for (body, field) in cases {
        let (s, e) = app.put(&admin, &path, body.clone()).await;
        assert_eq!(s, 422, "{body} → {e}");
        assert_eq!(e["error"]["field"], field, "{body} → {e}");
    }
    // An inactive named user is refused too.
    sqlx::query("UPDATE users SET active = false WHERE username = 'carol'")
        .execute(&pool)
        .await
        .unwrap();
    let (s, e) = app
        .put(&admin, &path, json!({"levels": [level_of(&[carol])]}))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("levels[0].selector.users[0]"))
    );
    // A rule that is neither any nor all does not parse.
    let (s, _) = app
        .put(
            &admin,
            &path,
            json!({"levels": [{"selector": {"super_admins": true}, "rule": "most"}]}),
        )
        .await;
    assert_eq!(s, 422);
    // Nothing changed.
    assert_eq!(app.get(&admin, &path).await.1["flow"], before["flow"]);
}

/// A ticket whose level could not reach its quorum for this applicant is refused at open,
/// naming the level, and nothing is opened; another applicant opens it.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_quorum_out_of_reach_for_the_applicant_is_refused_at_open(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (bob, carol, dave) = (
        user(&pool, "bob").await,
        user(&pool, "carol").await,
        user(&pool, "dave").await,
    );
    let admin = app.signed_in("admin").await;
    let default = org(&pool, "Default").await;
    let path = format!("/api/v1/flows/{default}/apply_asset");
    let (s, f) = app
        .put(
            &admin,
            &path,
            json!({"levels": [{"selector": {"users": [bob, carol, dave]}, "rule": {"at_least": 2}}]}),
        )
        .await;
    assert_eq!(s, 200, "{f}");
    // Dave leaves: the saved flow now asks two of bob and carol, and bob cannot be one of them.
    sqlx::query("UPDATE users SET active = false WHERE username = 'dave'")
        .execute(&pool)
        .await
        .unwrap();
    let web = asset(&pool, "web-01").await;
    let now = chrono::Utc::now();
    let body = json!({"type": "apply_asset", "org_id": default, "title": "Quorum", "request": {
        "permission_name": "p", "assets": [web], "accounts": ["root"], "actions": ["connect"],
        "start": now, "expiry": now + chrono::Duration::days(1)}});
    let bob_c = app.signed_in("bob").await;
    let (s, e) = app.post(&bob_c, "/api/v1/tickets", body).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("quorum_unreachable")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("level 1"),
        "{e}"
    );
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 0);
    let alice = app.signed_in("alice").await;
    let t = open(&app, &alice, default, web).await;
    assert_eq!(assignees(&t, 0), ["bob", "carol"]);
}

/// A flow's reasons and limits: out of bounds refused at save with the field; a request that
/// breaks them refused at open naming every field, nothing written; a rejection without the
/// reason refused and the ticket left pending; an email link's reject asks for it before it
/// is spent.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_flows_reasons_and_limits_are_kept_at_open_and_at_rejection(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = user(&pool, "bob").await;
    let admin = app.signed_in("admin").await;
    let default = org(&pool, "Default").await;
    let path = format!("/api/v1/flows/{default}/apply_asset");
    let level = json!([{"selector": {"users": [bob]}, "rule": "any"}]);
    let (s, e) = app
        .put(
            &admin,
            &path,
            json!({"levels": level, "limits": {"max_days": 0}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("limits.max_days")),
        "{e}"
    );
    let limits = json!({"apply_reason_min": 10, "reject_reason_min": 12, "max_days": 3, "start_within_days": 1});
    let (s, f) = app
        .put(&admin, &path, json!({"levels": level, "limits": limits}))
        .await;
    assert_eq!((s, &f["flow"]["limits"]), (200, &limits), "{f}");

    let web = asset(&pool, "web-01").await;
    let now = chrono::Utc::now();
    let body = |comment: &str, start_days: i64, days: i64| {
        let start = now + chrono::Duration::days(start_days);
        json!({"type": "apply_asset", "org_id": default, "title": "Limits", "comment": comment,
               "request": {"permission_name": "p", "assets": [web], "accounts": ["root"],
               "actions": ["connect"], "start": start, "expiry": start + chrono::Duration::days(days)}})
    };
    let alice = app.signed_in("alice").await;
    let (s, e) = app
        .post(&alice, "/api/v1/tickets", body("soon", 2, 7))
        .await;
    assert_eq!(s, 422, "{e}");
    let fields: Vec<&str> = e["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["comment", "expiry", "start"], "{e}");
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 0);
    let (s, t) = app
        .post(
            &alice,
            "/api/v1/tickets",
            body("deploying the hotfix", 0, 3),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["steps"][0]["reject_reason_min"], 12, "{t}");
    let id = t["id"].as_str().unwrap();

    // Rejecting without the reason changes nothing.
    let bob_c = app.signed_in("bob").await;
    let reject = format!("/api/v1/tickets/{id}/reject");
    let (s, e) = app.post(&bob_c, &reject, json!({"comment": "no"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("comment")),
        "{e}"
    );
    let (_, now_t) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(now_t["state"], "pending");

    // Through the email link: the reason is asked for on the page, and the link is not spent
    // without it.
    let token =
        tollgate_server::usecases::mail_links::mint(&pool, id.parse().unwrap(), 1, bob, "reject")
            .await
            .unwrap();
    let url = format!("{}/mail/{token}", app.url);
    let page = bob_c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Reason (at least 12 characters)"), "{page}");
    let post = |body: &'static str| {
        bob_c
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = post("reason=nope").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("too short"));
    let r = post("reason=a+change+freeze+this+week").await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, done) = app
        .get(&alice, &format!("/api/v1/tickets/{id}/events"))
        .await;
    let rejected = done
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "rejected")
        .unwrap();
    assert_eq!(
        rejected["comment"], "a change freeze this week (from the email link)",
        "{rejected}"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_org_flow_overrides_the_global_one_and_deleting_it_falls_back(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let default = org(&pool, "Default").await;
    let web = asset(&pool, "web-01").await;
    let alice = app.signed_in("alice").await;
    let admin = app.signed_in("admin").await;

    let t = open(&app, &alice, default, web).await;
    assert_eq!(assignees(&t, 0), ["bob"]);
    assert_eq!(assignees(&t, 1), ["carol"]);

    let (s, f) = app
        .delete_json(&admin, &format!("/api/v1/flows/{default}/apply_asset"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(f["own"], false);
    let t2 = open(&app, &alice, default, web).await;
    assert_eq!(
        assignees(&t2, 0),
        ["admin"],
        "the global flow asks the super admins"
    );
    assert_eq!(t2["steps"].as_array().unwrap().len(), 1);

    // The global flow cannot be deleted.
    assert_eq!(
        app.delete_json(&admin, "/api/v1/flows/global/apply_asset")
            .await
            .0,
        409
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn open_tickets_keep_their_assignees_and_outside_approvers_act(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let default = org(&pool, "Default").await;
    let web = asset(&pool, "web-01").await;
    let dave = user(&pool, "dave").await;
    let alice = app.signed_in("alice").await;
    let t = open(&app, &alice, default, web).await;

    // bob now names dave at both levels; an org admin's change waits for a super admin.
    let bob = app.signed_in("bob").await;
    let (s, f) = app
        .put(
            &bob,
            &format!("/api/v1/flows/{default}/apply_asset"),
            json!({"levels": [level_of(&[dave])]}),
        )
        .await;
    assert_eq!(s, 200);
    let change = f["pending_change"]["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = app.signed_in("admin").await;
    let (s, c) = app
        .post(
            &admin,
            &format!("/api/v1/tickets/{change}/approve"),
            json!({}),
        )
        .await;
    assert_eq!((s, &c["state"]), (200, &json!("approved")), "{c}");

    // The ticket opened before keeps bob then carol.
    let id = t["id"].as_str().unwrap();
    let (_, now) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(assignees(&now, 0), ["bob"]);
    assert_eq!(assignees(&now, 1), ["carol"]);
    let daves = app.signed_in("dave").await;
    assert_eq!(
        app.post(&daves, &format!("/api/v1/tickets/{id}/approve"), json!({}))
            .await
            .0,
        404
    );
    assert_eq!(
        app.post(&bob, &format!("/api/v1/tickets/{id}/approve"), json!({}))
            .await
            .0,
        200
    );
    // carol is not a member of Default and approves the last level.
    let carol = app.signed_in("carol").await;
    let (s, done) = app
        .post(&carol, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "approved");

    // A new ticket follows the new flow.
    let t2 = open(&app, &alice, default, web).await;
    assert_eq!(assignees(&t2, 0), ["dave"]);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_preview_names_who_would_be_asked(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let default = org(&pool, "Default").await;
    let alice = user(&pool, "alice").await;
    let bob_id = user(&pool, "bob").await;
    let bob = app.signed_in("bob").await;
    let path = format!("/api/v1/flows/{default}/apply_asset/preview");

    let (s, p) = app.get(&bob, &format!("{path}?applicant={alice}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p[0]["users"][0]["username"], "bob");
    assert_eq!(p[1]["users"][0]["username"], "carol");
    assert!(
        !p.to_string().contains("\"alice\""),
        "the applicant is never asked: {p}"
    );

    // When bob applies, level 1 (org admins = bob) falls back to the super admins.
    let (s, p) = app.get(&bob, &format!("{path}?applicant={bob_id}")).await;
    assert_eq!(s, 200);
    assert_eq!(p[0]["users"][0]["username"], "admin");
    assert!(!p.to_string().contains("\"bob\""), "{p}");

    assert_eq!(
        app.get(&bob, &format!("{path}?applicant={}", Uuid::new_v4()))
            .await
            .0,
        422
    );
    assert_eq!(
        app.get(&bob, &format!("{path}?applicant=nope")).await.0,
        400
    );
}
