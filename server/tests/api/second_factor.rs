//! The second factor: an authenticator app (TOTP, codes computed here from the secret the
//! enrolment shows) with recovery codes, asked at sign-in after the password.

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;
use totp_rs::{Algorithm, Builder, Secret};

use crate::helpers::{TestApp, PASSWORD};

/// The code of `secret` (base32) for `seconds_ahead` from now.
pub fn code(secret: &str, seconds_ahead: i64) -> String {
    let t = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    t.generate((chrono::Utc::now().timestamp() + seconds_ahead) as u64)
        .to_string()
}

/// Sets up an authenticator for the signed-in `c`: (its secret, the recovery codes).
/// Gives a code of `secret` (the next step's) in `c`'s session: it counts as fresh for the
/// step-up window.
pub async fn confirm_with_code(app: &TestApp, c: &Client, secret: &str) {
    let (s, e) = app
        .post(
            c,
            "/api/v1/me/second-factor/verify",
            json!({"code": code(secret, 30)}),
        )
        .await;
    assert_eq!(s, 204, "{e}");
}

pub async fn enrol(app: &TestApp, c: &Client) -> (String, Vec<String>) {
    let (s, e) = app
        .post(c, "/api/v1/me/second-factor/totp", json!({}))
        .await;
    assert_eq!(s, 200, "{e}");
    assert!(e["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Tollgate:"));
    assert!(e["qr_code"]
        .as_str()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    let secret = e["secret"].as_str().unwrap().to_string();
    let (s, r) = app
        .post(
            c,
            "/api/v1/me/second-factor/totp/confirm",
            json!({"code": code(&secret, 0)}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let codes: Vec<String> = serde_json::from_value(r["recovery_codes"].clone()).unwrap();
    (secret, codes)
}

/// Signs in with the password: (status, answer, the browser).
async fn password(app: &TestApp, user: &str) -> (u16, Value, Client) {
    let c = app.client();
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap(), c)
}

async fn give(app: &TestApp, c: &Client, code: &str) -> (u16, Value) {
    app.post(c, "/api/v1/auth/second-factor", json!({"code": code}))
        .await
}

#[sqlx::test]
async fn an_authenticator_is_asked_after_the_password_and_each_code_works_once(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let bob = app.signed_in("bob").await;
    let (_, st) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(st["active"], false);

    // A wrong code does not turn it on.
    let (s, e) = app
        .post(&bob, "/api/v1/me/second-factor/totp", json!({}))
        .await;
    assert_eq!(s, 200);
    let secret = e["secret"].as_str().unwrap().to_string();
    let (s, err) = app
        .post(
            &bob,
            "/api/v1/me/second-factor/totp/confirm",
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (401, Some("wrong_code")),
        "{err}"
    );
    let (_, st) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(st["active"], false, "not active until a right code");
    let (s, r) = app
        .post(
            &bob,
            "/api/v1/me/second-factor/totp/confirm",
            json!({"code": code(&secret, 0)}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let recovery: Vec<String> = serde_json::from_value(r["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), 10);
    let (_, st) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(
        (st["active"].as_bool(), st["recovery_codes_left"].as_i64()),
        (Some(true), Some(10))
    );
    // Set up twice: refused while one is active.
    let (s, _) = app
        .post(&bob, "/api/v1/me/second-factor/totp", json!({}))
        .await;
    assert_eq!(s, 409);

    // The password alone no longer signs in: it asks for the code.
    let (s, e, browser) = password(&app, "bob").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("second_factor_required")),
        "{e}"
    );
    assert_eq!(app.get(&browser, "/api/v1/me").await.0, 401);
    let (s, e) = give(&app, &browser, "123456").await;
    assert_eq!((s, e["error"]["code"].as_str()), (401, Some("wrong_code")));
    // The code of the next 30 seconds (within the skew): signed in.
    let next = code(&secret, 30);
    let (s, me) = give(&app, &browser, &next).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["user"]["username"], "bob");
    assert_eq!(app.get(&browser, "/api/v1/me").await.0, 200);
    // The same code again, in another sign-in: refused. So is the older code of now.
    let (_, _, other) = password(&app, "bob").await;
    assert_eq!(give(&app, &other, &next).await.0, 401, "a replayed code");
    assert_eq!(
        give(&app, &other, &code(&secret, 0)).await.0,
        401,
        "an older code"
    );
    // A recovery code works once (spelled in upper case with a space, too).
    let (s, _) = give(&app, &other, &recovery[0].to_uppercase().replace('-', " ")).await;
    assert_eq!(s, 200);
    let (_, _, third) = password(&app, "bob").await;
    assert_eq!(
        give(&app, &third, &recovery[0]).await.0,
        401,
        "a recovery code used twice"
    );
    let (_, st) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(st["recovery_codes_left"], 9);
    // The waiting sign-in is used up by its success: a second code on it finds nothing.
    assert_eq!(give(&app, &browser, &recovery[1]).await.0, 404);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE second_factor_at IS NOT NULL")
            .await,
        2
    );
}

#[sqlx::test]
async fn guessing_codes_is_limited_like_guessing_passwords(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let dave = app.signed_in("dave").await;
    let (secret, _) = enrol(&app, &dave).await;
    let (_, _, browser) = password(&app, "dave").await;
    for _ in 0..10 {
        assert_eq!(give(&app, &browser, "000000").await.0, 401);
    }
    let (s, e) = give(&app, &browser, &code(&secret, 30)).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{e}"
    );
}

#[sqlx::test]
async fn a_factor_is_removed_with_a_code_or_reset_by_a_super_admin(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let bob = app.signed_in("bob").await;
    let dave = app.signed_in("dave").await;

    // Removing one's own needs a right code (a recovery code is one).
    let (_, recovery) = enrol(&app, &bob).await;
    let (s, _) = app
        .post(
            &bob,
            "/api/v1/me/second-factor/remove",
            json!({"code": "111111"}),
        )
        .await;
    assert_eq!(s, 401);
    let (s, _) = app
        .post(
            &bob,
            "/api/v1/me/second-factor/remove",
            json!({"code": recovery[0]}),
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(
        password(&app, "bob").await.0,
        200,
        "the password alone again"
    );
    // His history says what happened, newest first, and who did it.
    let history = |v: &Value| -> Vec<(String, Option<String>)> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(e["at"].is_string(), "{e}");
                (
                    e["kind"].as_str().unwrap().to_string(),
                    e["actor"].as_str().map(str::to_string),
                )
            })
            .collect()
    };
    let (s, mine) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(s, 200, "{mine}");
    let bob_did = |kind: &str| (kind.to_string(), Some("Bob Builder".to_string()));
    assert_eq!(
        history(&mine),
        vec![
            bob_did("second_factor_removed"),
            bob_did("recovery_code_used"),
            bob_did("second_factor_set_up"),
        ]
    );

    // A lost phone: a super admin resets it; the person's sessions end.
    enrol(&app, &dave).await;
    let dave_id = app.user_id("dave").await;
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/users/{dave_id}/second-factor"))
        .await;
    assert_eq!(s, 403, "only super admins");
    let (s, _) = app
        .delete_json(&admin, &format!("/api/v1/users/{dave_id}/second-factor"))
        .await;
    assert_eq!(s, 204);
    assert_eq!(
        app.get(&dave, "/api/v1/me").await.0,
        401,
        "signed out everywhere"
    );
    let (s, _, dave) = password(&app, "dave").await;
    assert_eq!(s, 200);
    let (s, _) = app
        .delete_json(&admin, &format!("/api/v1/users/{dave_id}/second-factor"))
        .await;
    assert_eq!(s, 404, "nothing left to reset");
    // The reset is kept in his history, naming who did it; super admins may read it.
    let theirs = format!("/api/v1/users/{dave_id}/second-factor");
    assert_eq!(app.get(&bob, &theirs).await.0, 403, "only super admins");
    let (s, his) = app.get(&admin, &theirs).await;
    assert_eq!(s, 200, "{his}");
    assert_eq!(his["active"], false);
    assert_eq!(
        history(&his)[0],
        (
            "second_factor_reset".to_string(),
            Some("Ada Admin".to_string())
        )
    );
    assert_eq!(
        app.get(
            &admin,
            &format!("/api/v1/users/{}/second-factor", uuid::Uuid::new_v4())
        )
        .await
        .0,
        404
    );
    // And he is told, with the way to set up a new one.
    let (_, n) = app.get(&dave, "/api/v1/notifications").await;
    let told = &n["items"][0];
    assert_eq!(told["kind"], "security", "{n}");
    assert_eq!(told["title"], "Your second factor was reset");
    assert_eq!(told["link"], "/security");
    assert!(
        told["body"].as_str().unwrap().contains("Ada Admin"),
        "{told}"
    );

    // An API token cannot set one up.
    refused_to_a_token(&app, &bob, "/api/v1/me/second-factor/totp").await;
}

/// A POST to `path` with an API token of `c`'s person: 403, a browser session is needed.
pub async fn refused_to_a_token(app: &TestApp, c: &Client, path: &str) {
    let (s, t) = app
        .post(c, "/api/v1/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(s, 201, "{t}");
    let r = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .bearer_auth(t["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{path}");
}

#[sqlx::test]
async fn a_policy_walks_the_people_it_covers_through_setting_one_up_at_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let (s, e) = app
        .put(
            &admin,
            "/api/v1/sign-in/settings",
            json!({"second_factor": "admins"}),
        )
        .await;
    assert_eq!(
        (s, e["second_factor"].as_str()),
        (200, Some("admins")),
        "{e}"
    );

    // dave is no admin: the password alone, as before.
    assert_eq!(password(&app, "dave").await.0, 200);
    // bob administers Default: his sign-in waits until he has set one up.
    let (s, e, browser) = password(&app, "bob").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("second_factor_setup_required")),
        "{e}"
    );
    assert_eq!(app.get(&browser, "/api/v1/me").await.0, 401);
    // A code cannot stand in for setting one up.
    let (s, e) = give(&app, &browser, "123456").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("second_factor_setup_required"))
    );
    let (s, en) = app
        .post(&browser, "/api/v1/auth/set-up/totp", json!({}))
        .await;
    assert_eq!(s, 200, "{en}");
    let secret = en["secret"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            &browser,
            "/api/v1/auth/set-up/confirm",
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(s, 401);
    let r = browser
        .post(format!("{}/api/v1/auth/set-up/confirm", app.url))
        .json(&json!({"code": code(&secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let codes: Vec<String> =
        serde_json::from_str(r.headers()["x-recovery-codes"].to_str().unwrap()).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(app.get(&browser, "/api/v1/me").await.1["username"], "bob");
    // From now on his sign-in asks for a code like anyone's with a second factor.
    let (s, e, next) = password(&app, "bob").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("second_factor_required"))
    );
    assert_eq!(give(&app, &next, &code(&secret, 30)).await.0, 200);
}

#[sqlx::test]
async fn the_command_line_resets_a_lost_second_factor_so_the_last_super_admin_gets_back_in(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    enrol(&app, &admin).await;
    assert_eq!(
        password(&app, "admin").await.0,
        401,
        "the password alone no longer signs in"
    );
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(pool.connect_options().get_database().unwrap());
    let run = |user: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["reset-second-factor", "--username", user])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", url.as_str())
            .output()
            .unwrap()
    };
    let out = run("admin");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("removed"),
        "{said} {out:?}"
    );
    // Their sessions ended; the password signs in again, and they can set up a new one.
    assert_eq!(app.get(&admin, "/api/v1/me").await.0, 401);
    let (s, e, admin) = password(&app, "admin").await;
    assert_eq!(s, 200, "{e}");
    // The history keeps the reset, by nobody signed in (the command line).
    let (_, mine) = app.get(&admin, "/api/v1/me/second-factor").await;
    assert_eq!(mine["events"][0]["kind"], "second_factor_reset", "{mine}");
    assert!(mine["events"][0]["actor"].is_null(), "{mine}");
    let (_, n) = app.get(&admin, "/api/v1/notifications").await;
    assert!(
        n["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains("from the server's command line"),
        "{n}"
    );
    // Nobody by that name: a failure that says so.
    let out = run("nobody-here");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named nobody-here"));
}

#[sqlx::test]
async fn the_approvers_policy_covers_whoever_a_flow_names_and_nobody_else(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let (s, e) = app
        .put(
            &admin,
            "/api/v1/sign-in/settings",
            json!({"second_factor": "approvers"}),
        )
        .await;
    assert_eq!(
        (s, e["second_factor"].as_str()),
        (200, Some("approvers")),
        "{e}"
    );
    // The demo's Default flow: level 1 its org admins (bob), level 2 carol by name.
    let setup = Some("second_factor_setup_required");
    for (user, asked) in [
        ("carol", true),
        ("bob", true),
        ("alice", false),
        ("dave", false),
    ] {
        let (s, e, _) = password(&app, user).await;
        let want = if asked { (401, setup) } else { (200, None) };
        assert_eq!((s, e["error"]["code"].as_str()), want, "{user}: {e}");
    }
    // Named in no flow any more, carol signs in with her password alone.
    let bob = app.user_id("bob").await;
    app.set_default_flow(
        json!({"levels": [{"selector": {"users": [bob]}, "rule": "any"}], "cc": []}),
    )
    .await;
    assert_eq!(password(&app, "carol").await.0, 200);
}
