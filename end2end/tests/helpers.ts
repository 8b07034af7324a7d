import { expect, Page } from '@playwright/test';
import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import path from 'node:path';

export const PASSWORD = 'tollgate-demo';

/** Signs in through the sign-in page and waits for the signed-in layout. */
export async function signIn(page: Page, username: string, next = '/') {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('user-name')).toBeVisible();
}

/** Waits until the WASM has taken over the page (the body gets a marker when it has). */
export async function waitForHydration(page: Page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true', null, { timeout: 20_000 });
}

/** Starts another server instance on `port` against the test database (with `env` added);
 * resolves when healthy. */
export async function startServer(port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn('../target/debug/tollgate', [], {
    env: {
      ...process.env,
      DATABASE_URL: process.env.E2E_DATABASE_URL!,
      TOLLGATE_DEMO: 'false',
      TOLLGATE_ADDR: `127.0.0.1:${port}`,
      TOLLGATE_SITE_ROOT: '../target/site',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return child;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server on port ${port} did not come up`);
}

export async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** A new browser context signed in as `username`, with its page. */
export async function as(browser: import('@playwright/test').Browser, username: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, username);
  return { context, page };
}

/** Opens an apply_asset ticket through the API as the page's user; returns it. */
export async function openTicket(
  page: Page,
  opts: { title: string; org?: string; assets: string[]; accounts?: string[]; actions?: string[]; comment?: string; days?: number },
) {
  const orgs = await (await page.request.get('/api/v1/orgs')).json();
  const org = orgs.items.find((o: any) => o.name === (opts.org ?? 'Default'));
  const assets = await (await page.request.get(`/api/v1/assets?org=${org.id}`)).json();
  const ids = opts.assets.map((n) => assets.items.find((a: any) => a.name === n).id);
  const now = Date.now();
  const r = await page.request.post('/api/v1/tickets', {
    data: {
      type: 'apply_asset',
      org_id: org.id,
      title: opts.title,
      comment: opts.comment ?? '',
      request: {
        permission_name: opts.title,
        nodes: [],
        assets: ids,
        accounts: opts.accounts ?? ['root'],
        actions: opts.actions ?? ['connect'],
        start: new Date(now).toISOString(),
        expiry: new Date(now + (opts.days ?? 7) * 86400_000).toISOString(),
      },
    },
  });
  expect(r.status(), await r.text()).toBe(201);
  return r.json();
}

/** As a super admin: a new person of one test (password `PASSWORD`, so `as` signs them in);
 * returns their id. Their decisions show in no other test's lists. */
export async function newPerson(admin: Page, username: string, displayName = username, password = PASSWORD) {
  const made = await admin.request.post('/api/v1/users', {
    data: { username, display_name: displayName, email: `${username}@example.test`, password },
  });
  expect(made.status()).toBe(201);
  return (await made.json()).id as string;
}

/** As a super admin: a new org `org` with alice as a member and the asset `asset` (a root
 * account), its apply flow set to `levels`. Returns the org's id. */
export async function orgForAlice(admin: Page, opts: { org: string; asset: string; levels: unknown[] }) {
  const o = await admin.request.post('/api/v1/orgs', { data: { name: opts.org } });
  expect(o.status()).toBe(201);
  const orgId = (await o.json()).id;
  const people = await (await admin.request.get('/api/v1/users?q=')).json();
  const alice = people.items.find((p: any) => p.username === 'alice').id;
  expect((await admin.request.put(`/api/v1/orgs/${orgId}/members`, { data: { user_id: alice, role: 'org_user' } })).status()).toBe(200);
  const asset = await admin.request.post('/api/v1/assets', {
    data: { org_id: orgId, name: opts.asset, address: '10.9.9.9', platform: 'linux' },
  });
  expect(asset.status()).toBe(201);
  expect((await admin.request.post('/api/v1/accounts', {
    data: { asset_id: (await asset.json()).id, name: 'root', username: 'root' },
  })).status()).toBe(201);
  expect((await admin.request.put(`/api/v1/flows/${orgId}/apply_asset`, {
    data: { levels: opts.levels, cc: [] },
  })).status()).toBe(200);
  return orgId as string;
}

/** As a super admin: a new person `username` (password `password`) who approves, alone, the one
 * level of a new org's apply flow, a level that asks for a fresh second factor; alice is a
 * member, and the org has the asset `asset` with a root account. Returns the org's id. */
export async function stepUpOrg(
  admin: Page,
  opts: { username: string; displayName: string; password: string; org: string; asset: string },
) {
  const approver = await newPerson(admin, opts.username, opts.displayName, opts.password);
  return orgForAlice(admin, {
    org: opts.org,
    asset: opts.asset,
    levels: [{ selector: { users: [approver] }, rule: 'any', step_up: true }],
  });
}

/** Moves ticket `id` `hours` into its past, in the database the server uses: the clocks of its
 * levels and its level timer's due time (as the API tests' `timers.rs` does). */
export function ageTicket(id: string, hours: number) {
  const url = process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5545/tollgate_e2e';
  const define = path.join(__dirname, '../../server/tests/sql/age_ticket.sql');
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', define,
    '-c', `SELECT pg_temp.age_ticket('${id}'::uuid, ${Number(hours)})`]);
}
