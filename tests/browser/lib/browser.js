'use strict';
// Headless Chromium (Debian's, never a downloaded one) and the checks every page gets:
// axe-core, no horizontal scrolling at phone width, no uncaught script error, no 5xx.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('node:test');
const { chromium } = require('playwright-core');
const { Parley } = require('./server');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
// Long enough for a debug build on a busy two-core machine.
const STEP_TIMEOUT = Number(process.env.BROWSER_STEP_TIMEOUT_MS || 15000);
const FLOW_TIMEOUT = 240000;

function short(url) {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

// One test's record of what went wrong on its pages. A flow carries on after a page
// check fails, so that one run reports every problem of the flow, and the test fails
// at its end with all of them.
class Record {
  constructor(name) {
    this.name = name;
    this.problems = [];
  }

  add(where, what) {
    const line = `[${where}] ${what}`;
    if (!this.problems.includes(line)) this.problems.push(line);
  }
}

class Suite {
  constructor() {
    this.server = new Parley();
    this.visited = new Map(); // role -> Set of paths, for the phone pass
    this.accounts = {}; // role -> { email, password }
    this.audited = new Map(); // document digest -> axe violations
  }

  async start() {
    await this.server.start();
    for (const [role, a] of Object.entries(this.server.accounts)) this.accounts[role] = a;
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // Scripts cannot run in a page opened with JavaScript off, and axe needs them; such
    // pages are audited from a copy of their DOM in this context (scripts removed).
    this.auditor = await this.browser.newContext({ viewport: DESKTOP });
    this.auditorPage = await this.auditor.newPage();
  }

  async stop() {
    if (this.browser) await this.browser.close().catch(() => {});
    await this.server.stop();
  }

  url(p) {
    return this.server.url(p);
  }

  get mail() {
    return this.server.mail;
  }

  remember(role, account) {
    this.accounts[role] = account;
  }
}

// What a test body receives: contexts for roles, and checkPage.
class Run {
  constructor(suite, record) {
    this.suite = suite;
    this.record = record;
    this.contexts = [];
    this.checkPage = this.checkPage.bind(this);
  }

  get server() {
    return this.suite.server;
  }

  get mail() {
    return this.suite.server.mail;
  }

  url(p) {
    return this.suite.url(p);
  }

  // A browser for one person: `as` is a role key of suite.accounts (or null for an
  // anonymous visitor); signs in through the sign-in form.
  async open(as, { js = true, viewport = DESKTOP } = {}) {
    const context = await this.suite.browser.newContext({
      javaScriptEnabled: js,
      viewport,
      baseURL: this.suite.server.baseUrl,
      acceptDownloads: true,
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT);
    const state = { role: as || 'anonymous', js, lastMethod: 'GET' };
    context.parley = state;
    context.on('response', (res) => {
      if (res.status() >= 500) {
        this.record.add(`${state.role}${js ? '' : ', no JS'}`, `${res.status()} from ${res.request().method()} ${short(res.url())}`);
      }
    });
    context.on('page', (p) => {
      p.on('pageerror', (err) => {
        this.record.add(`${state.role} @ ${short(p.url())}`, `uncaught page error: ${err.message}`);
      });
    });
    // Whether the page on screen came from a GET decides if the phone pass can load it again.
    context.on('request', (req) => {
      if (!req.isNavigationRequest()) return;
      try {
        if (req.frame() === req.frame().page().mainFrame()) state.lastMethod = req.method();
      } catch {
        /* A service worker's request has no frame. */
      }
    });
    this.contexts.push(context);
    const page = await context.newPage();
    if (as) await this.signIn(page, this.suite.accounts[as]);
    return page;
  }

  // Sets the role a page's context now acts as (after signing in within a flow).
  actAs(page, role) {
    page.context().parley.role = role;
  }

  async signIn(page, account) {
    await this.goto(page, '/login');
    await page.getByLabel('Email', { exact: true }).fill(account.email);
    await page.getByLabel('Password', { exact: true }).fill(account.password);
    await this.clickAndWait(page, page.getByRole('button', { name: 'Sign in' }));
    if (new URL(page.url()).pathname === '/login') {
      const said = await page.locator('.field-errors, .banner').allInnerTexts();
      throw new Error(`signing in as ${account.email} failed: ${said.join(' ') || 'back on /login'}`);
    }
    await this.checkPage(page);
  }

  async goto(page, p) {
    const res = await page.goto(p);
    await this.checkPage(page);
    return res;
  }

  // Clicks something that loads a new document (a link, a form button) and waits for
  // that document; with JavaScript off every form submission is one.
  async clickAndWait(page, locator) {
    await this.navigates(page, () => locator.click());
  }

  // Runs `action` (a click, a key press) and waits for the document it loads.
  async navigates(page, action) {
    const nav = page.waitForNavigation({ waitUntil: 'load' });
    // If the action fails, its error is the one to report, not the navigation's.
    nav.catch(() => {});
    await action();
    await nav;
  }

  // The checks every page gets after every navigation. Problems are recorded, and the
  // test fails at its end listing them.
  async checkPage(page) {
    const state = page.context().parley;
    const where = `${state.role}${state.js ? '' : ', no JS'} @ ${short(page.url())}`;
    await page.waitForLoadState('load');
    try {
      const violations = await this.axe(page, state.js);
      for (const v of violations) {
        const nodes = v.nodes
          .slice(0, 5)
          .map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)})` : ''}`)
          .join('; ');
        this.record.add(where, `axe ${v.id} [${v.impact}] ${v.help}: ${v.nodes.length} node(s): ${nodes}`);
      }
    } catch (e) {
      this.record.add(where, `axe could not run: ${e.message.split('\n')[0]}`);
    }
    const size = page.viewportSize();
    const wide = async () =>
      page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
    let phone;
    if (size.width === PHONE.width) {
      phone = await wide();
    } else {
      await page.setViewportSize(PHONE);
      phone = await wide();
      await page.setViewportSize(size);
    }
    if (phone.scroll > phone.client) {
      const culprits = await page.setViewportSize(PHONE).then(() =>
        page.evaluate((limit) => {
          const name = (el) => {
            const id = el.id ? `#${el.id}` : '';
            const cls = el.classList.length ? `.${[...el.classList].join('.')}` : '';
            return `${el.tagName.toLowerCase()}${id}${cls}`;
          };
          const out = [];
          const seen = new Set();
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right <= limit + 1 || r.width === 0) continue;
            // Name the element where the overflow starts: its parent still fits.
            const parent = el.parentElement;
            if (parent && parent !== document.body && parent.getBoundingClientRect().right > limit + 1) continue;
            const path = `${parent ? `${name(parent)} > ` : ''}${name(el)}`;
            if (seen.has(path)) continue;
            seen.add(path);
            out.push(`${path} (right edge ${Math.round(r.right)}px, "${(el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40)}")`);
          }
          // Text that does not wrap overflows its box without widening it.
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const text = walker.currentNode;
            if (!text.textContent.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(text);
            const r = range.getBoundingClientRect();
            if (r.right <= limit + 1) continue;
            const el = text.parentElement;
            const path = `${el.parentElement ? `${name(el.parentElement)} > ` : ''}${name(el)}`;
            if (seen.has(`text ${path}`)) continue;
            seen.add(`text ${path}`);
            out.push(`text in ${path} (right edge ${Math.round(r.right)}px, "${text.textContent.trim().replace(/\s+/g, ' ').slice(0, 40)}")`);
          }
          return out.slice(0, 8);
        }, PHONE.width),
      );
      await page.setViewportSize(size);
      this.record.add(
        where,
        `horizontal overflow at ${PHONE.width}px: scrollWidth ${phone.scroll} > clientWidth ${phone.client}; widest: ${culprits.join(', ')}`,
      );
    }
    // One-time links (confirmation, reset) cannot be opened twice.
    if (state.lastMethod === 'GET' && !/[?&]token=/.test(page.url())) {
      const role = state.role;
      if (!this.suite.visited.has(role)) this.suite.visited.set(role, new Set());
      this.suite.visited.get(role).add(short(page.url()));
    }
  }

  // The same document (but for its CSRF tokens) gives the same axe results, so a page
  // seen before as it is now is not audited again: flows pass the same lists often.
  async axe(page, js) {
    const html = await page.content();
    const key = crypto
      .createHash('sha256')
      .update(`${js}|${page.viewportSize().width}|`)
      .update(html.replace(/csrf_token(=|" value=")[^"&]*/g, 'csrf_token$1'))
      .digest('hex');
    const known = this.suite.audited.get(key);
    if (known) return known;
    const violations = js ? await this.axeHere(page) : await this.axeFromCopy(page, html);
    this.suite.audited.set(key, violations);
    return violations;
  }

  async axeHere(page) {
    const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!loaded) await page.evaluate(AXE_SOURCE);
    return page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.map(String), failureSummary: n.failureSummary })),
      }));
    });
  }

  async axeFromCopy(page, content) {
    const html = content.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
    const target = page.url().split('#')[0];
    const ap = this.suite.auditorPage;
    await ap.setViewportSize(page.viewportSize());
    const match = (u) => u.href.split('#')[0] === target;
    await ap.route(match, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
    );
    try {
      await ap.goto(target, { waitUntil: 'load' });
      return await this.axeHere(ap);
    } finally {
      await ap.unroute(match);
    }
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
  }
}

// Registers the suite's server and browser for one test file, and `flow(name, fn)`
// to declare a test that gets a Run; `phonePass()` revisits at phone width every page
// the file's tests visited, as each role.
function setup() {
  const suite = new Suite();
  before(async () => {
    await suite.start();
  });
  after(async () => {
    await suite.stop();
  });

  function flow(name, fn, options = {}) {
    test(name, { timeout: FLOW_TIMEOUT, ...options }, async () => {
      const record = new Record(name);
      const run = new Run(suite, record);
      const logFrom = suite.server.stderr.length;
      let failure = null;
      try {
        await fn(run);
      } catch (e) {
        failure = e;
      } finally {
        await run.close();
      }
      const serverSide = suite.server.problems(logFrom);
      if (failure) {
        const extra = record.problems.length ? `\nPage checks also found:\n  ${record.problems.join('\n  ')}` : '';
        failure.message = `${failure.message}${extra}${serverSide ? `\nServer log:\n${serverSide}` : ''}`;
        throw failure;
      }
      if (record.problems.length) {
        const err = new Error(
          `${record.problems.length} page check(s) failed:\n  ${record.problems.join('\n  ')}${serverSide ? `\nServer log:\n${serverSide}` : ''}`,
        );
        err.name = 'PageCheckError';
        throw err;
      }
    });
  }

  function phonePass() {
    flow('every page visited above again at 390x844, as each role', async (run) => {
      for (const [role, paths] of suite.visited) {
        const account = role === 'anonymous' ? null : suite.accounts[role];
        if (role !== 'anonymous' && !account) continue;
        const page = await run.open(account ? role : null, { viewport: PHONE });
        for (const p of [...paths].sort()) {
          if (p === '/login' && account) continue;
          await page.goto(p);
          await run.checkPage(page);
        }
        await page.context().close();
      }
    });
  }

  return { suite, flow, phonePass };
}

module.exports = { setup, DESKTOP, PHONE, short };
