'use strict';
// The support portal: filing tickets (without files, with files, Production Down),
// escalating questions, and staff working a ticket to its published solution.

const assert = require('node:assert/strict');
const { setup } = require('./lib/browser');
const { unique } = require('./lib/util');
const { Mailbox } = require('./lib/mail');
const { askQuestion, openTopic, assertMain } = require('./lib/forum');

const { flow, phonePass } = setup();

// A tiny valid PNG (1x1, transparent) and a log file, as a customer would attach.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const LOG = Buffer.from('2026-12-01T10:00:00Z ERROR importer: ERR-1042 lock file present\n');

async function openNewTicket(run, page) {
  await run.goto(page, '/');
  await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(page);
  await run.clickAndWait(page, page.getByRole('main').getByRole('link', { name: 'New ticket' }).first());
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor();
}

async function fillTicket(page, { subject, description, priority = 'Normal' }) {
  await page.getByRole('radio', { name: new RegExp(`^${priority}\\b`) }).check();
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Description').fill(description);
}

function ticketId(page) {
  const m = new URL(page.url()).pathname.match(/^\/portal\/tickets\/(\d+)/);
  assert.ok(m, `a ticket page opens after filing, not ${page.url()}`);
  return Number(m[1]);
}

async function assertTicketPage(page, subject) {
  const h1 = page.getByRole('heading', { level: 1 });
  const heading = (await h1.count()) ? (await h1.first().innerText()).trim() : '(no heading)';
  const main = await page.getByRole('main').innerText();
  assert.equal(heading, subject, `the ticket page opens after filing; instead ${new URL(page.url()).pathname} says:\n${main.slice(0, 800)}`);
}

async function fileWithoutFiles(run, { js }) {
  const page = await run.open('alice', { js });
  await openNewTicket(run, page);
  const subject = `Exports are slow since Monday ${unique()}`;
  await fillTicket(page, { subject, description: 'The monthly export takes 40 minutes instead of 5.' });
  // No file is chosen: the browser still sends an empty "files" part.
  await run.clickAndWait(page, page.getByRole('button', { name: 'Submit', exact: true }));
  await run.checkPage(page);
  await assertTicketPage(page, subject);
  ticketId(page);
  await assertMain(page, /your ticket is filed/i, 'the filed ticket says so');
}

flow('file a ticket with no file chosen', (run) => fileWithoutFiles(run, { js: true }));
flow('file a ticket with no file chosen, JavaScript off', (run) => fileWithoutFiles(run, { js: false }));

async function fileWithFiles(run, { js }) {
  const page = await run.open('alice', { js });
  await openNewTicket(run, page);
  const subject = `Import fails with a lock file ${unique()}`;
  const description = 'The nightly import stops; the log and a screenshot are attached.';
  await fillTicket(page, { subject, description });

  // "Upload Attachments and Submit" with nothing chosen sends the form back, filled in.
  await run.clickAndWait(page, page.getByRole('button', { name: 'Upload Attachments and Submit' }));
  await run.checkPage(page);
  assert.equal(await page.getByLabel('Subject').inputValue(), subject, 'the subject is kept when no file was chosen');
  assert.equal(await page.getByLabel('Description').inputValue(), description, 'the description is kept');

  await page.getByLabel('Attachments').setInputFiles([
    { name: 'import.log', mimeType: 'text/plain', buffer: LOG },
    { name: 'screenshot.png', mimeType: 'image/png', buffer: PNG },
  ]);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Upload Attachments and Submit' }));
  await run.checkPage(page);
  await assertTicketPage(page, subject);
  await page.getByRole('heading', { name: 'Attachments' }).waitFor();
  for (const name of ['import.log', 'screenshot.png']) {
    assert.ok(await page.getByRole('link', { name, exact: true }).count(), `the ticket lists ${name}`);
  }
  // The attachment downloads with what was uploaded.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'import.log', exact: true }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), 'import.log');
  const saved = await file.path();
  assert.equal(require('node:fs').readFileSync(saved, 'utf8'), LOG.toString());
}

flow('file a ticket with files through "Upload Attachments and Submit"', (run) => fileWithFiles(run, { js: true }));
flow('file a ticket with files, JavaScript off', (run) => fileWithFiles(run, { js: false }));

async function productionDown(run, { js }) {
  const page = await run.open('alice', { js });
  await openNewTicket(run, page);
  const subject = `Production Down: orders are not saved ${unique()}`;
  await fillTicket(page, { subject, description: 'Every order since 09:12 fails with a 500 in the shop.' });
  const filedAt = Date.now();
  await run.clickAndWait(page, page.getByRole('button', { name: 'Submit', exact: true }));
  await run.checkPage(page);
  await assertTicketPage(page, subject);
  const meta = await page.locator('.topic-meta').first().innerText();
  assert.match(meta, /critical/i, `an authorized contact's "Production Down" ticket is Critical; the page says: ${meta}`);
  const facts = await page.locator('dl.facts').innerText();
  // "due in 1 h 59 min · Sun 16:58": the time left, then the day and hour it falls due.
  assert.match(facts, /First response\s+due in \d[^·]*\b(min|h|days?) · \w{3} \d{2}:\d{2}/, `the customer sees the time left and when the first response is due; the page says: ${facts}`);
  const clock = page.locator('dl.facts time[data-clock]');
  assert.ok(await page.locator('dl.facts .sla.on-time').count(), 'a clock with time left reads as on time');
  // Critical: due two hours after filing, day and night.
  const due = await clock.getAttribute('datetime');
  const minutes = (Date.parse(due) - filedAt) / 60000;
  assert.ok(minutes > 115 && minutes <= 121, `a Critical ticket is due 2 hours after filing; it shows due ${due}`);
}

flow('"Production Down" by an authorized contact files a Critical ticket with its due time', (run) =>
  productionDown(run, { js: true }));
flow('"Production Down" ticket with JavaScript off', (run) => productionDown(run, { js: false }));

// A "Production Down" mail in Alice's name that no trusted server verified: a High
// ticket marked "Sender not verified"; Alice is asked by mail, opens the ticket from the
// link, presses "I sent this ticket", and it becomes Critical.
async function confirmMailedTicket(run, { js }) {
  const server = run.server;
  const alice = server.accounts.alice.email;
  const before = run.mail.mark();
  const subject = `Production Down: checkout times out ${unique()}`;
  const outcome = await server.receiveMail(
    `From: Alice <${alice}>\nTo: support@vendor.test\nSubject: ${subject}\nMessage-ID: <${unique()}@mail.test>\n` +
      'Content-Type: text/plain; charset=utf-8\n\nEvery checkout has timed out since 10:05.\n',
  );
  assert.equal(outcome.outcome, 'ticket', JSON.stringify(outcome));
  const page = await run.open('alice', { js });
  const asked = await run.mail.waitFor({ to: alice, subject: `Did you send ticket #${outcome.ticket_id}`, after: before });
  const link = Mailbox.link(asked, `/portal/tickets/${outcome.ticket_id}`);
  await run.goto(page, new URL(link).pathname);
  await run.checkPage(page);
  let meta = await page.locator('.topic-meta').first().innerText();
  assert.match(meta, /Sender not verified/, `the ticket says its sender was not verified: ${meta}`);
  assert.match(meta, /\bhigh\b/i, `an unverified "Production Down" is High, not Critical: ${meta}`);
  await run.clickAndWait(page, page.getByRole('button', { name: 'I sent this ticket' }));
  await run.checkPage(page);
  meta = await page.locator('.topic-meta').first().innerText();
  assert.doesNotMatch(meta, /Sender not verified/, `confirmed: ${meta}`);
  assert.match(meta, /critical/i, `confirmed, "Production Down" makes it Critical: ${meta}`);
}

flow('a ticket by mail from an unverified sender is confirmed by its requester and becomes Critical', (run) =>
  confirmMailedTicket(run, { js: true }));
flow('confirming a mailed ticket with JavaScript off', (run) => confirmMailedTicket(run, { js: false }));

// A stranger's mail is refused; an admin finds it under Received mail, chooses the
// customer it is for and makes a ticket of it.
async function refusedMailToTicket(run, { js }) {
  const subject = `Invoices show the wrong VAT ${unique()}`;
  const outcome = await run.server.receiveMail(
    `From: Zoe <zoe-${unique()}@stranger.test>\nTo: support@vendor.test\nSubject: ${subject}\nMessage-ID: <${unique()}@mail.test>\n` +
      'Content-Type: text/plain; charset=utf-8\n\nEvery invoice since March shows 19% instead of 7%.\n',
  );
  assert.equal(outcome.outcome, 'refused', JSON.stringify(outcome));
  const admin = await run.open('admin', { js });
  await run.goto(admin, '/admin/inbound-mail');
  await run.checkPage(admin);
  const row = admin.getByRole('row').filter({ hasText: subject });
  const customer = row.getByRole('combobox', { name: 'Make a ticket for' });
  const options = await customer.locator('option').allInnerTexts();
  const chosen = options.find((o) => o && !/choose/i.test(o));
  assert.ok(chosen, `the page offers customers: ${options}`);
  await customer.selectOption({ label: chosen });
  await run.clickAndWait(admin, row.getByRole('button', { name: 'Make a ticket' }));
  await run.checkPage(admin);
  await assertTicketPage(admin, subject);
  const body = await admin.locator('.post-body').first().innerText();
  assert.match(body, /Received by mail from zoe-/, `the ticket names the sender: ${body}`);
  assert.match(body, /19% instead of 7%/, `the ticket holds the text: ${body}`);
}

flow('an admin makes a ticket of a refused message for the customer chosen', (run) =>
  refusedMailToTicket(run, { js: true }));
flow('making a ticket of a refused message with JavaScript off', (run) => refusedMailToTicket(run, { js: false }));

// Opens the escalation form from the question and submits it as filled in.
async function escalate(run, page, title) {
  await openTopic(run, page, 'Questions & Answers', title);
  const link = page.getByRole('link', { name: 'Escalate to ticket' });
  assert.ok(await link.count(), `the question "${title}" offers "Escalate to ticket"`);
  await run.clickAndWait(page, link);
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: 'Escalate to a ticket' }).waitFor();
  assert.equal(await page.getByLabel('Subject').inputValue(), title, 'the escalation form takes the question title as subject');
  await run.clickAndWait(page, page.getByRole('button', { name: 'Submit', exact: true }));
  await run.checkPage(page);
  await assertTicketPage(page, title);
  await assertMain(page, /escalated from the community question/i, 'the ticket links back to the question');
  return ticketId(page);
}

async function escalateOwn(run, { js }) {
  const alice = await run.open('alice', { js });
  const title = `Webhooks stop after a certificate change ${unique()}`;
  await askQuestion(run, alice, { title, body: 'After we renewed our TLS certificate no webhook arrives any more.' });
  const id = await escalate(run, alice, title);
  await openTopic(run, alice, 'Questions & Answers', title);
  await assertMain(alice, new RegExp(`escalated to support: ticket #${id}`, 'i'), 'the question shows its ticket');
}

flow('escalate a question to a ticket as its asker', (run) => escalateOwn(run, { js: true }));
flow('escalate a question as its asker, JavaScript off', (run) => escalateOwn(run, { js: false }));

async function escalateColleagues(run, { js }) {
  const bob = await run.open('bob', { js });
  const title = `SSO login loops back to the start page ${unique()}`;
  await askQuestion(run, bob, { title, body: 'After signing in with SSO the browser returns to the start page again and again.' });
  // Alice is an authorized contact of Bob's organization.
  const alice = await run.open('alice', { js });
  const id = await escalate(run, alice, title);
  await openTopic(run, bob, 'Questions & Answers', title);
  await assertMain(bob, /escalated to support/i, "Bob's question shows it was escalated");
  assert.ok(id > 0);
}

flow("an authorized contact escalates a colleague's question", (run) => escalateColleagues(run, { js: true }));
flow("an authorized contact escalates a colleague's question, JavaScript off", (run) =>
  escalateColleagues(run, { js: false }));

async function staffWorksTicket(run, { js }) {
  const tag = unique();
  const alice = await run.open('alice', { js });
  const title = `Search returns nothing for part numbers ${tag}`;
  await askQuestion(run, alice, { title, body: 'Searching for AB-1234-X finds nothing although the part exists.' });
  const id = await escalate(run, alice, title);

  const staff = await run.open('staff', { js });
  await run.goto(staff, '/');
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(staff);
  await run.clickAndWait(staff, staff.getByRole('navigation', { name: 'Support' }).getByRole('link', { name: 'Tickets' }));
  await run.checkPage(staff);
  await run.clickAndWait(staff, staff.getByRole('link', { name: `#${id} ${title}` }));
  await run.checkPage(staff);

  // Staff read the question the ticket came from, and come back.
  await run.clickAndWait(staff, staff.getByRole('main').getByRole('link', { name: title, exact: true }));
  await run.checkPage(staff);
  await staff.getByRole('heading', { level: 1, name: title }).waitFor();
  await run.clickAndWait(staff, staff.getByRole('link', { name: `ticket #${id}` }));
  await run.checkPage(staff);

  // One click assigns it to the one reading it.
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Take it' }));
  await run.checkPage(staff);
  assert.equal(await staff.getByRole('button', { name: 'Take it' }).count(), 0, 'taken: the button is gone');
  assert.ok(await staff.locator('.event-line', { hasText: 'assigned the ticket to' }).count(), 'the log says who took it');

  const select = staff.getByRole('combobox', { name: 'Update status' });
  assert.equal(await select.inputValue(), '', 'the Update status menu starts with no move chosen');

  const moveTo = async (label) => {
    await staff.getByRole('combobox', { name: 'Update status' }).selectOption({ label });
    await run.clickAndWait(staff, staff.getByRole('button', { name: 'Update status' }));
    await run.checkPage(staff);
    const status = (await staff.locator('.topic-meta .status').first().innerText()).trim();
    assert.equal(status, label, `the ticket is now ${label}`);
  };
  await moveTo('Acknowledged/Triaging');
  await moveTo('In Progress');

  const publicNote = `Part numbers with dashes are split by the analyzer; 4.2.3 keeps them whole (${tag}).`;
  const internalNote = `Customer runs an old index schema, check their upgrade path (${tag}).`;
  const addNote = async (text, visibility) => {
    await staff.getByRole('textbox', { name: 'Note' }).fill(text);
    await staff.getByRole('radio', { name: new RegExp(`^${visibility}`) }).check();
    await run.clickAndWait(staff, staff.getByRole('button', { name: 'Add note' }));
    await run.checkPage(staff);
    await staff.locator('.events').getByText(text).waitFor();
  };
  await addNote(publicNote, 'Public');
  await addNote(internalNote, 'Internal');
  // The conversation reads as one: support's note tinted, the internal one marked, and
  // the properties beside it on a desktop.
  await staff.locator('.bubble.from-support', { hasText: publicNote }).waitFor();
  const internal = staff.locator('.bubble.internal', { hasText: internalNote });
  assert.match(await internal.innerText(), /Internal note, staff only/, 'the internal note says so');
  const conversation = await staff.getByRole('heading', { name: 'Conversation' }).boundingBox();
  const panel = await staff.getByRole('complementary', { name: 'Ticket properties' }).boundingBox();
  if (staff.viewportSize().width > 900) {
    assert.ok(panel.x > conversation.x + conversation.width / 2, 'the properties panel stands beside the conversation');
  }
  if (js) {
    // Keys: i opens the note box as an internal note, r as a reply, n the next ticket.
    await staff.locator('h1').click();
    await staff.keyboard.press('i');
    assert.ok(await staff.getByRole('radio', { name: /^Internal/ }).isChecked(), 'i chooses an internal note');
    assert.equal(await staff.evaluate(() => document.activeElement.id), 'body', 'and puts the cursor in the note box');
    await staff.locator('h1').click();
    await staff.keyboard.press('r');
    assert.ok(await staff.getByRole('radio', { name: /^Public/ }).isChecked(), 'r chooses a reply to the customer');
    const next = await staff.locator('a[data-next-ticket]').getAttribute('href');
    await staff.locator('h1').click();
    await Promise.all([staff.waitForURL((u) => u.pathname === next), staff.keyboard.press('n')]);
    await run.checkPage(staff);
    await run.goto(staff, `/portal/tickets/${id}`);
  }
  await moveTo('Solution Provided/Monitoring');

  // The customer sees the public note and never the internal one.
  await run.goto(alice, '/');
  await run.clickAndWait(alice, alice.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(alice);
  await run.clickAndWait(alice, alice.getByRole('navigation', { name: 'Support' }).getByRole('link', { name: 'Tickets' }));
  await run.checkPage(alice);
  await run.clickAndWait(alice, alice.getByRole('link', { name: `#${id} ${title}` }));
  await run.checkPage(alice);
  const seen = await alice.getByRole('main').innerText();
  assert.ok(seen.includes(publicNote), 'the customer sees the public note');
  assert.ok(!seen.includes(internalNote), 'the customer does not see the internal note');
  assert.ok(!/internal note/i.test(seen), 'the customer is not told of an internal note');

  // Staff publish the solution to the question, accepted.
  await run.clickAndWait(staff, staff.getByRole('link', { name: 'Publish the solution to the question' }));
  await run.checkPage(staff);
  const answer = staff.getByLabel('The answer');
  assert.ok((await answer.inputValue()).includes(publicNote), 'the answer is filled in from the public note');
  await staff.getByRole('checkbox', { name: 'Mark it as the accepted answer' }).check();
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Publish to the question' }));
  await run.checkPage(staff);

  await openTopic(run, alice, 'Questions & Answers', title);
  await alice.getByRole('heading', { name: 'Accepted answer' }).waitFor();
  const accepted = await alice.locator('article.post.accepted').first().innerText();
  assert.ok(accepted.includes(publicNote), 'the accepted answer is the published solution');
  assert.ok(await alice.locator('.topic-meta').getByText('solved').count(), 'the question is marked solved');
}

flow('staff move a ticket through statuses, add public and internal notes, publish the solution', (run) =>
  staffWorksTicket(run, { js: true }));
flow('staff work a ticket to its published solution, JavaScript off', (run) => staffWorksTicket(run, { js: false }));

flow("staff's support pages from the navigation: dashboard, queues, announcements, reports, review", async (run) => {
  const staff = await run.open('staff');
  await run.goto(staff, '/');
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(staff);
  const support = () => staff.getByRole('navigation', { name: 'Support' });
  await run.clickAndWait(staff, support().getByRole('link', { name: 'Announcements' }));
  await run.checkPage(staff);
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(staff);
  await run.clickAndWait(staff, support().getByRole('link', { name: 'Reports' }));
  await run.checkPage(staff);
  await staff.getByRole('heading', { level: 1, name: /SLA/ }).waitFor();
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(staff);
  await run.clickAndWait(staff, support().getByRole('link', { name: 'Tickets' }));
  await run.checkPage(staff);
  const lists = staff.getByRole('navigation', { name: 'Ticket lists' });
  for (const name of ['Closed', 'Archived', 'Unassigned', 'Mine', 'Breaching or due within the hour', 'Current']) {
    await run.clickAndWait(staff, lists.getByRole('link', { name, exact: true }));
    await run.checkPage(staff);
  }
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Review', exact: true }));
  await run.checkPage(staff);
});

flow("an authorized contact's dashboard and ticket list; a colleague who is not a contact is told why", async (run) => {
  const alice = await run.open('alice');
  await run.goto(alice, '/');
  await run.clickAndWait(alice, alice.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(alice);
  await run.clickAndWait(alice, alice.getByRole('navigation', { name: 'Support' }).getByRole('link', { name: 'Tickets' }));
  await run.checkPage(alice);

  // A colleague who is not a contact reaches Support too, where he is told who files
  // tickets for him and how to become a contact; he is offered no ticket list.
  const bob = await run.open('bob');
  await run.goto(bob, '/');
  await run.clickAndWait(bob, bob.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(bob);
  await assertMain(bob, /authorized contacts[\s\S]*alice@acme\.test/i, 'the portal tells a non-contact member who can file tickets');
  assert.equal(
    await bob.getByRole('navigation', { name: 'Support' }).getByRole('link', { name: 'Tickets' }).count(),
    0,
    'a member who is not an authorized contact has no ticket list',
  );
});

phonePass();
