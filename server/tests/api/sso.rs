//! Single sign-on against real peers: an OpenID provider (npm's oidc-provider, a certified
//! implementation: tests/peers/oidc) and an LDAP directory (OpenLDAP's slapd over ldaps://
//! with a certificate of a private CA), both started here on private ports.

use std::path::Path;
use std::time::Duration;

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::TestApp;
use crate::pki::Pki;
use crate::tls::free_port;

/// Where the provider sends browsers back to: Tollgate's public URL (the tests call the
/// server's real address with the same path and query).
const PUBLIC: &str = "http://127.0.0.1:1";

/// A running OpenID provider (stopped when dropped).
struct Provider {
    issuer: String,
    _child: tokio::process::Child,
}

impl Provider {
    async fn start(clock_offset_seconds: i64) -> Provider {
        let port = free_port();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc");
        let mut child = tokio::process::Command::new("node")
            .arg(dir.join("oidc-peer.mjs"))
            .arg(port.to_string())
            .arg(format!("{PUBLIC}/auth/oidc/callback"))
            .current_dir(&dir)
            .env("CLOCK_OFFSET_SECONDS", clock_offset_seconds.to_string())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the test provider (scripts/install-tools.sh --test)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the provider starts");
        assert_eq!(ready.unwrap(), Some(format!("ready {port}")));
        Provider {
            issuer: format!("http://127.0.0.1:{port}"),
            _child: child,
        }
    }

    async fn control(&self, what: &str) {
        let r = reqwest::Client::new()
            .post(format!("{}/_test/{what}", self.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{what}");
    }
}

/// A server with the demo data whose public URL is [`PUBLIC`], trusting `ca` too.
async fn sso_app(pool: &PgPool, ca: Option<&Path>) -> TestApp {
    tollgate_server::prepare(pool).await.unwrap();
    tollgate_server::usecases::demo::load(pool).await.unwrap();
    let mut c = tollgate_server::Config::for_tests("postgres://unused");
    c.public_url = Some(PUBLIC.into());
    c.ca_file = ca.map(Path::to_path_buf);
    TestApp::spawn_with(pool.clone(), c).await
}

/// Maps `admins` to admin of `org` and `ops` to member of it, for `provider`.
async fn map_admins_and_ops(app: &TestApp, admin: &Client, provider: &str, org: uuid::Uuid) {
    for (group, role) in [("admins", "org_admin"), ("ops", "org_user")] {
        let (s, m) = app
            .post(
                admin,
                "/api/v1/sign-in/mappings",
                json!({"provider": provider, "group": group, "org_id": org, "role": role}),
            )
            .await;
        assert_eq!(s, 201, "{m}");
    }
}

fn jar() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", r.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Turns on OpenID Connect (as the admin) at `provider`.
async fn configure_oidc(app: &TestApp, admin: &Client, p: &Provider, create_users: bool) {
    let (s, body) = app
        .put(
            admin,
            "/api/v1/sign-in/settings",
            json!({
                "oidc": {
                    "enabled": true, "issuer": p.issuer, "client_id": "tollgate",
                    "client_secret": "tollgate-secret", "button_label": "Sign in with Example ID",
                    "create_users": create_users
                }
            }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["oidc"]["client_secret_set"], true);
    assert!(body["oidc"].get("client_secret").is_none(), "{body}");
}

/// Starts a sign-in in `browser`: the provider's authorization URL.
async fn start(app: &TestApp, browser: &Client) -> String {
    let r = browser
        .get(format!("{}/auth/oidc/start?next=/tickets", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    location(&r)
}

/// Signs in at the provider from `auth_url` as `user`: the callback URL it sends back to
/// (at Tollgate's real address).
async fn at_provider(app: &TestApp, auth_url: &str, user: &str, password: &str) -> String {
    // A new connection per request: the provider's server closes kept-alive ones between steps.
    let provider = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut url = url::Url::parse(auth_url).unwrap();
    for _ in 0..10 {
        let r = provider
            .get(url.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
        if r.status() == 200 {
            // The login form.
            let r = provider
                .post(url.clone())
                .form(&[("username", user), ("password", password)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "the provider accepts {user}");
            url = url.join(&location(&r)).unwrap();
            continue;
        }
        let next = location(&r);
        if let Some(rest) = next.strip_prefix(PUBLIC) {
            return format!("{}{rest}", app.url);
        }
        url = url.join(&next).unwrap();
    }
    panic!("the provider never sent the browser back");
}

/// A whole sign-in as `user` in a fresh browser: (the browser, the callback's answer).
async fn sign_in(app: &TestApp, user: &str, password: &str) -> (Client, reqwest::Response) {
    let browser = jar();
    let auth = start(app, &browser).await;
    let back = at_provider(app, &auth, user, password).await;
    let r = browser.get(back).send().await.unwrap();
    (browser, r)
}

async fn refused_with(r: reqwest::Response, code: &str) -> String {
    let status = r.status();
    let set_cookie: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let page = r.text().await.unwrap();
    assert!(status.is_client_error(), "{status}: {page}");
    assert!(
        page.contains(&format!("data-code=\"{code}\"")),
        "wanted {code}: {page}"
    );
    assert!(
        !set_cookie
            .iter()
            .any(|c| c.starts_with("tollgate_session=")),
        "nobody is signed in: {set_cookie:?}"
    );
    page
}

async fn me(app: &TestApp, c: &Client) -> (u16, Value) {
    app.get(c, "/api/v1/me").await
}

fn role_in(me: &Value, org: &str) -> Option<String> {
    me["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["org_name"] == org)
        .map(|m| m["role"].as_str().unwrap().to_string())
}

#[sqlx::test]
async fn oidc_sign_in_links_the_person_and_keeps_memberships_in_step_with_groups(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let p = Provider::start(0).await;
    let admin = app.signed_in("admin").await;

    // Before it is on, the sign-in page offers no button.
    let (_, opts) = app.get(&app.client(), "/api/v1/sign-in/options").await;
    assert_eq!(opts["oidc_button"], Value::Null);
    configure_oidc(&app, &admin, &p, true).await;
    let (_, opts) = app.get(&app.client(), "/api/v1/sign-in/options").await;
    assert_eq!(opts["oidc_button"], "Sign in with Example ID");

    let default = app.org_id("Default").await;
    map_admins_and_ops(&app, &admin, "oidc", default).await;
    // The same mapping twice is refused; so is one that gives nothing.
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/sign-in/mappings",
            json!({"provider": "oidc", "group": "OPS", "org_id": default, "role": "org_user"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (409, Some("group")),
        "{e}"
    );
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/sign-in/mappings",
            json!({"provider": "oidc", "group": "x"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");

    // alice at the provider is not the demo's alice: a new person, never linked by name.
    let (browser, r) = sign_in(&app, "alice", "alice-pw").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/tickets");
    let (s, who) = me(&app, &browser).await;
    assert_eq!(s, 200);
    assert_eq!(who["username"], "alice-2");
    assert_eq!(who["display_name"], "Alice Ops");
    assert_eq!(role_in(&who, "Default").as_deref(), Some("org_admin"));
    let first_id = who["id"].clone();
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE method = 'oidc'")
            .await,
        1
    );
    // She can do what a password user can: apply for access.
    let asset = app.asset_id("web-01").await;
    let (s, t) = app
        .post(
            &browser,
            "/api/v1/tickets",
            TestApp::apply_body(default, "from sso", &[asset]),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    // As an org admin of Default she approves its first level, like bob.
    let dave = app.signed_in("dave").await;
    let (s, other) = app
        .post(
            &dave,
            "/api/v1/tickets",
            TestApp::apply_body(default, "dave's", &[asset]),
        )
        .await;
    assert_eq!(s, 201, "{other}");
    let (s, done) = app.act(&browser, &other["id"], "approve", json!({})).await;
    assert_eq!(s, 200, "{done}");
    // ... and her own request goes to the flow's other approvers: she holds a grant.
    for approver in ["bob", "carol"] {
        let c = app.signed_in(approver).await;
        assert_eq!(app.act(&c, &t["id"], "approve", json!({})).await.0, 200);
    }
    let grant = format!("/api/v1/grants/{}", t["id"].as_str().unwrap());
    assert_eq!(app.get(&admin, &grant).await.1["status"], "active");

    // Out of "admins" at the provider, and renamed there: at the next sign-in she is an org
    // user under her new name, the same person.
    p.control("groups?user=alice&groups=ops").await;
    p.control("name?user=alice&name=Alice%20Renamed").await;
    let (browser, _) = sign_in(&app, "alice", "alice-pw").await;
    let (_, who) = me(&app, &browser).await;
    assert_eq!(who["id"], first_id);
    assert_eq!(who["display_name"], "Alice Renamed");
    assert_eq!(role_in(&who, "Default").as_deref(), Some("org_user"));
    assert_eq!(app.get(&admin, &grant).await.1["status"], "active");
    // Out of every group: the membership ends.
    p.control("groups?user=alice&groups=").await;
    let (browser, _) = sign_in(&app, "alice", "alice-pw").await;
    let (_, who) = me(&app, &browser).await;
    assert_eq!(role_in(&who, "Default"), None, "{who}");
    // Out of the org, her grant in it ends too.
    assert_eq!(app.get(&admin, &grant).await.1["status"], "revoked");

    // A membership an administrator gave by hand is not the mapping's to take.
    let (s, _) = app
        .put(
            &admin,
            &format!("/api/v1/orgs/{default}/members"),
            json!({"user_id": first_id, "role": "org_auditor"}),
        )
        .await;
    assert_eq!(s, 200);
    let (browser, _) = sign_in(&app, "alice", "alice-pw").await;
    let (_, who) = me(&app, &browser).await;
    assert_eq!(role_in(&who, "Default").as_deref(), Some("org_auditor"));

    // A group can make super admins; leaving it takes that back (and only that).
    let (s, m) = app
        .post(
            &admin,
            "/api/v1/sign-in/mappings",
            json!({"provider": "oidc", "group": "root", "super_admin": true}),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    p.control("groups?user=alice&groups=root").await;
    let (browser, _) = sign_in(&app, "alice", "alice-pw").await;
    let (_, who) = me(&app, &browser).await;
    assert_eq!(who["system_role"], "super_admin", "{who}");
    p.control("groups?user=alice&groups=").await;
    let (browser, _) = sign_in(&app, "alice", "alice-pw").await;
    let (_, who) = me(&app, &browser).await;
    assert_eq!(who["system_role"], "user", "{who}");
    // The demo's admin, made super admin by hand, is no mapping's to demote.
    assert_eq!(me(&app, &admin).await.1["system_role"], "super_admin");

    // Deactivated in Tollgate: the provider's word is not enough.
    let (s, _) = app
        .delete_json(
            &admin,
            &format!("/api/v1/users/{}", first_id.as_str().unwrap()),
        )
        .await;
    assert_eq!(s, 200);
    let (_, r) = sign_in(&app, "alice", "alice-pw").await;
    refused_with(r, "account_deactivated").await;
}

#[sqlx::test]
async fn oidc_refuses_forged_replayed_and_foreign_answers(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let p = Provider::start(0).await;
    let admin = app.signed_in("admin").await;
    configure_oidc(&app, &admin, &p, true).await;

    // A state this server never made.
    let browser = jar();
    let r = browser
        .get(format!(
            "{}/auth/oidc/callback?code=abc&state=forged",
            app.url
        ))
        .send()
        .await
        .unwrap();
    refused_with(r, "sso_state_unknown").await;
    assert_eq!(me(&app, &browser).await.0, 401);

    // A real answer opened in another browser (login CSRF): its state is not this browser's.
    let starter = jar();
    let auth = start(&app, &starter).await;
    let back = at_provider(&app, &auth, "bob", "bob-pw").await;
    let r = jar().get(&back).send().await.unwrap();
    refused_with(r, "sso_state_unknown").await;
    // ... and the same answer used twice in its own browser works once.
    let r = starter.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = starter.get(&back).send().await.unwrap();
    refused_with(r, "sso_state_unknown").await;

    // A used code under a fresh state: the provider refuses it.
    let code = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let browser = jar();
    let auth = start(&app, &browser).await;
    let state = url::Url::parse(&auth)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let r = browser
        .get(format!(
            "{}/auth/oidc/callback?code={code}&state={state}",
            app.url
        ))
        .send()
        .await
        .unwrap();
    refused_with(r, "sso_code_refused").await;

    // The provider signed a token for another nonce than this sign-in's.
    let browser = jar();
    let auth = start(&app, &browser).await;
    let swapped = auth.replace("nonce=", "nonce=other");
    let back = at_provider(&app, &swapped, "bob", "bob-pw").await;
    let r = browser.get(back).send().await.unwrap();
    let page = refused_with(r, "sso_token_invalid").await;
    assert!(page.contains("nonce"), "{page}");

    // A code the provider made for another application.
    let browser = jar();
    let auth = start(&app, &browser).await;
    let other = auth.replace("client_id=tollgate", "client_id=other-app");
    let back = at_provider(&app, &other, "bob", "bob-pw").await;
    let r = browser.get(back).send().await.unwrap();
    refused_with(r, "sso_code_refused").await;

    // The provider said no.
    let r = jar()
        .get(format!(
            "{}/auth/oidc/callback?error=access_denied&error_description=nope",
            app.url
        ))
        .send()
        .await
        .unwrap();
    refused_with(r, "sso_provider_error").await;

    // A token signed with a key the provider does not publish.
    p.control("rogue").await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    let page = refused_with(r, "sso_token_invalid").await;
    assert!(page.contains("key"), "{page}");
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE method = 'oidc'")
            .await,
        1,
        "only the one good answer signed anyone in"
    );
}

#[sqlx::test]
async fn oidc_follows_key_rotation_and_tolerates_small_clock_skew_only(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let admin = app.signed_in("admin").await;

    let p = Provider::start(0).await;
    configure_oidc(&app, &admin, &p, true).await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303);
    // A new key signs now; Tollgate only knew the old one.
    p.control("rotate").await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    drop(p);

    // A provider whose clock is 30 seconds ahead: its tokens are still accepted.
    let p = Provider::start(30).await;
    configure_oidc(&app, &admin, &p, true).await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    drop(p);

    // Tokens that expired 10 minutes ago (a provider 15 minutes behind, 5-minute tokens).
    let p = Provider::start(-900).await;
    configure_oidc(&app, &admin, &p, true).await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    let page = refused_with(r, "sso_token_invalid").await;
    assert!(page.contains("expired"), "{page}");
}

#[sqlx::test]
async fn oidc_without_account_creation_asks_for_an_administrator(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let admin = app.signed_in("admin").await;
    let p = Provider::start(0).await;
    configure_oidc(&app, &admin, &p, false).await;
    let before = app.count("SELECT count(*) FROM users").await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    let page = refused_with(r, "sso_no_account").await;
    assert!(page.contains("Ask an administrator"), "{page}");
    assert_eq!(app.count("SELECT count(*) FROM users").await, before);
}

#[sqlx::test]
async fn oidc_sign_in_is_held_by_a_review_login_rule_like_a_password_one(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let admin = app.signed_in("admin").await;
    let p = Provider::start(0).await;
    configure_oidc(&app, &admin, &p, true).await;
    // The provider's bob is bob-2 here; from now on his sign-ins wait for the admin's review.
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303);
    let admin_id = app.user_id("admin").await;
    let (s, rule) = app
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "bob-2 needs a witness", "priority": 1, "users": {"names": ["bob-2"]},
                   "action": "review", "reviewers": [admin_id]}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    let (browser, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login/wait"), "{}", location(&r));
    assert_eq!(me(&app, &browser).await.0, 401);
    let (s, pending) = app.get(&browser, "/api/v1/auth/pending").await;
    assert_eq!(s, 200, "{pending}");
    let (s, _) = app
        .post(
            &admin,
            &format!(
                "/api/v1/tickets/{}/approve",
                pending["ticket_id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, pending) = app.get(&browser, "/api/v1/auth/pending").await;
    assert_eq!(
        (s, pending["signed_in"].as_bool()),
        (200, Some(true)),
        "{pending}"
    );
    assert_eq!(me(&app, &browser).await.0, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE method = 'oidc'")
            .await,
        2
    );
}

#[sqlx::test]
async fn sign_in_settings_are_checked_and_passwords_can_be_kept_for_super_admins(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let bob = app.signed_in("bob").await;
    let (s, _) = app.get(&bob, "/api/v1/sign-in/settings").await;
    assert_eq!(s, 403);
    for (body, field) in [
        (
            json!({"oidc": {"enabled": true, "issuer": "http://idp.example.com", "client_id": "x"}}),
            "oidc.issuer",
        ),
        (
            json!({"oidc": {"enabled": true, "issuer": "https://idp.example.com", "client_id": ""}}),
            "oidc.client_id",
        ),
        (
            json!({"ldap": {"enabled": true, "url": "ldap://dir.example.com", "user_base": "dc=x"}}),
            "ldap.url",
        ),
        (
            json!({"ldap": {"enabled": true, "url": "ldaps://dir.example.com", "user_base": "dc=x", "user_filter": "(uid=x)"}}),
            "ldap.user_filter",
        ),
        (
            json!({"password_sign_in": "super_admins_only"}),
            "password_sign_in",
        ),
        (
            json!({"ldap": {"sync_minutes": 2_147_483_648u64}}),
            "ldap.sync_minutes",
        ),
    ] {
        let (s, e) = app.put(&admin, "/api/v1/sign-in/settings", body).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    // With a provider on, passwords can be kept for super admins (break-glass).
    let (s, e) = app
        .put(
            &admin,
            "/api/v1/sign-in/settings",
            json!({"password_sign_in": "super_admins_only",
                   "oidc": {"enabled": true, "issuer": "https://idp.example.com", "client_id": "tollgate"}}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let (_, opts) = app.get(&app.client(), "/api/v1/sign-in/options").await;
    assert_eq!(opts["password_super_admins_only"], true);
    let r = app
        .client()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "carol", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "password_sign_in_off");
    // A wrong password still says only that.
    let r = app
        .client()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "carol", "password": "nope-nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.signed_in("admin").await;
}

/// A running slapd (stopped when dropped): ldaps:// with a certificate of `pki`, and ldap://
/// for StartTLS.
struct Directory {
    url: String,
    plain_url: String,
    _child: tokio::process::Child,
}

const BASE: &str = "dc=example,dc=test";
const SEED: &str = "dn: dc=example,dc=test
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=test
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=test
objectClass: organizationalUnit
ou: groups

dn: ou=services,dc=example,dc=test
objectClass: organizationalUnit
ou: services

dn: cn=tollgate,ou=services,dc=example,dc=test
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: tollgate
userPassword: service-pw

dn: uid=dana,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: dana
cn: Dana Directory
sn: Directory
mail: dana@example.test
userPassword: dana-pw

dn: uid=erin,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: erin
cn: Erin Gone
sn: Gone
mail: erin@example.test
userPassword: erin-pw

dn: uid=frank,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: frank
cn: Frank Disabled
sn: Disabled
employeeType: disabled
userPassword: frank-pw

dn: cn=ops,ou=groups,dc=example,dc=test
objectClass: groupOfNames
cn: ops
member: uid=dana,ou=people,dc=example,dc=test
member: uid=erin,ou=people,dc=example,dc=test

dn: cn=admins,ou=groups,dc=example,dc=test
objectClass: groupOfNames
cn: admins
member: uid=dana,ou=people,dc=example,dc=test
";

impl Directory {
    async fn start(pki: &Pki) -> Directory {
        let leaf = pki.leaf("ldap", &["127.0.0.1", "localhost"]);
        let dir = pki
            .dir
            .join(format!("slapd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("db")).unwrap();
        let port = free_port();
        let plain = free_port();
        let conf = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile {d}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 16777216
suffix \"{BASE}\"
rootdn \"cn=admin,{BASE}\"
rootpw admin-pw
directory {d}/db
overlay memberof
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by dn.exact=\"cn=tollgate,ou=services,{BASE}\" read by self read by * none
",
            d = dir.display(),
            cert = leaf.cert.display(),
            key = leaf.key.display(),
        );
        std::fs::write(dir.join("slapd.conf"), conf).unwrap();
        let child = tokio::process::Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-h")
            .arg(format!(
                "ldaps://127.0.0.1:{port}/ ldap://127.0.0.1:{plain}/"
            ))
            .args(["-d", "0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("slapd runs (scripts/install-tools.sh --test installs it)");
        let d = Directory {
            url: format!("ldaps://127.0.0.1:{port}"),
            plain_url: format!("ldap://127.0.0.1:{plain}"),
            _child: child,
        };
        // Seed it as its root, over the same TLS.
        let mut tries = 0;
        loop {
            match d.admin(&pki.ca_file).await {
                Ok(mut ldap) => {
                    for entry in SEED.split("\n\n") {
                        let mut dn = String::new();
                        let mut attrs: Vec<(String, std::collections::HashSet<String>)> = vec![];
                        for line in entry.lines() {
                            let (k, v) = line.split_once(": ").unwrap();
                            if k == "dn" {
                                dn = v.to_string();
                            } else if let Some(a) = attrs.iter_mut().find(|a| a.0 == k) {
                                a.1.insert(v.to_string());
                            } else {
                                attrs.push((k.to_string(), [v.to_string()].into()));
                            }
                        }
                        ldap.add(&dn, attrs).await.unwrap().success().unwrap();
                    }
                    break;
                }
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("slapd does not answer: {e}"),
            }
        }
        d
    }

    async fn admin(&self, ca: &Path) -> Result<ldap3::Ldap, ldap3::LdapError> {
        let roots = tollgate_server::tls::Roots::with_ca_file(ca).unwrap();
        let settings =
            ldap3::LdapConnSettings::new().set_config(std::sync::Arc::new(roots.client_config()));
        let (conn, mut ldap) = ldap3::LdapConnAsync::with_settings(settings, &self.url).await?;
        ldap3::drive!(conn);
        ldap.simple_bind(&format!("cn=admin,{BASE}"), "admin-pw")
            .await?
            .success()?;
        Ok(ldap)
    }
}

#[sqlx::test]
async fn ldap_sign_in_maps_groups_and_the_sync_deactivates_who_left(pool: PgPool) {
    let pki = Pki::new("ldap");
    let dir = Directory::start(&pki).await;
    let app = sso_app(&pool, Some(&pki.ca_file)).await;
    let admin = app.signed_in("admin").await;
    let (s, e) = app
        .put(
            &admin,
            "/api/v1/sign-in/settings",
            json!({"ldap": {
                "enabled": true, "url": dir.url, "bind_dn": format!("cn=tollgate,ou=services,{BASE}"),
                "bind_password": "service-pw", "user_base": format!("ou=people,{BASE}"),
                "user_filter": "(&(objectClass=inetOrgPerson)(uid={username})(!(employeeType=disabled)))",
                "group_base": format!("ou=groups,{BASE}")
            }}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let default = app.org_id("Default").await;
    map_admins_and_ops(&app, &admin, "ldap", default).await;
    let login = |user: &'static str, password: &'static str| {
        let c = app.client();
        let url = format!("{}/api/v1/auth/login", app.url);
        async move {
            let r = c
                .post(url)
                .json(&json!({"username": user, "password": password}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), c)
        }
    };
    let (s, dana) = login("dana", "dana-pw").await;
    assert_eq!(s, 200);
    let (_, who) = me(&app, &dana).await;
    assert_eq!(who["display_name"], "Dana Directory");
    assert_eq!(role_in(&who, "Default").as_deref(), Some("org_admin"));
    let (s, erin) = login("erin", "erin-pw").await;
    assert_eq!(s, 200);
    let (_, who) = me(&app, &erin).await;
    assert_eq!(role_in(&who, "Default").as_deref(), Some("org_user"));
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE method = 'ldap'")
            .await,
        2
    );
    // A wrong password, an empty one, someone the filter leaves out, someone unknown.
    for (user, pw, want) in [
        ("dana", "wrong", 401),
        ("dana", "", 401),
        ("frank", "frank-pw", 401),
        ("nobody", "x", 401),
    ] {
        assert_eq!(login(user, pw).await.0, want, "{user}/{pw}");
    }
    // Guessing against the directory is limited like guessing passwords.
    for _ in 0..10 {
        assert_eq!(login("ghost", "guess").await.0, 401);
    }
    assert_eq!(login("ghost", "guess").await.0, 429);
    // The demo's local people keep their passwords.
    assert_eq!(login("bob", crate::helpers::PASSWORD).await.0, 200);

    // The same directory over StartTLS, groups read from the person's memberOf: the same
    // person (linked by the entry's id), the same memberships.
    let (s, e) = app
        .put(
            &admin,
            "/api/v1/sign-in/settings",
            json!({"ldap": {
                "enabled": true, "url": dir.plain_url, "starttls": true,
                "bind_dn": format!("cn=tollgate,ou=services,{BASE}"),
                "user_base": format!("ou=people,{BASE}"),
                "user_filter": "(&(objectClass=inetOrgPerson)(uid={username})(!(employeeType=disabled)))",
                "group_base": ""
            }}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        e["ldap"]["bind_password_set"], true,
        "the password was kept"
    );
    let (s, dana_again) = login("dana", "dana-pw").await;
    assert_eq!(s, 200);
    let (_, again) = me(&app, &dana_again).await;
    assert_eq!(again["id"], me(&app, &dana).await.1["id"]);
    assert_eq!(role_in(&again, "Default").as_deref(), Some("org_admin"));

    // erin leaves the directory: the sync deactivates her and ends her session.
    let mut root = dir.admin(&pki.ca_file).await.unwrap();
    root.delete(&format!("uid=erin,ou=people,{BASE}"))
        .await
        .unwrap()
        .success()
        .unwrap();
    let roots = tollgate_server::tls::Roots::with_ca_file(&pki.ca_file).unwrap();
    let n = tollgate_server::jobs::directory_sync::run_once(&pool, &roots)
        .await
        .unwrap();
    assert_eq!(n, Some(1));
    assert_eq!(me(&app, &erin).await.0, 401);
    assert_eq!(me(&app, &dana).await.0, 200);
    assert_eq!(login("erin", "erin-pw").await.0, 401);
    // dana is put outside the filter: the next round deactivates her too.
    root.modify(
        &format!("uid=dana,ou=people,{BASE}"),
        vec![ldap3::Mod::Add("employeeType", ["disabled"].into())],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let n = tollgate_server::jobs::directory_sync::run_once(&pool, &roots)
        .await
        .unwrap();
    assert_eq!(n, Some(1));
    assert_eq!(me(&app, &dana).await.0, 401);
}

#[sqlx::test]
async fn a_second_factor_is_asked_after_single_sign_on_too(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let admin = app.signed_in("admin").await;
    let p = Provider::start(0).await;
    configure_oidc(&app, &admin, &p, true).await;
    let (browser, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303);
    // bob-2 sets up an authenticator app.
    let (s, e) = app
        .post(&browser, "/api/v1/me/second-factor/totp", json!({}))
        .await;
    assert_eq!(s, 200, "{e}");
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(e["secret"].as_str().unwrap()).unwrap())
        .build()
        .unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    let (s, _) = app
        .post(
            &browser,
            "/api/v1/me/second-factor/totp/confirm",
            json!({"code": totp.generate(now).to_string()}),
        )
        .await;
    assert_eq!(s, 200);
    // The provider's word is the first factor only: the browser goes on to the code page.
    let (again, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login/code?next=%2Ftickets");
    assert_eq!(me(&app, &again).await.0, 401);
    let (s, _) = app
        .post(
            &again,
            "/api/v1/auth/second-factor",
            json!({"code": totp.generate(now + 30).to_string()}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(me(&app, &again).await.1["username"], "bob-2");
}

#[sqlx::test]
async fn a_providers_second_factor_counts_only_when_the_setting_trusts_its_amr(pool: PgPool) {
    let app = sso_app(&pool, None).await;
    let admin = app.signed_in("admin").await;
    let p = Provider::start(0).await;
    configure_oidc(&app, &admin, &p, true).await;
    let (s, e) = app.get(&admin, "/api/v1/sign-in/settings").await;
    assert_eq!(s, 200);
    let mut settings = e;
    settings["second_factor"] = json!("everyone");
    let (s, e) = app
        .put(&admin, "/api/v1/sign-in/settings", settings.clone())
        .await;
    assert_eq!(s, 200, "{e}");
    // The provider asked for a code (amr: pwd, otp), but the setting does not trust it yet:
    // bob is walked through setting up Tollgate's own.
    p.control("amr?user=bob&amr=pwd,otp").await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(location(&r), "/login/set-up?next=%2Ftickets");
    // Trusted: the provider's second factor stands in for Tollgate's.
    settings["oidc"]["trust_amr"] = json!(true);
    let (s, e) = app
        .put(&admin, "/api/v1/sign-in/settings", settings.clone())
        .await;
    assert_eq!(
        (s, e["oidc"]["trust_amr"].as_bool()),
        (200, Some(true)),
        "{e}"
    );
    let (browser, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(location(&r), "/tickets");
    assert_eq!(me(&app, &browser).await.0, 200);
    // A password alone at the provider is not a second factor, trusted or not.
    p.control("amr?user=bob&amr=pwd").await;
    let (_, r) = sign_in(&app, "bob", "bob-pw").await;
    assert_eq!(location(&r), "/login/set-up?next=%2Ftickets");
}
