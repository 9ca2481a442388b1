'use strict';
// Interop with the unmodified @wazo/sdk (issue 5): Huard behind the shipped nginx
// configuration (TLS with the harness's test CA), driven by the SDK in a child process
// (tests/interop/sdk-scenario.js): logIn, createRoom with 3 and with 50 members,
// getUserRooms, sendRoomMessage, getRoomMessages, getMessages (search and distinct),
// presences (updateState, getState, getContactStatusInfo, getMultipleLineState), and
// WebSocketClient v2 sessions that receive the room, message and reaction events of others
// in order, and none of a room they are not in.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { startChatd } = require('../integration/lib/chatd');
const { startNginx } = require('./lib/nginx');

const SCENARIO = path.join(__dirname, 'sdk-scenario.js');
const SCENARIO_TIMEOUT_MS = 60000;

let c;
let nginx;

before(async () => {
  c = await startChatd();
  nginx = await startNginx({ upstreamPort: c.server.port });
});

after(async () => {
  if (nginx) await nginx.stop();
  if (c) await c.server.stop();
});

function runScenario(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCENARIO], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`SDK scenario timed out after ${SCENARIO_TIMEOUT_MS} ms:\n${stderr}`));
    }, SCENARIO_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the unmodified @wazo/sdk chats through nginx: rooms, messages, presences, events', async () => {
  const user = async (prefix) => {
    const u = await c.user(prefix, { login: false });
    return { username: u.username, password: u.password, uuid: u.uuid };
  };
  const alice = await user('alice');
  const bob = await user('bob');
  const carol = await user('carol');
  const dave = await user('dave');
  const extras = (await c.users('member', 48)).map((u) => u.uuid);
  const env = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: nginx.caFile,
    SDK_SCENARIO: JSON.stringify({ host: nginx.host, alice, bob, carol, dave, extras }),
  };
  delete env.NODE_TLS_REJECT_UNAUTHORIZED; // the test CA must be what makes TLS work
  const r = await runScenario(env);
  assert.equal(r.code, 0, `SDK scenario failed:\n${r.stderr}\n${r.stdout}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.equal(summary.ok, true);
  assert.deepEqual(summary.rooms, [3, 50]);
  assert.equal(summary.presence, 'away');
  assert.equal(summary.bob_events, 7);
  assert.equal(summary.carol_room_events, 1);
});
