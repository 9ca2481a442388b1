'use strict';
// Memory per idle WebSocket: starts `huard serve` (release build by default) on an ephemeral
// loopback port, reads its RSS from /proc, opens N WebSockets (default 10,000) that stay
// idle, reads RSS again and prints the difference per connection. Bounded in count and time.
//
//   node bench/idle_ws.js [--count N] [--binary PATH] [--batch B]
//
// Needs N+ free file descriptors in this process and in the server (ulimit -n; the server
// raises its own soft limit to its connection limit).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
}
const COUNT = Number(opt('--count', 10000));
const BATCH = Number(opt('--batch', 200));
const BINARY = opt('--binary', path.resolve(__dirname, '../build/release/huard'));
const DEADLINE_MS = 120000;

function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+) kB/)[1]);
}

function startServer() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huard-bench-'));
  // BENCH_PIN=1: server pinned to CPU 0 as in bench/foundation.sh (the client to CPU 1).
  const argv = ['serve', '--listen', '127.0.0.1:0', '--data', dataDir];
  const pin = process.env.BENCH_PIN === '1' && fs.existsSync('/usr/bin/taskset') && os.cpus().length >= 2;
  const proc = spawn(pin ? '/usr/bin/taskset' : BINARY, pin ? ['-c', '0', BINARY, ...argv] : argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${stderr}`)), 10000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = stderr.match(/msg=listening addr=http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]), dataDir, stderr: () => stderr });
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}:\n${stderr}`)));
  });
}

function openOne(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', reject);
    ws.once('message', () => resolve(ws)); // the init frame: the session is fully open
  });
}

async function main() {
  const started = Date.now();
  const server = await startServer();
  const url = `ws://127.0.0.1:${server.port}/api/websocketd/`;
  // Warm up allocator arenas and code paths with a few sessions, then measure from there.
  const warm = await Promise.all(Array.from({ length: 20 }, () => openOne(url)));
  await Promise.all(warm.map((ws) => new Promise((r) => { ws.on('close', r); ws.close(); })));
  await new Promise((r) => setTimeout(r, 300));
  const before = rssKiB(server.proc.pid);
  const sockets = [];
  while (sockets.length < COUNT) {
    if (Date.now() - started > DEADLINE_MS) throw new Error(`only ${sockets.length} opened before the deadline`);
    const n = Math.min(BATCH, COUNT - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: n }, () => openOne(url)))));
  }
  await new Promise((r) => setTimeout(r, 1000)); // let the server settle
  const after = rssKiB(server.proc.pid);
  const perWs = ((after - before) * 1024) / COUNT;
  console.log(`idle WebSockets: ${COUNT}`);
  console.log(`server RSS before: ${before} KiB, after: ${after} KiB`);
  console.log(`RSS per idle WebSocket: ${(perWs / 1000).toFixed(1)} kB (${Math.round(perWs)} bytes)`);
  for (const ws of sockets) ws.terminate();
  server.proc.kill('SIGTERM');
  const code = await new Promise((r) => server.proc.on('exit', r));
  fs.rmSync(server.dataDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`server exit ${code}:\n${server.stderr()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
