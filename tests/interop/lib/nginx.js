'use strict';
// Test harness: nginx in front of Huard with a throwaway CA, as in production.
//
// createTestCA(dir) makes a CA and a server certificate for localhost / 127.0.0.1 with the
// openssl CLI. startNginx({upstreamPort}) runs Debian's nginx with contrib/nginx/huard.conf
// (its deployment-specific lines rewritten for a free loopback port, the test certificate
// and the given Huard port) in a temp prefix, waits until it accepts TLS, and returns a
// handle whose stop() ends that nginx by PID and removes the temp folder.
// Readiness and shutdown are polled with bounds; nothing here sleeps blindly.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');

const REPO = path.resolve(__dirname, '..', '..', '..');
const SHIPPED_CONF = path.join(REPO, 'contrib', 'nginx', 'huard.conf');
const NGINX = process.env.HUARD_NGINX || '/usr/sbin/nginx';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A CA and a leaf certificate valid two days, ECDSA P-256. Returns file paths and PEM text.
function createTestCA(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=Huard test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
    dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), [
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    ''].join('\n'));
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
  const files = {
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'server.pem'),
    keyFile: path.join(dir, 'server.key'),
  };
  return { ...files, ca: fs.readFileSync(files.caFile, 'utf8') };
}

// A port the kernel just had free on 127.0.0.1 (nginx binds it next; a lost race is retried).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Rewrites the lines of the shipped file that name a deployment; each must be found, so a
// reshaped huard.conf breaks this test rather than silently testing something else.
function deriveConf(shipped, { port, upstreamPort, certFile, keyFile }) {
  const rules = [
    [/^(\s*)server 127\.0\.0\.1:\d+;.*$/m, `$1server 127.0.0.1:${upstreamPort};`],
    [/^(\s*)listen 443 ssl http2;.*$/m, `$1listen 127.0.0.1:${port} ssl http2;`],
    [/^\s*listen \[::\]:443 ssl http2;.*\n/m, ''],
    [/^(\s*)server_name [^;]+;.*$/m, '$1server_name localhost;'],
    [/^(\s*)ssl_certificate \S+;.*$/m, `$1ssl_certificate ${certFile};`],
    [/^(\s*)ssl_certificate_key \S+;.*$/m, `$1ssl_certificate_key ${keyFile};`],
  ];
  let conf = shipped;
  for (const [re, to] of rules) {
    if (!re.test(conf)) {
      throw new Error(`contrib/nginx/huard.conf no longer has a line matching ${re}`);
    }
    conf = conf.replace(re, to);
  }
  return conf;
}

// The main file around the shipped one: everything nginx would otherwise put under
// /var/lib/nginx or /var/log/nginx goes to the temp prefix.
function mainConf(dir) {
  const user = process.getuid && process.getuid() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 1;
error_log ${dir}/error.log notice;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    default_type application/octet-stream;
    include ${dir}/huard.conf;
}
`;
}

function tlsReady(port, ca) {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.once('secureConnect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls until nginx completes a TLS handshake, or fails early when it exits.
async function waitReady(child, port, ca, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return false;
    }
    if (await tlsReady(port, ca)) {
      return true;
    }
    await delay(25);
  }
  return false;
}

function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

function readLog(dir) {
  try {
    return fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
  } catch {
    return '';
  }
}

// Starts nginx proxying to 127.0.0.1:upstreamPort. Returns
// {port, host, origin, wsOrigin, ca, caFile, pid, dir, errorLog(), stop()}.
async function startNginx({ upstreamPort, timeoutMs = 10000, attempts = 3 } = {}) {
  if (!Number.isInteger(upstreamPort)) {
    throw new Error('startNginx: upstreamPort is required');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huard-nginx-'));
  const certs = createTestCA(path.join(dir, 'tls'));
  for (const sub of ['tmp', 'logs']) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  }
  fs.writeFileSync(path.join(dir, 'nginx.conf'), mainConf(dir));
  const shipped = fs.readFileSync(SHIPPED_CONF, 'utf8');

  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'huard.conf'),
      deriveConf(shipped, { port, upstreamPort, certFile: certs.certFile, keyFile: certs.keyFile }));
    const child = spawn(NGINX, [
      '-p', `${dir}/`, '-c', `${dir}/nginx.conf`, '-e', `${dir}/error.log`,
      '-g', `daemon off; master_process on; pid ${dir}/nginx.pid;`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const spawned = await new Promise((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', (e) => { stderr += String(e); resolve(false); });
    });
    if (spawned && await waitReady(child, port, certs.ca, timeoutMs)) {
      return makeHandle({ child, port, dir, certs });
    }
    child.kill('SIGKILL');
    await waitExit(child, 5000);
    lastError = `${stderr}\n${readLog(dir)}`;
    if (!/Address already in use/.test(lastError)) {
      break;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start:\n${lastError}`);
}

function makeHandle({ child, port, dir, certs }) {
  const host = `localhost:${port}`;
  return {
    port,
    host,
    origin: `https://${host}`,
    wsOrigin: `wss://${host}`,
    ca: certs.ca,
    caFile: certs.caFile,
    pid: child.pid,
    dir,
    errorLog: () => readLog(dir),
    // Graceful stop (SIGQUIT), then SIGKILL past the bound; the temp prefix goes too
    // unless HUARD_KEEP_TMP is set (for post-mortems).
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGQUIT');
        if (!await waitExit(child, 5000)) {
          process.kill(child.pid, 'SIGKILL');
          await waitExit(child, 5000);
        }
      }
      if (!process.env.HUARD_KEEP_TMP) {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

module.exports = { createTestCA, startNginx, deriveConf, SHIPPED_CONF };
