'use strict';
// Starts the real `parley` binary on a scratch data directory and a free port, with the
// demo site, and reads the demo accounts it prints.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Mailbox } = require('./mail');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const INBOUND_TOKEN = 'browser-suite-inbound-mail-0123456789';
const BINARY = process.env.PARLEY_BIN || path.join(ROOT, 'target', 'debug', 'parley');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Settings from the environment of whoever runs the suite (an SMTP host, a database
// URL) must not reach the server under test: mail has to land in the data directory.
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PARLEY_') || k === 'DATABASE_URL' || k === 'RUST_LOG') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function parseAccounts(stdout) {
  const accounts = {};
  for (const line of stdout.split('\n')) {
    const m = line.match(/^\s+(.+?)\s{2,}(\S+@\S+)\s+(\S+)\s*$/);
    if (!m) continue;
    const [, label, email, password] = m;
    const key = email.split('@')[0];
    accounts[key] = { label: label.trim(), email, password };
  }
  return accounts;
}

class Parley {
  constructor() {
    this.proc = null;
    this.stdout = '';
    this.stderr = '';
  }

  async start() {
    if (!fs.existsSync(BINARY)) {
      throw new Error(`${BINARY} is missing: build it with \`cargo build --bin parley\` (run.sh does)`);
    }
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-browser-'));
    this.port = await freePort();
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    const env = cleanEnv({
      PARLEY_DATA_DIR: this.dataDir,
      PARLEY_BIND: `127.0.0.1:${this.port}`,
      // Mailed links must point at this server.
      PARLEY_BASE_URL: this.baseUrl,
      // The suite signs in, signs up and posts far more often than a person would.
      PARLEY_RATE_LIMITS: 'off',
      // Mail "received" by the suite is posted to the webhook with this secret.
      PARLEY_INBOUND_MAIL_TOKEN: INBOUND_TOKEN,
      PARLEY_LOG: process.env.PARLEY_TEST_LOG || 'warn',
      NO_COLOR: '1',
    });
    this.proc = spawn(BINARY, ['--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Never leave a server behind, even when the test process is interrupted.
    const proc = this.proc;
    const killServer = () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    };
    process.once('exit', killServer);
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => {
        killServer();
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      });
    }
    this.proc.stdout.on('data', (d) => {
      this.stdout += d;
    });
    this.proc.stderr.on('data', (d) => {
      this.stderr += d;
      if (process.env.PARLEY_TEST_LOG) process.stderr.write(d);
    });
    const exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60000;
    for (;;) {
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('waiting'), 200))]);
      if (code !== 'waiting') {
        throw new Error(`parley exited with ${code} before serving:\n${this.stdout}\n${this.stderr}`);
      }
      if (/is serving at/.test(this.stdout) && (await this.healthy())) break;
      if (Date.now() > deadline) throw new Error(`parley did not start within 60 s:\n${this.stdout}\n${this.stderr}`);
    }
    this.accounts = parseAccounts(this.stdout);
    for (const who of ['admin', 'staff', 'alice', 'bob']) {
      if (!this.accounts[who]) throw new Error(`--demo did not print the ${who} account:\n${this.stdout}`);
    }
    this.mail = new Mailbox(this.dataDir);
    return this;
  }

  async healthy() {
    try {
      const res = await fetch(`${this.baseUrl}/healthz`);
      return res.ok;
    } catch {
      return false;
    }
  }

  url(p) {
    return new URL(p, this.baseUrl).toString();
  }

  // Hands Parley a received message, as a mail service's webhook does; its outcome.
  async receiveMail(raw) {
    const res = await fetch(this.url('/api/v1/inbound-mail'), {
      method: 'POST',
      headers: { authorization: `Bearer ${INBOUND_TOKEN}`, 'content-type': 'message/rfc822' },
      body: raw.replace(/\r?\n/g, '\r\n'),
    });
    if (!res.ok) throw new Error(`the webhook answered ${res.status}: ${await res.text()}`);
    return res.json();
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (this.dataDir && !process.env.PARLEY_TEST_KEEP) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  // Server-side lines that say something went wrong (since `from`, an offset in the
  // log), for failure messages.
  problems(from = 0) {
    return this.stderr
      .slice(from)
      .split('\n')
      .filter((l) => /ERROR|panicked/.test(l))
      .slice(-20)
      .join('\n');
  }
}

module.exports = { Parley, parseAccounts, BINARY, ROOT };
