//! The life of an `apply_asset` ticket through the API: opening (and what is refused), who
//! may do what at which level, reject/close/withdraw, comments, CC, the last level's needs,
//! the global flow, lists and the inbox, bulk decisions.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assignees, strings, TestApp};

const OPEN: &str = "/api/v1/tickets";

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn opening_gives_a_pending_ticket_at_level_one_with_its_approvers(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let web1 = app.asset_id("web-01").await;

    let t = app.open_default(&alice, &[web1]).await;
    let serial = t["serial"].as_str().unwrap();
    assert!(
        serial.len() >= 12 && serial.bytes().all(|b| b.is_ascii_digit()),
        "{serial}"
    );
    let day = chrono::NaiveDate::parse_from_str(&serial[..8], "%Y%m%d").unwrap();
    let today = Utc::now().date_naive();
    assert!(day == today || Some(day) == today.pred_opt(), "{serial}");
    assert_eq!(&serial[8..], "0001", "the first ticket of the day");

    assert_eq!(t["type"], "apply_asset");
    assert_eq!(t["state"], "pending");
    assert_eq!(t["current_level"], 1);
    assert_eq!(t["title"], "Deploy the release");
    assert_eq!(t["comment"], "for the release");
    assert_eq!(t["org_name"], "Default");
    assert_eq!(t["applicant"]["username"], "alice");
    assert_eq!(t["steps"].as_array().unwrap().len(), 2, "{t}");
    assert_eq!(assignees(&t, 1), ["bob"]);
    assert_eq!(assignees(&t, 2), ["carol"]);
    assert_eq!(t["steps"][0]["state"], "active");
    assert_eq!(t["steps"][1]["state"], "pending");
    assert_eq!(t["steps"][0]["assignees"][0]["decision"], "pending");
    assert_eq!(t["request"]["assets"], json!([web1]));
    assert_eq!(t["request"]["accounts"], json!(["root", "deploy"]));
    assert_eq!(t["request"]["actions"], json!(["connect", "upload"]));
    assert_eq!(t["assets"][0]["name"], "web-01");

    let mine = strings(&t["allowed_actions"]);
    assert!(mine.contains(&"close".to_string()), "{mine:?}");
    assert!(mine.contains(&"comment".to_string()), "{mine:?}");
    for no in ["approve", "reject", "edit"] {
        assert!(!mine.contains(&no.to_string()), "{no} in {mine:?}");
    }

    // The approver of level 1 sees the buttons the applicant does not.
    let bob = app.signed_in("bob").await;
    let id = t["id"].as_str().unwrap();
    let (s, seen) = app.get(&bob, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200);
    let his = strings(&seen["allowed_actions"]);
    for yes in ["approve", "reject", "close", "comment", "edit"] {
        assert!(his.contains(&yes.to_string()), "{yes} not in {his:?}");
    }
    assert_eq!(app.event_kinds(&alice, &t["id"]).await, ["opened"]);

    // The next ticket of the day gets the next number.
    let t2 = app.open_default(&alice, &[web1]).await;
    assert_eq!(
        t2["serial"].as_str().unwrap(),
        format!("{}0002", &serial[..8])
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn opening_refuses_bad_input_with_the_field_and_writes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let default = app.org_id("Default").await;
    let research = app.org_id("Research").await;
    let web1 = app.asset_id("web-01").await;
    let gpu1 = app.asset_id("gpu-01").await;
    let gpu_node = app.node_id("gpu").await;
    let good = TestApp::apply_body(default, "Deploy", &[web1]);
    let with = |path: &[&str], v: Value| {
        let mut b = good.clone();
        let mut at = &mut b;
        for p in &path[..path.len() - 1] {
            at = &mut at[*p];
        }
        at[path[path.len() - 1]] = v;
        b
    };
    let now = Utc::now();

    let cases: Vec<(&str, Value, u16, Option<&str>)> = vec![
        (
            "expiry before start",
            with(&["request", "expiry"], json!(now - Duration::hours(1))),
            422,
            Some("expiry"),
        ),
        (
            "expiry equal to start",
            with(&["request", "expiry"], good["request"]["start"].clone()),
            422,
            Some("expiry"),
        ),
        (
            "unknown action",
            with(&["request", "actions"], json!(["connect", "fly"])),
            422,
            Some("actions"),
        ),
        (
            "no action",
            with(&["request", "actions"], json!([])),
            422,
            Some("actions"),
        ),
        (
            "blank title",
            with(&["title"], json!("   ")),
            422,
            Some("title"),
        ),
        (
            "title too long",
            with(&["title"], json!("x".repeat(201))),
            422,
            Some("title"),
        ),
        (
            "asset of another org",
            with(&["request", "assets"], json!([web1, gpu1])),
            422,
            Some("assets"),
        ),
        (
            "node of another org",
            with(&["request", "nodes"], json!([gpu_node])),
            422,
            Some("nodes"),
        ),
        (
            "unknown account",
            with(&["request", "accounts"], json!(["root", "nobody"])),
            422,
            Some("accounts"),
        ),
        (
            "blank permission name",
            with(&["request", "permission_name"], json!("")),
            422,
            Some("permission_name"),
        ),
        (
            "an org alice is not in",
            with(&["org_id"], json!(research)),
            403,
            None,
        ),
        (
            "no such org",
            with(&["org_id"], json!(uuid::Uuid::new_v4())),
            422,
            Some("org_id"),
        ),
        (
            "a type opened elsewhere",
            with(&["type"], json!("login_confirm")),
            422,
            Some("type"),
        ),
        (
            "no request",
            json!({"type": "apply_asset", "org_id": default, "title": "x"}),
            422,
            None,
        ),
    ];
    for (what, body, status, field) in cases {
        let (s, e) = app.post(&alice, OPEN, body).await;
        assert_eq!(s, status, "{what}: {e}");
        assert!(e["error"]["message"].is_string(), "{what}: {e}");
        if let Some(f) = field {
            assert_eq!(e["error"]["code"], "invalid", "{what}: {e}");
            assert_eq!(e["error"]["field"], f, "{what}: {e}");
        }
    }
    let (s, e) = app
        .post_raw(&alice, OPEN, Some(r#"{"type": "apply_asset", "org_id": "#))
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["code"], "malformed_json");

    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM ticket_events").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM ticket_assignees").await, 0);
    let (_, list) = app.get(&alice, "/api/v1/tickets?scope=mine").await;
    assert_eq!(list["total"], 0, "{list}");
    let bob = app.signed_in("bob").await;
    let (_, n) = app.get(&bob, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 0);

    // The refused attempts used up no serial number.
    let t = app.open_default(&alice, &[web1]).await;
    assert!(t["serial"].as_str().unwrap().ends_with("0001"), "{t}");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn only_the_current_level_acts_and_strangers_see_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let dave = app.signed_in("dave").await;
    let admin = app.signed_in("admin").await;
    let web1 = app.asset_id("web-01").await;
    let t = app.open_default(&alice, &[web1]).await;
    let id = t["id"].as_str().unwrap().to_string();

    // carol is asked at level 2: too early.
    for action in ["approve", "reject", "close"] {
        let (s, e) = app.act(&carol, &t["id"], action, json!({})).await;
        assert_eq!(s, 409, "carol {action}: {e}");
        assert_eq!(e["error"]["code"], "not_your_turn");
        assert_eq!(e["error"]["details"]["state"], "pending");
        assert_eq!(e["error"]["details"]["current_level"], 1);
    }

    // dave is in Default but has nothing to do with the ticket: it does not exist for him.
    for path in ["", "/events", "/comments"] {
        let (s, e) = app.get(&dave, &format!("/api/v1/tickets/{id}{path}")).await;
        assert_eq!(s, 404, "dave GET {path}: {e}");
    }
    for action in ["approve", "reject", "close"] {
        let (s, _) = app.act(&dave, &t["id"], action, json!({})).await;
        assert_eq!(s, 404, "dave {action}");
    }
    let (s, _) = app
        .post(
            &dave,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "hi"}),
        )
        .await;
    assert_eq!(s, 404);
    // Just like a ticket that does not exist at all.
    let (s, unknown) = app
        .get(&dave, &format!("/api/v1/tickets/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(s, 404);
    let (_, hidden) = app.get(&dave, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        hidden, unknown,
        "a hidden ticket answers like an unknown one"
    );

    // The applicant cannot approve their own request.
    for action in ["approve", "reject"] {
        let (s, e) = app.act(&alice, &t["id"], action, json!({})).await;
        assert_eq!(s, 403, "alice {action}: {e}");
        assert_eq!(e["error"]["code"], "forbidden");
    }

    // A super admin sees everything but is not asked here.
    let (s, seen) = app.get(&admin, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(strings(&seen["allowed_actions"]), ["view", "comment"]);
    let (s, e) = app.act(&admin, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 403, "{e}");

    // None of that changed anything.
    let (_, now) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        (&now["state"], &now["current_level"]),
        (&json!("pending"), &json!(1))
    );
    assert_eq!(app.event_kinds(&alice, &t["id"]).await, ["opened"]);

    // bob approves: now carol's turn, and bob's is over.
    let (s, after) = app.act(&bob, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["current_level"], 2);
    assert_eq!(after["steps"][0]["state"], "done");
    assert_eq!(after["steps"][0]["assignees"][0]["decision"], "approved");
    assert!(after["steps"][0]["assignees"][0]["decided_at"].is_string());
    assert_eq!(after["steps"][1]["state"], "active");
    let (s, e) = app.act(&bob, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["details"]["current_level"], 2);
    let (_, c) = app.get(&carol, &format!("/api/v1/tickets/{id}")).await;
    assert!(strings(&c["allowed_actions"]).contains(&"approve".to_string()));
    assert_eq!(
        app.event_kinds(&alice, &t["id"]).await,
        ["opened", "approved", "level_advanced"]
    );

    // An org auditor of Default sees the ticket but may not act on it.
    sqlx::query("UPDATE memberships SET role = 'org_auditor' WHERE user_id = $1 AND org_id = $2")
        .bind(app.user_id("dave").await)
        .bind(app.org_id("Default").await)
        .execute(&app.pool)
        .await
        .unwrap();
    let auditor = app.signed_in("dave").await;
    let (s, seen) = app.get(&auditor, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(strings(&seen["allowed_actions"]), ["view"]);
    let (s, _) = app.act(&auditor, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post(
            &auditor,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "audit"}),
        )
        .await;
    assert_eq!(s, 403);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn reject_and_close_end_the_ticket_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let web1 = app.asset_id("web-01").await;

    // bob rejects at level 1: carol is never asked.
    let t = app.open_default(&alice, &[web1]).await;
    let (s, r) = app
        .act(&bob, &t["id"], "reject", json!({"comment": "  not now  "}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["state"], "rejected");
    assert_eq!(r["steps"][0]["state"], "rejected");
    assert_eq!(r["steps"][0]["assignees"][0]["decision"], "rejected");
    assert_eq!(r["steps"][1]["state"], "closed");
    assert_eq!(strings(&r["allowed_actions"]), ["view"]);
    let id = t["id"].as_str().unwrap();
    let (_, ev) = app
        .get(&alice, &format!("/api/v1/tickets/{id}/events"))
        .await;
    let last = ev.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "rejected");
    assert_eq!(last["actor"]["username"], "bob");
    assert_eq!(last["comment"], "not now");
    for (who, action) in [
        (&carol, "approve"),
        (&bob, "approve"),
        (&bob, "reject"),
        (&alice, "close"),
    ] {
        let (s, e) = app.act(who, &t["id"], action, json!({})).await;
        assert_eq!(s, 409, "{action}: {e}");
        assert_eq!(e["error"]["code"], "already_closed");
        assert_eq!(e["error"]["details"]["state"], "rejected");
    }
    let (s, e) = app
        .post(
            &alice,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "why?"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "already_closed");

    // The applicant withdraws.
    let t = app.open_default(&alice, &[web1]).await;
    let (s, c) = app.act(&alice, &t["id"], "close", json!({})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["state"], "closed");
    assert_eq!(c["steps"][0]["state"], "closed");
    assert_eq!(
        app.event_kinds(&bob, &t["id"]).await,
        ["opened", "withdrawn"]
    );
    let (s, _) = app.act(&bob, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 409);

    // The current approver closes (no body at all).
    let t = app.open_default(&alice, &[web1]).await;
    let id = t["id"].as_str().unwrap();
    let (s, c) = app
        .post_raw(&bob, &format!("/api/v1/tickets/{id}/close"), None)
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["state"], "closed");
    assert_eq!(
        app.event_kinds(&alice, &t["id"]).await,
        ["opened", "closed"]
    );

    // carol rejects at level 2, after bob approved: no grant.
    let t = app.open_default(&alice, &[web1]).await;
    let (s, _) = app.act(&bob, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200);
    let (s, r) = app.act(&carol, &t["id"], "reject", json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["state"], "rejected");
    assert_eq!(r["steps"][0]["state"], "done");
    assert_eq!(r["steps"][1]["state"], "rejected");

    assert_eq!(app.count("SELECT count(*) FROM grants").await, 0);
    let (_, n) = app.get(&bob, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 0);
    let (_, n) = app.get(&carol, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 0);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_thread_is_open_to_applicant_assignees_and_admins_while_pending(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let admin = app.signed_in("admin").await;
    let web1 = app.asset_id("web-01").await;
    let t = app.open_default(&alice, &[web1]).await;
    let path = format!("/api/v1/tickets/{}/comments", t["id"].as_str().unwrap());

    let (s, c) = app
        .post(
            &alice,
            &path,
            json!({"body": "  Needed for the release.  "}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["body"], "Needed for the release.");
    assert_eq!(c["author"]["username"], "alice");
    // carol is asked only at level 2, but may already talk.
    for (who, name) in [(&bob, "bob"), (&carol, "carol"), (&admin, "admin")] {
        let (s, c) = app
            .post(who, &path, json!({"body": format!("{name} here")}))
            .await;
        assert_eq!(s, 201, "{name}: {c}");
    }
    for bad in [json!({"body": "   "}), json!({"body": "x".repeat(10_001)})] {
        let (s, e) = app.post(&alice, &path, bad).await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["error"]["field"], "body");
    }

    let (s, list) = app.get(&carol, &path).await;
    assert_eq!(s, 200);
    let authors: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["author"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["alice", "bob", "carol", "admin"]);
    let kinds = app.event_kinds(&alice, &t["id"]).await;
    assert_eq!(kinds.iter().filter(|k| *k == "commented").count(), 4);

    let (s, _) = app.act(&bob, &t["id"], "reject", json!({})).await;
    assert_eq!(s, 200);
    for who in [&alice, &bob, &admin] {
        let (s, e) = app.post(who, &path, json!({"body": "after"})).await;
        assert_eq!(s, 409, "{e}");
        assert_eq!(e["error"]["code"], "already_closed");
    }
    let (s, list) = app.get(&alice, &path).await;
    assert_eq!(s, 200, "the thread stays readable");
    assert_eq!(list.as_array().unwrap().len(), 4);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn cc_users_read_along_but_do_not_act(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let carol = app.user_id("carol").await;
    let dave = app.user_id("dave").await;
    app.set_default_flow(json!({
        "levels": [
            {"selector": {"users": [], "super_admins": false, "org_admins": true}, "rule": "any"},
            {"selector": {"users": [carol], "super_admins": false, "org_admins": false}, "rule": "any"},
        ],
        "cc": [dave],
    }))
    .await;
    let alice_c = app.signed_in("alice").await;
    let dave_c = app.signed_in("dave").await;
    let t = app
        .open_default(&alice_c, &[app.asset_id("web-01").await])
        .await;
    assert_eq!(t["cc"][0]["username"], "dave", "{t}");
    let id = t["id"].as_str().unwrap();

    let (s, seen) = app.get(&dave_c, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(strings(&seen["allowed_actions"]), ["view"]);
    let (s, _) = app
        .post(
            &dave_c,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "fyi"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.act(&dave_c, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 403);
    let (s, list) = app.get(&dave_c, "/api/v1/tickets?scope=cc").await;
    assert_eq!(s, 200);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], t["id"]);
    let (_, list) = app.get(&dave_c, "/api/v1/tickets?scope=assigned").await;
    assert_eq!(list["total"], 0);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_last_level_must_name_what_and_which_account(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let default = app.org_id("Default").await;
    let prod = app.node_id("prod").await;
    let gpu1 = app.asset_id("gpu-01").await;

    // The applicant may leave assets, nodes and accounts to the approvers.
    let mut body = TestApp::apply_body(default, "Something on prod", &[]);
    body["request"]["accounts"] = json!([]);
    let (s, t) = app.post(&alice, OPEN, body).await;
    assert_eq!(s, 201, "{t}");
    let id = t["id"].as_str().unwrap();

    // Level 1 is not the last: no need yet.
    let (s, t1) = app.act(&bob, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200, "{t1}");
    assert_eq!(t1["current_level"], 2);

    let (s, e) = app.act(&carol, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "assets");
    let (s, e) = app
        .act(
            &carol,
            &t["id"],
            "approve",
            json!({"edits": {"nodes": [prod]}}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "accounts");
    // An approver from another org cannot slip in an asset of yet another org.
    let (s, e) = app
        .act(
            &carol,
            &t["id"],
            "approve",
            json!({"edits": {"assets": [gpu1], "accounts": ["root"]}}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "assets");

    // None of the refusals left a trace.
    let (_, now) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(now["state"], "pending");
    assert_eq!(now["current_level"], 2);
    assert_eq!(now["request"]["nodes"], json!([]));
    assert_eq!(
        app.event_kinds(&alice, &t["id"]).await,
        ["opened", "approved", "level_advanced"]
    );
    assert_eq!(app.count("SELECT count(*) FROM grants").await, 0);

    let (s, done) = app
        .act(
            &carol,
            &t["id"],
            "approve",
            json!({"comment": "prod, root only", "edits": {"nodes": [prod], "accounts": ["root"]}}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "approved");
    assert_eq!(done["nodes"][0]["name"], "/Default/prod");

    // The grant covers what sits under the node, and only that.
    let (s, g) = app.get(&alice, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["nodes"][0]["name"], "prod");
    assert_eq!(g["accounts"], json!(["root"]));
    let alice_id = app.user_id("alice").await;
    for (asset, allowed) in [("web-02", true), ("db-mysql-01", true), ("stage-01", false)] {
        let a = app.asset_id(asset).await;
        let (s, c) = app
            .get(
                &alice,
                &format!(
                    "/api/v1/grants/check?user={alice_id}&asset={a}&account=root&action=connect"
                ),
            )
            .await;
        assert_eq!(s, 200, "{c}");
        assert_eq!(c["allowed"], allowed, "{asset}: {c}");
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn without_an_org_flow_the_super_admins_decide(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let dave = app.signed_in("dave").await;
    let admin = app.signed_in("admin").await;
    let bob = app.signed_in("bob").await;
    let research = app.org_id("Research").await;
    let gpu1 = app.asset_id("gpu-01").await;

    let (s, t) = app
        .post(
            &dave,
            OPEN,
            TestApp::apply_body(research, "GPU time", &[gpu1]),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["steps"].as_array().unwrap().len(), 1);
    assert_eq!(assignees(&t, 1), ["admin"]);
    let id = t["id"].as_str().unwrap();
    // bob administers Default, not Research.
    let (s, _) = app.get(&bob, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 404);
    let (_, n) = app.get(&admin, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 1);

    let (s, done) = app.act(&admin, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "approved");
    let dave_id = app.user_id("dave").await;
    let (s, c) = app
        .get(
            &dave,
            &format!(
                "/api/v1/grants/check?user={dave_id}&asset={gpu1}&account=deploy&action=upload"
            ),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["allowed"], true, "{c}");
    assert_eq!(c["grant_id"], t["id"]);

    // The only super admin cannot approve their own request: nobody is left to ask.
    let before = app.count("SELECT count(*) FROM tickets").await;
    let (s, e) = app
        .post(&admin, OPEN, TestApp::apply_body(research, "Mine", &[gpu1]))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "no_approvers");
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, before);
}

async fn titles(app: &TestApp, c: &reqwest::Client, query: &str) -> (i64, Vec<String>) {
    let (s, list) = app.get(c, &format!("/api/v1/tickets?{query}")).await;
    assert_eq!(s, 200, "{query}: {list}");
    let items = list["items"].as_array().unwrap();
    (
        list["total"].as_i64().unwrap(),
        items
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect(),
    )
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn lists_by_scope_state_and_search_with_paging_and_the_inbox(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let dave = app.signed_in("dave").await;
    let admin = app.signed_in("admin").await;
    let default = app.org_id("Default").await;
    let research = app.org_id("Research").await;
    let web1 = app.asset_id("web-01").await;
    let gpu1 = app.asset_id("gpu-01").await;

    let (_, n) = app.get(&bob, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 0);
    let mut opened = Vec::new();
    for (who, org, title, asset) in [
        (&alice, default, "Alpha db", web1),
        (&alice, default, "Beta web", web1),
        (&alice, default, "Gamma web 100%", web1),
        (&dave, default, "Delta", web1),
        (&dave, research, "Epsilon", gpu1),
    ] {
        let (s, t) = app
            .post(who, OPEN, TestApp::apply_body(org, title, &[asset]))
            .await;
        assert_eq!(s, 201, "{t}");
        opened.push(t);
    }
    let (_, n) = app.get(&bob, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 4, "the four Default tickets wait for bob");
    let (s, _) = app.act(&bob, &opened[0]["id"], "approve", json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = app.act(&bob, &opened[1]["id"], "reject", json!({})).await;
    assert_eq!(s, 200);
    let (_, n) = app.get(&bob, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 2);
    let (_, n) = app.get(&carol, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 1);

    // Newest first.
    assert_eq!(
        titles(&app, &alice, "scope=mine").await,
        (
            3,
            vec![
                "Gamma web 100%".into(),
                "Beta web".into(),
                "Alpha db".into()
            ]
        )
    );
    assert_eq!(
        titles(&app, &alice, "").await.0,
        3,
        "mine is the default scope"
    );
    assert_eq!(
        titles(&app, &alice, "scope=mine&state=pending").await,
        (2, vec!["Gamma web 100%".into(), "Alpha db".into()])
    );
    assert_eq!(
        titles(&app, &alice, "scope=mine&state=rejected").await,
        (1, vec!["Beta web".into()])
    );
    assert_eq!(
        titles(&app, &alice, "scope=mine&q=WEB").await,
        (2, vec!["Gamma web 100%".into(), "Beta web".into()])
    );
    assert_eq!(
        titles(&app, &alice, "scope=mine&q=%25").await,
        (1, vec!["Gamma web 100%".into()]),
        "% is searched for, not a wildcard"
    );
    let serial = opened[0]["serial"].as_str().unwrap();
    assert_eq!(
        titles(&app, &alice, &format!("scope=mine&q={serial}")).await,
        (1, vec!["Alpha db".into()])
    );
    // Someone else's ticket never shows, whatever the filter.
    assert_eq!(titles(&app, &alice, "scope=all&q=Delta").await.0, 0);

    assert_eq!(
        titles(&app, &bob, "scope=assigned").await,
        (2, vec!["Delta".into(), "Gamma web 100%".into()])
    );
    assert_eq!(
        titles(&app, &bob, "scope=processed").await,
        (2, vec!["Beta web".into(), "Alpha db".into()])
    );
    assert_eq!(titles(&app, &bob, "scope=mine").await.0, 0);
    assert_eq!(
        titles(&app, &bob, "scope=all").await.0,
        4,
        "every Default ticket"
    );
    assert_eq!(
        titles(&app, &carol, "scope=assigned").await,
        (1, vec!["Alpha db".into()])
    );
    assert_eq!(titles(&app, &dave, "scope=all").await.0, 2, "only his own");
    assert_eq!(
        titles(&app, &dave, &format!("scope=mine&org={research}")).await,
        (1, vec!["Epsilon".into()])
    );
    assert_eq!(titles(&app, &admin, "scope=all").await.0, 5);
    assert_eq!(
        titles(&app, &admin, "scope=assigned").await,
        (1, vec!["Epsilon".into()])
    );
    assert_eq!(
        titles(&app, &admin, "scope=all&type=apply_asset&state=approved")
            .await
            .0,
        0
    );

    // Paging.
    let (s, p1) = app
        .get(&alice, "/api/v1/tickets?scope=mine&per_page=2&page=1")
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (p1["total"].as_i64(), p1["items"].as_array().unwrap().len()),
        (Some(3), 2)
    );
    assert_eq!((&p1["page"], &p1["per_page"]), (&json!(1), &json!(2)));
    let (_, p2) = app
        .get(&alice, "/api/v1/tickets?scope=mine&per_page=2&page=2")
        .await;
    assert_eq!(
        (p2["total"].as_i64(), p2["items"].as_array().unwrap().len()),
        (Some(3), 1)
    );
    assert_eq!(p2["items"][0]["title"], "Alpha db");
    let (_, p3) = app
        .get(&alice, "/api/v1/tickets?scope=mine&per_page=2&page=3")
        .await;
    assert_eq!(p3["items"].as_array().unwrap().len(), 0);
    assert_eq!(p3["total"], 3, "past the last page the total stays: {p3}");
    let (_, big) = app.get(&alice, "/api/v1/tickets?per_page=100000").await;
    assert_eq!(big["per_page"], 100);
    let (_, zero) = app.get(&alice, "/api/v1/tickets?per_page=0&page=0").await;
    assert_eq!((&zero["per_page"], &zero["page"]), (&json!(1), &json!(1)));
    assert_eq!(zero["items"].as_array().unwrap().len(), 1);

    // A summary row.
    let (_, l) = app.get(&carol, "/api/v1/tickets?scope=assigned").await;
    let row = &l["items"][0];
    assert_eq!(row["serial"], opened[0]["serial"]);
    assert_eq!(row["org_name"], "Default");
    assert_eq!(row["applicant"]["username"], "alice");
    assert_eq!(
        (&row["current_level"], &row["levels"]),
        (&json!(2), &json!(2))
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn bulk_decisions_answer_for_each_ticket(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let dave = app.signed_in("dave").await;
    let web1 = app.asset_id("web-01").await;
    let research = app.org_id("Research").await;
    let gpu1 = app.asset_id("gpu-01").await;

    let t1 = app.open_default(&alice, &[web1]).await;
    let t2 = app.open_default(&alice, &[web1]).await;
    let (s, foreign) = app
        .post(&dave, OPEN, TestApp::apply_body(research, "GPU", &[gpu1]))
        .await;
    assert_eq!(s, 201);
    let (s, r) = app
        .post(
            &bob,
            "/api/v1/tickets/bulk",
            json!({"action": "reject", "ids": [t1["id"], foreign["id"], t2["id"]]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{r}");
    assert_eq!(results[0]["id"], t1["id"]);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[1]["id"], foreign["id"]);
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"]["code"], "not_found");
    assert_eq!(results[2]["ok"], true);
    for t in [&t1, &t2] {
        let (_, now) = app
            .get(
                &alice,
                &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(now["state"], "rejected");
    }
    let (_, now) = app
        .get(
            &dave,
            &format!("/api/v1/tickets/{}", foreign["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(now["state"], "pending", "bob's bulk did not touch it");

    // Approve: one fresh, one already past bob's level, one already ended.
    let t3 = app.open_default(&alice, &[web1]).await;
    let t4 = app.open_default(&alice, &[web1]).await;
    let (s, _) = app.act(&bob, &t4["id"], "approve", json!({})).await;
    assert_eq!(s, 200);
    let (s, r) = app
        .post(
            &bob,
            "/api/v1/tickets/bulk",
            json!({"action": "approve", "ids": [t3["id"], t4["id"], t1["id"]]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let codes: Vec<(bool, Value)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["ok"].as_bool().unwrap(), x["error"]["code"].clone()))
        .collect();
    assert_eq!(
        codes,
        [
            (true, Value::Null),
            (false, json!("not_your_turn")),
            (false, json!("already_closed"))
        ]
    );
    let (_, now) = app
        .get(
            &alice,
            &format!("/api/v1/tickets/{}", t3["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(now["current_level"], 2);

    for (body, status) in [
        (json!({"action": "reject", "ids": []}), 422),
        (json!({"action": "explode", "ids": [t3["id"]]}), 422),
        (json!({"action": "reject", "ids": ["nope"]}), 422),
    ] {
        let (s, e) = app.post(&bob, "/api/v1/tickets/bulk", body).await;
        assert_eq!(s, status, "{e}");
    }
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/tickets/bulk",
            json!({"action": "reject", "ids": many}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "ids");
}

/// Tollgate's own connections start no parallel workers: after five runs of a prepared title
/// search Postgres switched to a plan with two workers, 12-17 ms instead of 1.5 ms.
#[tokio::test]
async fn the_app_pool_plans_without_parallel_workers() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = tollgate_server::connect(&url, 1).await.unwrap();
    let setting: String = sqlx::query_scalar("SHOW max_parallel_workers_per_gather")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(setting, "0");
}

/// The ticket writes run on generic plans (re-planning their larger statements on every run cost
/// more than running them), and only inside their own transaction: a pooled connection goes
/// back with the default, which the lists' optional filters need.
#[tokio::test]
async fn ticket_writes_use_generic_plans_only_in_their_transaction() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = tollgate_server::connect(&url, 1).await.unwrap();
    let mut tx = tollgate_server::begin_generic(&pool).await.unwrap();
    let inside: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(inside, "force_generic_plan");
    tx.commit().await.unwrap();
    // The pool has one connection: this is the same one, after the commit.
    let after: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(after, "auto");
}

/// Search matches words (the last one as a prefix, so a search typed letter by letter finds as
/// it goes), an exact serial, or — for text in other scripts and punctuation — a substring.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn search_finds_words_prefixes_serials_and_other_scripts(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let default = app.org_id("Default").await;
    let web1 = app.asset_id("web-01").await;
    let mut serials = Vec::new();
    for title in [
        "Deploy to host-4242",
        "Rotate keys on HOST-42",
        "数据库迁移 prod-db",
        "Patch web-01 (100%)",
    ] {
        let (s, t) = app
            .post(&alice, OPEN, TestApp::apply_body(default, title, &[web1]))
            .await;
        assert_eq!(s, 201, "{t}");
        serials.push(t["serial"].as_str().unwrap().to_string());
    }
    let found = |q: &str| {
        let q = q.to_string();
        let (app, alice) = (&app, &alice);
        async move {
            let url = reqwest::Url::parse_with_params("http://x/", [("scope", "mine"), ("q", &q)])
                .unwrap();
            titles(app, alice, url.query().unwrap()).await.1
        }
    };
    assert_eq!(found("host-4242").await, ["Deploy to host-4242"]);
    assert_eq!(found("4242").await, ["Deploy to host-4242"]);
    assert_eq!(
        found("host-42").await,
        ["Rotate keys on HOST-42", "Deploy to host-4242"],
        "the last word is a prefix, case does not matter"
    );
    assert_eq!(
        found("keys host").await,
        ["Rotate keys on HOST-42"],
        "any order"
    );
    assert_eq!(found("dep").await, ["Deploy to host-4242"]);
    assert!(found("eploy").await.is_empty(), "words, not parts of words");
    assert!(
        found("host 99").await.is_empty(),
        "every word must be there"
    );
    assert_eq!(
        found("数据").await,
        ["数据库迁移 prod-db"],
        "other scripts: substring"
    );
    assert_eq!(found("(100%)").await, ["Patch web-01 (100%)"]);
    assert_eq!(found("100%").await, ["Patch web-01 (100%)"]);
    assert!(found("%").await.len() == 1, "% is text, not a wildcard");
    assert_eq!(
        found("(").await,
        ["Patch web-01 (100%)"],
        "punctuation alone"
    );
    assert_eq!(found("迁移 PROD").await, ["数据库迁移 prod-db"]);
    assert_eq!(
        found("\u{212A}EYS").await,
        ["Rotate keys on HOST-42"],
        "the Kelvin sign is a k once lower-cased"
    );
    assert_eq!(found(&serials[2]).await, ["数据库迁移 prod-db"]);
    assert!(found("& | ! :*").await.is_empty(), "operators are text");
}

/// A search in another script can read the trigram index, which holds only the titles that are
/// not all ASCII: the query repeats the index's condition (without it Postgres could not use
/// the index and would read every title: about a second at a million tickets).
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn searches_in_other_scripts_read_the_trigram_index(pool: PgPool) {
    use tollgate_app::dto::Scope;
    use tollgate_server::store::tickets::{list_sql, Search};
    let (mode, pattern) = Search::of(Some("数据库"));
    assert_eq!(mode, Search::Substring);
    let mut c = pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *c)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN {}",
        list_sql(Scope::All, true, mode)
    )))
    .bind(uuid::Uuid::new_v4())
    .bind(Vec::<uuid::Uuid>::new())
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(None::<uuid::Uuid>)
    .bind("数据库")
    .bind(pattern)
    .bind(20i64)
    .bind(0i64)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("tickets_title_trgm"), "{plan}");
}

/// A list with more than 10,000 matches stops counting there ("more than 10,000") and still
/// shows the newest first, page after page; a narrower search is counted exactly. (Counting a
/// super admin's whole list read a million rows at the bench's scale: 1.5 s.)
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn lists_stop_counting_past_ten_thousand_and_stay_newest_first(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let admin = app.signed_in("admin").await;
    let default = app.org_id("Default").await;
    let web1 = app.asset_id("web-01").await;
    let (s, t) = app
        .post(
            &alice,
            OPEN,
            TestApp::apply_body(default, "Original", &[web1]),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    // 10,050 copies of it, one second apart going back: "Bulk 1" is the newest.
    sqlx::query(
        "INSERT INTO tickets (id, serial, ticket_type, title, org_id, applicant_id, state,
             current_level, request, steps, cc, comment, created_at, updated_at, expires_at)
         SELECT gen_random_uuid(), 'BULK-' || g, ticket_type, 'Bulk ' || g, org_id, applicant_id,
             state, current_level, request, steps, cc, comment,
             created_at - make_interval(secs => g), updated_at, expires_at
         FROM tickets, generate_series(1, 10050) g WHERE id = $1",
    )
    .bind(t["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap())
    .execute(&app.pool)
    .await
    .unwrap();

    for (who, query) in [
        (&alice, "scope=mine"),
        (&alice, "scope=mine&q=bulk"),
        (&admin, "scope=all"),
    ] {
        let (s, first) = app
            .get(who, &format!("/api/v1/tickets?{query}&per_page=20"))
            .await;
        assert_eq!(s, 200, "{query}: {first}");
        assert_eq!(first["total_capped"], true, "{query}");
        assert_eq!(first["total"], 10_001, "{query}: counted up to the cap + 1");
        let (_, second) = app
            .get(who, &format!("/api/v1/tickets?{query}&per_page=20&page=2"))
            .await;
        let titles = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_string())
                .collect()
        };
        let mut expected: Vec<String> = (1..=40).map(|n| format!("Bulk {n}")).collect();
        if !query.contains("bulk") {
            expected.insert(0, "Original".to_string());
            expected.pop();
        }
        assert_eq!(titles(&first), expected[..20], "{query}: the newest first");
        assert_eq!(titles(&second), expected[20..], "{query}: page 2 goes on");
    }

    // Fewer matches: counted exactly. "bulk 77" is a prefix: 77, 770–779, 7700–7799.
    let (s, some) = app
        .get(&alice, "/api/v1/tickets?scope=mine&q=bulk%2077&per_page=5")
        .await;
    assert_eq!(s, 200, "{some}");
    assert_eq!(some["total_capped"], false);
    assert_eq!(some["total"], 111);
    assert_eq!(some["items"][0]["title"], "Bulk 77");
}
