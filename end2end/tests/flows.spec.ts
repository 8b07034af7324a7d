import { test, expect } from '@playwright/test';
import { ageTicket, as, newPerson, openTicket, orgForAlice, waitForHydration } from './helpers';

test('bob reorders Default’s levels by dragging; a super admin approves the change; new tickets follow it', async ({ browser }) => {
  const bob = await as(browser, 'bob');
  const admin = await as(browser, 'admin');
  const original = await (await bob.page.request.get('/api/v1/flows')).json();
  const defaultFlow = original.items.find((f: any) => f.org_name === 'Default');
  expect(defaultFlow.own).toBe(true);
  try {
    await bob.page.getByRole('link', { name: 'Flows' }).click();
    await bob.page.getByRole('link', { name: 'Edit the flow of Default' }).click();
    await waitForHydration(bob.page);
    const levels = bob.page.getByTestId('levels');
    await expect(levels.locator('li.level-card').nth(1)).toContainText('Carol Danvers');

    // The preview for alice never lists alice, and names bob then carol.
    await bob.page.getByLabel('Preview for applicant').fill('alice');
    await bob.page.locator('.suggest-item', { hasText: 'Alice Liddell' }).click();
    const preview = bob.page.getByTestId('preview');
    await expect(preview.locator('[data-level="1"]')).toContainText('Bob Builder');
    await expect(preview.locator('[data-level="2"]')).toContainText('Carol Danvers');
    await expect(preview.locator('.preview-levels')).not.toContainText('Alice');

    // Drag level 2 above level 1.
    await levels.locator('li.level-card').nth(1).dragTo(levels.locator('li.level-card').nth(0));
    await expect(levels.locator('li.level-card').nth(0)).toContainText('Carol Danvers');
    await expect(bob.page.getByTestId('unsaved')).toBeVisible();
    await expect(preview.locator('[data-level="1"]')).toContainText('Carol Danvers');
    await bob.page.getByRole('button', { name: 'Save flow' }).click();

    // An org admin's change waits for a super admin: nothing changes yet.
    const awaiting = bob.page.getByTestId('awaiting-approval');
    await expect(awaiting).toBeVisible();
    const link = await awaiting.getByRole('link').getAttribute('href');
    const before = await (await bob.page.request.get(`/api/v1/flows/${defaultFlow.scope}/apply_asset`)).json();
    expect(before.flow).toEqual(defaultFlow.flow);

    // The super admin sees the change as a ticket, before and after, and approves it.
    await admin.page.goto(link!);
    await waitForHydration(admin.page);
    await expect(admin.page.getByTestId('policy-change')).toContainText('Approval flow');
    await expect(admin.page.getByTestId('policy-after')).toBeVisible();
    await admin.page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(admin.page.getByText('Approved').first()).toBeVisible();

    await bob.page.reload();
    await waitForHydration(bob.page);
    await expect(bob.page.getByTestId('levels').locator('li.level-card').nth(0)).toContainText('Carol Danvers');
    await expect(bob.page.getByTestId('awaiting-approval')).toHaveCount(0);

    // alice's next request goes to carol first, then bob.
    const alice = await as(browser, 'alice');
    const t = await openTicket(alice.page, { title: 'After the reorder', assets: ['web-01'] });
    expect(t.steps[0].assignees.map((a: any) => a.username)).toEqual(['carol']);
    expect(t.steps[1].assignees.map((a: any) => a.username)).toEqual(['bob']);
    await alice.page.goto(`/tickets/${t.id}`);
    await expect(alice.page.getByTestId('steps').locator('li.step').nth(0)).toContainText('Carol Danvers');
    await alice.context.close();

    // Keyboard-friendly buttons do the same: move it back (again for a super admin to approve).
    await bob.page.getByRole('button', { name: 'Move level 2 up' }).click();
    await expect(bob.page.getByTestId('levels').locator('li.level-card').nth(0)).not.toContainText('Carol Danvers');
    await bob.page.getByRole('button', { name: 'Save flow' }).click();
    await expect(bob.page.getByTestId('awaiting-approval')).toBeVisible();
  } finally {
    // Leave Default's flow as the demo has it for the other tests (a super admin's save
    // applies at once), and no change waiting.
    const waiting = await (await admin.page.request.get(`/api/v1/flows/${defaultFlow.scope}/apply_asset`)).json();
    if (waiting.pending_change) {
      await admin.page.request.post(`/api/v1/tickets/${waiting.pending_change.ticket_id}/reject`, { data: {} });
    }
    const r = await admin.page.request.put(`/api/v1/flows/${defaultFlow.scope}/apply_asset`, { data: defaultFlow.flow });
    expect(r.status()).toBe(200);
    await bob.context.close();
    await admin.context.close();
  }
});

test('a level of three that needs two: set in the editor, counted live on the ticket page', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  // Three approvers of this test only: their decisions show in no one else's lists.
  const ids: string[] = [];
  for (const name of ['quinn', 'quincy', 'quentin']) ids.push(await newPerson(admin.page, name));
  const orgId = await orgForAlice(admin.page, {
    org: 'Quorum Works',
    asset: 'quorum-01',
    levels: [{ selector: { users: ids }, rule: 'any' }],
  });
  await admin.page.goto(`/flows/${orgId}/apply_asset`);
  await waitForHydration(admin.page);
  const card = admin.page.getByTestId('levels').locator('li.level-card').nth(0);
  await card.getByLabel('Rule').selectOption('at_least');
  // Three of three: an applicant among them could never reach it, and the card says so.
  await card.getByLabel('How many').fill('3');
  await card.getByLabel('How many').blur();
  await admin.page.getByRole('button', { name: 'Save flow' }).click();
  await expect(card.getByTestId('level-error')).toContainText('cannot always be reached');
  await expect(card.getByTestId('level-error')).not.toContainText('levels[0]');
  await card.getByLabel('How many').fill('2');
  await card.getByLabel('How many').blur();
  await admin.page.getByRole('button', { name: 'Save flow' }).click();
  await expect(admin.page.getByTestId('unsaved')).toHaveCount(0);
  await expect(card.getByTestId('level-error')).toHaveCount(0);
  await admin.page.goto('/flows');
  await expect(admin.page.getByTestId('flows').locator('tr', { hasText: 'Quorum Works' })).toContainText('(at least 2)');

  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Two of three', org: 'Quorum Works', assets: ['quorum-01'] });
  expect(t.steps[0].rule).toEqual({ at_least: 2 });
  await alice.page.goto(`/tickets/${t.id}`);
  await waitForHydration(alice.page);
  const level = alice.page.getByTestId('steps').locator('li.step').nth(0);
  await expect(level).toContainText('at least 2 must approve');
  await expect(level.getByTestId('quorum')).toHaveText('0 of 2 approvals');
  // Quinn approves elsewhere: alice's page counts it without a reload; quincy's approval is
  // the second and approves the request.
  const quinn = await as(browser, 'quinn');
  expect((await quinn.page.request.post(`/api/v1/tickets/${t.id}/approve`, { data: {} })).status()).toBe(200);
  await expect(level.getByTestId('quorum')).toHaveText('1 of 2 approvals');
  await expect(alice.page.locator('.ticket-head [data-state]')).toHaveAttribute('data-state', 'pending');
  const quincy = await as(browser, 'quincy');
  expect((await quincy.page.request.post(`/api/v1/tickets/${t.id}/approve`, { data: {} })).status()).toBe(200);
  await expect(level.getByTestId('quorum')).toHaveText('2 of 2 approvals');
  await expect(alice.page.locator('.ticket-head [data-state]')).toHaveAttribute('data-state', 'approved');
  for (const c of [admin, alice, quinn, quincy]) await c.context.close();
});

test('a flow’s reasons and limits: set in the editor, asked on the new-request page and by Reject', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  // Rita approves here alone (a person of this test only: her rejection shows in no one
  // else's lists).
  const ritaId = await newPerson(admin.page, 'rita', 'Rita Reviewer');
  const orgId = await orgForAlice(admin.page, {
    org: 'Limits Works',
    asset: 'limits-01',
    levels: [{ selector: { users: [ritaId] }, rule: 'any' }],
  });
  await admin.page.goto(`/flows/${orgId}/apply_asset`);
  await waitForHydration(admin.page);
  const limits = admin.page.getByTestId('limits');
  await limits.getByLabel('Longest access (days)').fill('0');
  await limits.getByLabel('Longest access (days)').blur();
  await admin.page.getByRole('button', { name: 'Save flow' }).click();
  await expect(limits.getByTestId('limit-error')).toContainText('1 to 3650 days');
  await limits.getByLabel('Longest access (days)').fill('7');
  await limits.getByLabel('A reason to apply, at least (characters)').fill('10');
  await limits.getByLabel('A reason to reject, at least (characters)').fill('12');
  await limits.getByLabel('A reason to reject, at least (characters)').blur();
  await admin.page.getByRole('button', { name: 'Save flow' }).click();
  await expect(admin.page.getByTestId('unsaved')).toHaveCount(0);
  await admin.page.reload();
  await waitForHydration(admin.page);
  await expect(limits.getByLabel('Longest access (days)')).toHaveValue('7');
  await expect(limits.getByLabel('A reason to reject, at least (characters)')).toHaveValue('12');

  // The new-request page marks the reason that is too short, under its field.
  const alice = await as(browser, 'alice');
  await alice.page.goto('/tickets/new');
  await waitForHydration(alice.page);
  await alice.page.getByLabel('Org').selectOption({ label: 'Limits Works' });
  await alice.page.getByLabel('Title').fill('Limits');
  await alice.page.getByRole('checkbox', { name: 'limits-01' }).check();
  await alice.page.getByTestId('accounts').getByText('root', { exact: true }).click();
  await alice.page.getByLabel('Why do you need it?').fill('soon');
  await alice.page.getByRole('button', { name: 'Submit request' }).click();
  await expect(alice.page.locator('.field-error[data-field="comment"]')).toContainText('at least 10 characters');

  // Rita is told before rejecting, and a Reject without the reason changes nothing.
  const t = await openTicket(alice.page, { title: 'With a reason', org: 'Limits Works', assets: ['limits-01'], comment: 'patching the kernel' });
  const rita = await as(browser, 'rita');
  await rita.page.goto(`/tickets/${t.id}`);
  await waitForHydration(rita.page);
  await expect(rita.page.getByTestId('reject-reason-hint')).toContainText('at least 12 characters');
  await rita.page.getByRole('button', { name: 'Reject' }).click();
  await expect(rita.page.getByTestId('decision').getByRole('alert')).toContainText('a reason is required');
  await expect(rita.page.getByTestId('decision').getByRole('alert')).not.toContainText('comment:');
  await expect(rita.page.locator('.ticket-head [data-state]')).toHaveAttribute('data-state', 'pending');
  await rita.page.getByLabel('Comment (a reason, to reject)').fill('not during the freeze');
  await rita.page.getByRole('button', { name: 'Reject' }).click();
  await expect(rita.page.locator('.ticket-head [data-state]')).toHaveAttribute('data-state', 'rejected');
  for (const c of [admin, alice, rita]) await c.context.close();
});

test('a reminder and an escalation set on a level card; the ticket’s history shows them once the clock moves', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const tina = await newPerson(admin.page, 'tina', 'Tina Timer');
  const orgId = await orgForAlice(admin.page, {
    org: 'Timer Works',
    asset: 'timer-01',
    levels: [{ selector: { users: [tina] }, rule: 'any' }],
  });
  await admin.page.goto(`/flows/${orgId}/apply_asset`);
  await waitForHydration(admin.page);
  const card = admin.page.getByTestId('levels').locator('li.level-card').nth(0);
  await card.getByTestId('timers').locator('summary').click();
  await card.getByLabel('Remind who has not answered every').fill('4');
  await card.getByLabel('Remind who has not answered every').blur();
  await card.getByLabel('Escalate after').fill('24');
  await card.getByLabel('Escalate after').blur();
  await card.locator('.escalate-to').getByLabel('Super admins').check();
  await expect(card.getByTestId('timers').locator('summary')).toContainText('remind every 4 h · escalate after 24 h');
  // The preview says who the escalation would add.
  await admin.page.getByLabel('Preview for applicant').fill('alice');
  await admin.page.locator('.suggest-item', { hasText: 'Alice Liddell' }).click();
  await expect(admin.page.getByTestId('preview-escalation')).toContainText('Ada Admin');
  await admin.page.getByRole('button', { name: 'Save flow' }).click();
  await expect(admin.page.getByTestId('unsaved')).toHaveCount(0);
  await admin.page.reload();
  await waitForHydration(admin.page);
  await expect(card.getByLabel('Escalate after')).toHaveValue('24');
  await expect(card.getByLabel('Remind who has not answered every')).toHaveValue('4');

  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Timed request', org: 'Timer Works', assets: ['timer-01'] });
  await alice.page.goto(`/tickets/${t.id}`);
  await waitForHydration(alice.page);
  const history = alice.page.getByTestId('history');
  await expect(history).not.toContainText('escalated');
  // A day passes: the sweep reminds Tina and adds the super admins; alice's page shows it live.
  ageTicket(t.id, 25);
  await expect(history).toContainText('Tollgate escalated level 1');
  await expect(history).toContainText('added admin');
  await expect(history).toContainText('Tollgate reminded level 1');
  await expect(alice.page.getByTestId('steps').locator('li.step').nth(0)).toContainText('Ada Admin');
  for (const c of [admin, alice]) await c.context.close();
});

test('an org admin cannot open the global flow’s editor', async ({ browser }) => {
  const bob = await as(browser, 'bob');
  await bob.page.goto('/flows');
  await expect(bob.page.getByTestId('flows')).not.toContainText('Global');
  await bob.page.goto('/flows/global/apply_asset');
  await expect(bob.page.getByRole('heading', { name: 'Not yours to edit' })).toBeVisible();
  await expect(bob.page.getByRole('button', { name: 'Save flow' })).toHaveCount(0);
  await bob.context.close();

  const alice = await as(browser, 'alice');
  await expect(alice.page.getByRole('link', { name: 'Flows' })).toHaveCount(0);
  await alice.page.goto('/flows');
  await expect(alice.page.getByText('Only super admins and org admins')).toBeVisible();
  await alice.context.close();
});

test('a flow with an empty level is refused where the problem is', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  await admin.page.goto('/flows/global/apply_asset');
  await waitForHydration(admin.page);
  await admin.page.getByRole('button', { name: '+ Add a level' }).click();
  await admin.page.getByRole('button', { name: 'Save flow' }).click();
  const second = admin.page.getByTestId('levels').locator('li.level-card').nth(1);
  await expect(second.getByTestId('level-error')).toContainText('choose at least one approver');
  await expect(admin.page.getByTestId('unsaved')).toBeVisible();
  await admin.context.close();
});

test('leaving the flow editor: unsaved changes ask first, and the page stays alive afterwards', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const errors: string[] = [];
  admin.page.on('pageerror', (e) => errors.push(e.message));
  admin.page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await admin.page.goto('/flows/global/apply_asset');
  await waitForHydration(admin.page);

  // Unsaved: an in-app link asks; "stay" keeps the editor and the change.
  await admin.page.getByRole('button', { name: '+ Add a level' }).click();
  await expect(admin.page.getByTestId('unsaved')).toBeVisible();
  const asked: string[] = [];
  admin.page.once('dialog', (d) => { asked.push(d.message()); d.dismiss(); });
  await admin.page.getByRole('link', { name: 'My applications' }).click();
  expect(asked).toEqual(['Leave without saving your changes?']);
  await expect(admin.page).toHaveURL(/\/flows\/global\/apply_asset$/);
  await expect(admin.page.getByTestId('unsaved')).toBeVisible();

  // "Leave" goes; then a reload, and signing out, find no editor left behind to crash on.
  admin.page.once('dialog', (d) => d.accept());
  await admin.page.getByRole('link', { name: 'My applications' }).click();
  await expect(admin.page).not.toHaveURL(/\/flows\//);
  await admin.page.reload();
  await waitForHydration(admin.page);
  await admin.page.getByRole('link', { name: 'Flows' }).click();
  await expect(admin.page).toHaveURL(/\/flows$/);
  await admin.page.getByRole('button', { name: 'Sign out' }).click();
  await expect(admin.page.getByLabel('Username')).toBeVisible();
  expect(errors.filter((e) => /disposed|unreachable|panicked/i.test(e))).toEqual([]);
  await admin.context.close();
});

test('out of office: a delegate named on the Security page approves for the person away', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const olive = await newPerson(admin.page, 'olive', 'Olive Away');
  await newPerson(admin.page, 'doris', 'Doris Deputy');
  await orgForAlice(admin.page, {
    org: 'Out of Office Works',
    asset: 'away-01',
    levels: [{ selector: { users: [olive] }, rule: 'any' }],
  });
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'While Olive is away', org: 'Out of Office Works', assets: ['away-01'] });

  // Olive names Doris for the coming week; the ticket already waiting goes to Doris too.
  const o = await as(browser, 'olive');
  await o.page.goto('/security');
  await waitForHydration(o.page);
  const card = o.page.getByTestId('away');
  await expect(card.getByTestId('away-none')).toBeVisible();
  await card.getByLabel('Who stands in for you').fill('doris');
  await card.locator('.suggest-item', { hasText: 'Doris Deputy' }).click();
  await card.getByRole('button', { name: 'Name a delegate' }).click();
  await expect(card.getByTestId('away-row')).toContainText('Doris Deputy (doris) is asked in your place');
  await o.page.goto('/inbox');
  await expect(o.page.getByTestId('away-line')).toContainText('Doris Deputy (doris) is asked in your place on 1 request here');

  const d = await as(browser, 'doris');
  await d.page.goto('/inbox');
  await expect(d.page.getByTestId('away-line')).toContainText('You stand in for someone away on 1 request');
  await d.page.goto(`/tickets/${t.id}`);
  await waitForHydration(d.page);
  const level = d.page.getByTestId('steps').locator('li.step').nth(0);
  await expect(level).toContainText('for Olive Away (olive)');
  await expect(d.page.getByTestId('history')).toContainText('Olive Away (olive) is away');
  await d.page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(d.page.getByTestId('history')).toContainText('Doris Deputy (doris) approved level 1 for Olive Away (olive)');
  await expect(d.page.locator('.badge.approved')).toBeVisible();

  // A super admin names a delegate for Doris from the People page; Doris's own card shows it.
  await admin.page.goto('/admin?tab=people');
  await waitForHydration(admin.page);
  await admin.page.locator('tr[data-user="doris"]').getByRole('button', { name: 'Out of office' }).click();
  const hers = admin.page.getByTestId('away');
  await expect(hers.locator('h2')).toHaveText('Out of office: Doris Deputy (doris)');
  // Olive is away herself: she cannot stand in (no chains, no loops).
  await hers.getByLabel('Who stands in for Doris Deputy (doris)').fill('olive');
  await hers.locator('.suggest-item', { hasText: 'Olive Away' }).click();
  await hers.getByRole('button', { name: 'Name a delegate' }).click();
  await expect(hers.getByRole('alert')).toContainText('they are away themselves then');
  await hers.getByRole('button', { name: 'Remove olive' }).click();
  await hers.getByLabel('Who stands in for Doris Deputy (doris)').fill('alice');
  await hers.locator('.suggest-item', { hasText: 'Alice Liddell' }).click();
  await hers.getByRole('button', { name: 'Name a delegate' }).click();
  await expect(hers.getByTestId('away-row')).toContainText('Alice Liddell (alice) is asked in their place');
  await expect(hers.getByTestId('standing-in-row')).toContainText('Doris Deputy (doris) stands in for Olive Away (olive)');
  await d.page.goto('/security');
  await expect(d.page.getByTestId('away').getByTestId('away-row')).toContainText('Alice Liddell (alice) is asked in your place');
  for (const c of [admin, alice, o, d]) await c.context.close();
});
