'use strict';
// Integration harness: spawns the real dev (sanitizer) binary on an ephemeral loopback port
// with a temp data folder, waits for its "listening" log line (bounded, no sleeps), keeps its
// stderr, and on stop sends SIGTERM and checks exit code 0 and no sanitizer report
// (redis's check_sanitizer_errors, STYLE.md "Tests").

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

const ROOT = path.resolve(__dirname, '../../..');
const BINARY = process.env.HUARD_BINARY || path.join(ROOT, 'build/dev/huard');
const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 15000;
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer'];

function sanitizerReport(text) {
  return SANITIZER_MARKERS.find((m) => text.includes(m)) || null;
}

class Server {
  constructor(proc, dataDir) {
    this.proc = proc;
    this.dataDir = dataDir;
    this.stderr = '';
    this.port = 0;
    this.exited = null; // {code, signal} once the process ended
    this.waiters = new Set();
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      this.stderr += chunk;
      for (const w of this.waiters) w.check();
    });
    this.exitPromise = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        for (const w of this.waiters) w.check();
        resolve(this.exited);
      });
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}`;
  }

  // Resolves with the match of re in stderr (searching from `from`), within timeoutMs.
  waitForLog(re, timeoutMs = 5000, from = 0) {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const m = this.stderr.slice(from).match(re);
          if (m) {
            done();
            resolve(m);
          } else if (this.exited) {
            done();
            reject(new Error(`server exited (${JSON.stringify(this.exited)}) before ${re}:\n${this.stderr}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re} in server stderr:\n${this.stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(w);
      };
      this.waiters.add(w);
      w.check();
    });
  }

  // Throws if stderr holds a sanitizer report.
  assertClean() {
    const marker = sanitizerReport(this.stderr);
    if (marker) throw new Error(`sanitizer report (${marker}) in server stderr:\n${this.stderr}`);
  }

  // SIGTERM, then asserts a clean exit with code 0 and no sanitizer report.
  async stop() {
    if (!this.exited) {
      this.proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout');
      });
      const r = await Promise.race([this.exitPromise, timeout]);
      clearTimeout(timer);
      if (r === 'timeout') {
        this.proc.kill('SIGKILL');
        await this.exitPromise;
        throw new Error(`server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${this.stderr}`);
      }
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.assertClean();
    if (this.exited.code !== 0) {
      throw new Error(`server exited with ${JSON.stringify(this.exited)}:\n${this.stderr}`);
    }
  }
}

// Starts `huard serve` on 127.0.0.1:0. opts.env adds environment, opts.args adds flags.
async function startServer(opts = {}) {
  if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} missing: build with cmake --preset dev first`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huard-it-'));
  const env = {
    ...process.env,
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0:halt_on_error=1',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
    ...(opts.env || {}),
  };
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, ...(opts.args || [])];
  const proc = spawn(BINARY, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const server = new Server(proc, dataDir);
  const m = await server.waitForLog(/msg=listening addr=http:\/\/127\.0\.0\.1:(\d+)/, START_TIMEOUT_MS);
  server.port = Number(m[1]);
  return server;
}

// Sends raw bytes on a new TCP connection and collects what comes back until the server
// closes or `until(buffer)` is true, bounded by timeoutMs. Resolves {data, closed}.
function rawExchange(port, bytes, { until = null, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let finished = false;
    const finish = (closed) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => {
      if (finished) return;
      finished = true;
      sock.destroy();
      reject(new Error(`raw exchange timed out after ${timeoutMs} ms; got: ${JSON.stringify(data.toString('latin1'))}`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (until && until(data)) finish(false);
    });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', (e) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish(true);
      else if (!finished) {
        finished = true;
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

// Parses the HTTP/1.1 responses found in buf (Content-Length framed). Returns an array of
// {status, headers (lower-case names), body (string)}; stops at the first incomplete one.
function parseResponses(buf) {
  const out = [];
  let off = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) break;
    const head = buf.slice(off, end).toString('latin1').split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] || 0);
    if (buf.length < end + 4 + len) break;
    out.push({ status, headers, body: buf.slice(end + 4, end + 4 + len).toString('utf8') });
    off = end + 4 + len;
  }
  return out;
}

// True when buf holds n complete responses.
function hasResponses(n) {
  return (buf) => parseResponses(buf).length >= n;
}

// Resolves when predicate() is true, polling every intervalMs, bounded by timeoutMs.
async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

module.exports = { startServer, rawExchange, parseResponses, hasResponses, waitUntil, sanitizerReport };
