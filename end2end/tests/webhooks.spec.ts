import { test, expect } from '@playwright/test';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { createHmac } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { as, openTicket, waitForHydration } from './helpers';

/** A real HTTP receiver on the loopback that refuses (500 "not today") until told otherwise,
 * then takes what comes (200 "thanks"). */
function receiver() {
  const got: { body: string; signature: string; delivery: string }[] = [];
  const state = { failing: true };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({
        body,
        signature: String(req.headers['x-tollgate-signature'] ?? ''),
        delivery: String(req.headers['x-tollgate-delivery'] ?? ''),
      });
      res.statusCode = state.failing ? 500 : 200;
      res.end(state.failing ? 'not today' : 'thanks');
    });
  });
  return { server, got, state };
}

test('a super admin makes a webhook, sees a failed delivery and sends it again', async ({ browser }) => {
  const r = receiver();
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  const port = (r.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/hook`;
  try {
    const admin = await as(browser, 'admin');
    await admin.page.goto('/admin?tab=webhooks');
    await waitForHydration(admin.page);
    await admin.page.getByLabel('URL').fill(url);
    await admin.page.getByLabel('Description').fill('#access-requests');
    await admin.page.getByRole('button', { name: 'Make webhook' }).click();
    await expect(admin.page.getByRole('status')).toContainText('Webhook made.');
    // The secret, once.
    const secret = (await admin.page.getByTestId('new-webhook').locator('pre').innerText()).trim();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await expect(admin.page.getByTestId('webhooks')).toContainText(url);

    // A ticket event: the receiver refuses it, and the page says so.
    const alice = await as(browser, 'alice');
    await openTicket(alice.page, { title: 'Hooked on the page', assets: ['web-01'] });
    const deliveries = admin.page.getByTestId('deliveries');
    await expect(async () => {
      await deliveries.getByRole('button', { name: 'Refresh' }).click();
      await expect(deliveries.getByTestId('delivery').first()).toContainText('the receiver answered 500 Internal Server Error: not today', { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await expect(deliveries.getByTestId('delivery').first()).toContainText('opened');

    // The receiver is fixed; "Send again" delivers it.
    r.state.failing = false;
    await deliveries.getByRole('button', { name: 'Send again' }).first().click();
    await expect(admin.page.getByRole('status')).toContainText('Sent again.');
    await expect(async () => {
      await deliveries.getByRole('button', { name: 'Refresh' }).click();
      await expect(deliveries.getByTestId('delivery').first()).toContainText('Delivered', { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    // What the receiver answered stands where the error was.
    await expect(deliveries.getByTestId('delivery').first()).toContainText('200 OK: thanks');
    await expect(deliveries.getByTestId('delivery').first()).not.toContainText('not today');
    await expect(deliveries.getByRole('button', { name: 'Send again' })).toHaveCount(0);

    // What arrived is signed with the secret the page showed.
    const last = r.got[r.got.length - 1];
    const expected = 'sha256=' + createHmac('sha256', secret).update(last.body).digest('hex');
    expect(last.signature).toBe(expected);
    expect(JSON.parse(last.body).event).toBe('opened');
    expect(new Set(r.got.map((g) => g.delivery)).size).toBe(1);

    // Switched off, then removed.
    await admin.page.getByTestId('webhooks').getByRole('button', { name: 'Switch off' }).click();
    await expect(admin.page.getByTestId('webhooks')).toContainText('Off');
    await admin.page.getByTestId('webhooks').getByRole('button', { name: 'Remove' }).click();
    await expect(admin.page.getByRole('status')).toContainText('Webhook removed.');
    await expect(admin.page.getByTestId('webhooks')).toHaveCount(0);
    await alice.context.close();
    await admin.context.close();
  } finally {
    r.server.close();
  }
});
