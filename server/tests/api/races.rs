//! Many requests at the same moment: one outcome per level, one grant, distinct serials.

use std::collections::{BTreeMap, HashSet};

use futures::future::join_all;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

/// Sends every `(client, url, body)` POST at once; the statuses and bodies, in order.
async fn post_all_at_once(calls: Vec<(reqwest::Client, String, Value)>) -> Vec<(u16, Value)> {
    let calls = calls.into_iter().map(|(c, url, body)| {
        tokio::spawn(async move {
            let r = c.post(url).json(&body).send().await.expect("send");
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        })
    });
    join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

/// Fires `per_client` approvals of `id` from each client at once; the statuses and bodies.
async fn approve_all_at_once(
    app: &TestApp,
    clients: &[reqwest::Client],
    per_client: usize,
    id: &str,
) -> Vec<(u16, Value)> {
    let url = format!("{}/api/v1/tickets/{id}/approve", app.url);
    let mut calls = Vec::new();
    for c in clients {
        for _ in 0..per_client {
            calls.push((c.clone(), url.clone(), json!({})));
        }
    }
    post_all_at_once(calls).await
}

fn by_status(results: &[(u16, Value)]) -> BTreeMap<u16, usize> {
    let mut out = BTreeMap::new();
    for (s, _) in results {
        *out.entry(*s).or_default() += 1;
    }
    out
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_hundred_approvers_of_an_any_level_make_one_decision_and_one_grant(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let racers = app.make_users("racer", 5).await;
    app.set_default_flow(json!({
        "levels": [{"selector": {"users": racers, "super_admins": false, "org_admins": false}, "rule": "any"}],
        "cc": [],
    }))
    .await;
    let alice = app.signed_in("alice").await;
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    assert_eq!(t["steps"][0]["assignees"].as_array().unwrap().len(), 5);
    let mut clients = Vec::new();
    for i in 1..=5 {
        clients.push(app.signed_in(&format!("racer{i}")).await);
    }

    let results = approve_all_at_once(&app, &clients, 20, t["id"].as_str().unwrap()).await;
    assert_eq!(
        by_status(&results),
        BTreeMap::from([(200, 1), (409, 99)]),
        "{results:?}"
    );
    for (s, body) in results.iter().filter(|(s, _)| *s == 409) {
        assert_eq!(body["error"]["code"], "already_closed", "{s} {body}");
        assert_eq!(body["error"]["details"]["state"], "approved", "{body}");
    }
    let winner = &results.iter().find(|(s, _)| *s == 200).unwrap().1;
    assert_eq!(winner["state"], "approved");

    let kinds = app.event_kinds(&alice, &t["id"]).await;
    assert_eq!(kinds, ["opened", "approved"], "one approval recorded");
    assert_eq!(app.count("SELECT count(*) FROM grants").await, 1);
    let decided = app
        .count("SELECT count(*) FROM ticket_assignees WHERE decision = 'approved'")
        .await;
    assert_eq!(decided, 1, "one assignee's decision");
}

/// A quorum of two of three, every approver approving ten times at once: exactly two
/// approvals count, from two people, and the level advances once; everything else is 409.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn thirty_approvals_of_a_two_of_three_level_count_exactly_two(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let racers = app.make_users("quorum", 3).await;
    let carol = app.user_id("carol").await;
    app.set_default_flow(json!({"levels": [
        {"selector": {"users": racers}, "rule": {"at_least": 2}},
        {"selector": {"users": [carol]}, "rule": "any"},
    ], "cc": []}))
        .await;
    let alice = app.signed_in("alice").await;
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    assert_eq!(t["steps"][0]["rule"], json!({"at_least": 2}), "{t}");
    let mut clients = Vec::new();
    for i in 1..=3 {
        clients.push(app.signed_in(&format!("quorum{i}")).await);
    }

    let results = approve_all_at_once(&app, &clients, 10, t["id"].as_str().unwrap()).await;
    assert_eq!(
        by_status(&results),
        BTreeMap::from([(200, 2), (409, 28)]),
        "{results:?}"
    );
    for (_, body) in results.iter().filter(|(s, _)| *s == 409) {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            ["not_your_turn", "already_decided"].contains(&code),
            "{body}"
        );
    }
    assert_eq!(
        app.event_kinds(&alice, &t["id"]).await,
        ["opened", "approved", "approved", "level_advanced"]
    );
    let (_, now) = app
        .get(
            &alice,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(now["current_level"], 2, "{now}");
    let decided: Vec<&str> = now["steps"][0]["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decided.iter().filter(|d| **d == "approved").count(),
        2,
        "{decided:?}"
    );
    // The third approver, too late now, is not asked any more.
    let late = decided.iter().position(|d| *d == "pending").unwrap();
    let (_, n) = app.get(&clients[late], "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 0, "{n}");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_hundred_approvals_of_level_one_advance_it_once(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    let mut bobs = Vec::new();
    for _ in 0..4 {
        bobs.push(app.signed_in("bob").await);
    }

    let results = approve_all_at_once(&app, &bobs, 25, t["id"].as_str().unwrap()).await;
    assert_eq!(
        by_status(&results),
        BTreeMap::from([(200, 1), (409, 99)]),
        "{results:?}"
    );
    for (_, body) in results.iter().filter(|(s, _)| *s == 409) {
        assert_eq!(body["error"]["code"], "not_your_turn", "{body}");
        assert_eq!(body["error"]["details"]["current_level"], 2, "{body}");
    }
    assert_eq!(
        app.event_kinds(&alice, &t["id"]).await,
        ["opened", "approved", "level_advanced"]
    );
    assert_eq!(app.count("SELECT count(*) FROM grants").await, 0);
    let carol = app.signed_in("carol").await;
    let (_, n) = app.get(&carol, "/api/v1/tickets/inbox-count").await;
    assert_eq!(n["count"], 1);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn two_hundred_concurrent_opens_get_two_hundred_serials(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let org = app.org_id("Default").await;
    let web1 = app.asset_id("web-01").await;
    let url = format!("{}/api/v1/tickets", app.url);
    let calls = (0..200)
        .map(|i| {
            let body = TestApp::apply_body(org, &format!("Concurrent {i}"), &[web1]);
            (alice.clone(), url.clone(), body)
        })
        .collect();
    let results = post_all_at_once(calls).await;
    assert_eq!(
        by_status(&results),
        BTreeMap::from([(201, 200)]),
        "{:?}",
        results.iter().find(|(s, _)| *s != 201)
    );
    let serials: HashSet<String> = results
        .iter()
        .map(|(_, t)| t["serial"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(serials.len(), 200);
    let mut counters: Vec<u32> = serials.iter().map(|s| s[8..].parse().unwrap()).collect();
    counters.sort();
    assert_eq!(
        counters,
        (1..=200).collect::<Vec<u32>>(),
        "no gaps, no repeats"
    );
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 200);
    let (_, list) = app.get(&alice, "/api/v1/tickets?scope=mine").await;
    assert_eq!(list["total"], 200);
}

/// Approvals whose approvers cross (Default asks bob then carol, Research carol then bob), all
/// at once: each moves one person's inbox counter down and the other's up. Written in two
/// phases, as the triggers of migration 0006 did, these deadlocked; now every approval goes
/// through and the counters agree with the tickets.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn crossing_approvals_all_go_through_and_the_inbox_counters_stay_true(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (bob_id, carol_id) = (app.user_id("bob").await, app.user_id("carol").await);
    let research = app.org_id("Research").await;
    sqlx::query(
        "INSERT INTO flows (id, org_id, ticket_type, definition) VALUES (gen_random_uuid(), $1, 'apply_asset', $2)
         ON CONFLICT (org_id, ticket_type) DO UPDATE SET definition = EXCLUDED.definition",
    )
    .bind(research)
    .bind(json!({"levels": [
        {"selector": {"users": [carol_id], "super_admins": false, "org_admins": false}, "rule": "any"},
        {"selector": {"users": [bob_id], "super_admins": false, "org_admins": false}, "rule": "any"}],
        "cc": []}))
    .execute(&pool)
    .await
    .unwrap();
    let dave = app.signed_in("dave").await;
    let (web1, gpu1) = (app.asset_id("web-01").await, app.asset_id("gpu-01").await);
    let default = app.org_id("Default").await;
    const N: usize = 40;
    let mut ids = Vec::new();
    for i in 0..N {
        for (org, asset) in [(default, web1), (research, gpu1)] {
            let (s, t) = app
                .post(
                    &dave,
                    "/api/v1/tickets",
                    TestApp::apply_body(org, &format!("Crossing {i}"), &[asset]),
                )
                .await;
            assert_eq!(s, 201, "{t}");
            ids.push((org == default, t["id"].as_str().unwrap().to_string()));
        }
    }
    let (bob, carol) = (app.signed_in("bob").await, app.signed_in("carol").await);
    let calls = ids
        .iter()
        .map(|(in_default, id)| {
            let c = if *in_default { &bob } else { &carol };
            let url = format!("{}/api/v1/tickets/{id}/approve", app.url);
            (c.clone(), url, json!({}))
        })
        .collect();
    let results = post_all_at_once(calls).await;
    assert_eq!(
        by_status(&results),
        BTreeMap::from([(200, 2 * N)]),
        "{results:?}"
    );

    // Each now waits at level 2 for the other.
    for c in [&bob, &carol] {
        let (_, n) = app.get(c, "/api/v1/tickets/inbox-count").await;
        assert_eq!(n["count"], N, "{n}");
    }
    let drift = app
        .count(
            "SELECT count(*) FROM users u
             LEFT JOIN inbox_counts c ON c.user_id = u.id
             WHERE COALESCE(c.waiting, 0) <> (SELECT count(*) FROM ticket_assignees a WHERE a.user_id = u.id AND a.awaiting)",
        )
        .await;
    assert_eq!(
        drift, 0,
        "every counter equals the tickets waiting for its person"
    );
}
