'use strict';
// The public status page: staff report an incident from the navigation, an anonymous
// visitor subscribes and confirms by mail, and then hears of the next update.

const assert = require('node:assert/strict');
const { setup } = require('./lib/browser');
const { Mailbox } = require('./lib/mail');
const { unique } = require('./lib/util');
const { assertMain } = require('./lib/forum');

const { flow, phonePass } = setup();

async function reportAndSubscribe(run, { js }) {
  const tag = unique();
  const title = `Webhook deliveries delayed ${tag}`;

  // Staff find where to report from the site's navigation.
  const staff = await run.open('staff', { js });
  await run.goto(staff, '/');
  const report = staff.getByRole('banner').getByRole('link', { name: /report/i });
  assert.ok(await report.count(), 'the header navigation has a link to report an incident (its name contains "Report")');
  await run.clickAndWait(staff, report.first());
  await run.checkPage(staff);
  await staff.getByRole('heading', { level: 1, name: /report an incident/i }).waitFor();

  await staff.getByLabel('Title').fill(title);
  await staff.getByRole('combobox', { name: 'Kind' }).selectOption({ label: 'Incident' });
  await staff.getByRole('combobox', { name: 'Impact' }).selectOption({ label: 'Partial outage' });
  await staff.getByRole('checkbox', { name: 'API' }).check();
  await staff.getByLabel('What is happening').fill('Webhooks reach customers up to 20 minutes late; we are investigating.');
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Publish' }));
  await run.checkPage(staff);

  // An anonymous visitor finds the status page from the sign-in page's header.
  const visitor = await run.open(null, { js });
  await run.goto(visitor, '/');
  await run.clickAndWait(visitor, visitor.getByRole('banner').getByRole('link', { name: 'Status', exact: true }));
  await run.checkPage(visitor);
  await visitor.getByRole('heading', { name: title }).waitFor();
  await assertMain(visitor, /partial outage/i, 'the status page shows the incident\'s impact');

  const email = `ops.${tag}@example.org`;
  const before = run.mail.mark();
  await visitor.getByLabel('Your address').fill(email);
  await visitor.getByRole('checkbox', { name: 'API' }).check();
  await run.clickAndWait(visitor, visitor.getByRole('button', { name: 'Subscribe' }));
  await run.checkPage(visitor);
  await assertMain(visitor, /check your mail/i, 'subscribing asks to confirm by mail');

  const confirm = await run.mail.waitFor({ to: email, subject: /confirm your subscription/i, after: before });
  await visitor.goto(Mailbox.link(confirm, '/status/confirm'));
  await run.checkPage(visitor);
  await visitor.getByRole('heading', { name: 'You are subscribed' }).waitFor();

  // The next update of the incident reaches the confirmed subscriber.
  const beforeUpdate = run.mail.mark();
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: /report/i }).first());
  await run.checkPage(staff);
  const card = staff.locator('section', { has: staff.getByRole('heading', { name: title }) });
  await card.getByRole('combobox', { name: 'New state' }).selectOption({ label: 'Identified' });
  await card.getByRole('textbox', { name: 'Update' }).fill('A certificate on the webhook relay expired; a new one is being rolled out.');
  await run.clickAndWait(staff, card.getByRole('button', { name: 'Post the update' }));
  await run.checkPage(staff);
  const update = await run.mail.waitFor({ to: email, subject: title, after: beforeUpdate });
  assert.match(update.text, /certificate on the webhook relay expired/, 'the update mail carries the update');
}

flow('staff report an incident from the navigation; a visitor subscribes and confirms by mail', (run) =>
  reportAndSubscribe(run, { js: true }));
flow('report an incident and subscribe to the status page with JavaScript off', (run) =>
  reportAndSubscribe(run, { js: false }));

phonePass();
