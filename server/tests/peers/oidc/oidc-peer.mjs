// The OpenID provider the tests sign in at: the oidc-provider package (a certified OpenID
// Provider), with a plain login form, two people whose groups differ, and test controls.
//   node oidc-peer.mjs PORT REDIRECT_URI      prints "ready PORT" once it listens
// Environment: CLOCK_OFFSET_SECONDS shifts the provider's clock (tokens issued in the past or
// future). Controls (POST): /_test/rotate (a new key signs, the old one stays published),
// /_test/rogue (tokens signed with a key the provider does not publish),
// /_test/groups?user=alice&groups=a,b (change a person's groups), /_test/name?user=alice&name=…,
// /_test/amr?user=alice&amr=pwd,otp (how the provider says the person signed in: the `amr` claim)
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const offset = Number(process.env.CLOCK_OFFSET_SECONDS || 0) * 1000;
if (offset) {
  const now = Date.now.bind(Date);
  Date.now = () => now() + offset;
}
// The provider's own notices (development adapter, Node version) go nowhere; the rest to
// standard error. Standard output carries only the "ready" line.
const chatter = (...a) => { const t = a.join(' '); if (!/oidc-provider (NOTICE|WARNING)/.test(t)) process.stderr.write(`${t}\n`); };
console.log = chatter; console.info = chatter; console.warn = chatter;
const { default: Provider } = await import('oidc-provider');

const [port, redirectUri] = [Number(process.argv[2]), process.argv[3]];
const issuer = `http://127.0.0.1:${port}`;
const users = {
  alice: { password: 'alice-pw', email: 'alice@example.test', name: 'Alice Ops', groups: ['ops', 'admins'] },
  bob: { password: 'bob-pw', email: 'bob@example.test', name: 'Bob Dev', groups: ['dev'] },
};
const key = () => ({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomUUID(), alg: 'RS256', use: 'sig' });
const [k1, k2, k3] = [key(), key(), key()];
const publicOf = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });

function makeProvider(keys) {
  const p = new Provider(issuer, {
    clients: [
      { client_id: 'tollgate', client_secret: 'tollgate-secret', redirect_uris: [redirectUri],
        grant_types: ['authorization_code'], response_types: ['code'] },
      // Another application at the same provider, returning to the same place.
      { client_id: 'other-app', client_secret: 'other-secret', redirect_uris: [redirectUri],
        grant_types: ['authorization_code'], response_types: ['code'] },
    ],
    jwks: { keys },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    conformIdTokenClaims: false, // scope claims (groups) go into the ID token too
    ttl: { IdToken: 300 },
    features: { devInteractions: { enabled: false } },
    findAccount: async (ctx, sub) => users[sub] && { accountId: sub,
      claims: async () => ({ sub, email: users[sub].email, email_verified: true, name: users[sub].name,
        preferred_username: sub, groups: users[sub].groups }) },
  });
  p.on('server_error', (ctx, err) => console.error('server_error', err));
  return p;
}
let provider = makeProvider([k1]);
let published = null; // when set, /jwks answers these instead of the signing keys
const page = (uid, msg = '') => `<!doctype html><title>Test provider</title><h1>Test provider</h1>
  <form method="post" action="/interaction/${uid}">${msg}
  <label>Username <input name="username"></label> <label>Password <input name="password" type="password"></label>
  <button>Sign in</button></form>`;
const form = (req) => new Promise((ok) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => ok(new URLSearchParams(b))); });

http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (req.method === 'POST' && url.pathname === '/_test/rotate') {
      provider = makeProvider([k2, k1]); published = null; res.end(k2.kid); return;
    }
    if (req.method === 'POST' && url.pathname === '/_test/rogue') {
      provider = makeProvider([k3]); published = [publicOf(k1)]; res.end(k3.kid); return;
    }
    if (req.method === 'POST' && url.pathname === '/_test/name') {
      users[url.searchParams.get('user')].name = url.searchParams.get('name'); res.end('ok'); return;
    }
    if (req.method === 'POST' && url.pathname === '/_test/amr') {
      users[url.searchParams.get('user')].amr = (url.searchParams.get('amr') || '').split(',').filter(Boolean);
      res.end('ok'); return;
    }
    if (req.method === 'POST' && url.pathname === '/_test/groups') {
      users[url.searchParams.get('user')].groups = (url.searchParams.get('groups') || '').split(',').filter(Boolean);
      res.end('ok'); return;
    }
    if (published && url.pathname === '/jwks') {
      res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: published })); return;
    }
    const m = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (!m) { provider.callback()(req, res); return; }
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') { res.setHeader('content-type', 'text/html'); res.end(page(details.uid)); return; }
    const f = await form(req); const u = users[f.get('username')];
    if (!u || u.password !== f.get('password')) { res.statusCode = 401; res.setHeader('content-type', 'text/html'); res.end(page(details.uid, '<p>Wrong password</p>')); return; }
    const grant = new provider.Grant({ accountId: f.get('username'), clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const login = { accountId: f.get('username'), ...(u.amr?.length ? { amr: u.amr } : {}) };
    await provider.interactionFinished(req, res, { login, consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: false });
  } catch (e) { console.error(e); res.statusCode = 500; res.end(String(e)); }
}).listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`));
