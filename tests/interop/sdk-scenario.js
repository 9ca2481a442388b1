'use strict';
// The @wazo/sdk side of tests/interop/sdk.test.js, run in a child process so that
// NODE_EXTRA_CA_CERTS (the harness's test CA) is in place when Node starts: the SDK only
// speaks https/wss (wazo-api.md 1.1, 7.1) and Node's fetch reads the extra CAs at start-up.
//
// Input: env SDK_SCENARIO = JSON {host, alice, bob, carol, dave: {username, password, uuid},
// extras: [uuid x48]}. Uses the unmodified SDK, asserts with node:assert and prints one JSON
// summary line on stdout. Exit 0 when every check passed. Every wait is bounded.

const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { WazoApiClient, WebSocketClient, ChatMessage } = require('@wazo/sdk');

const cfg = JSON.parse(process.env.SDK_SCENARIO);
const WAIT_MS = 10000;
const EVENTS = [
  'chatd_user_room_created',
  'chatd_user_room_message_created',
  'chatd_users_room_message_reaction_created',
  'chatd_users_room_message_reaction_deleted',
  'chatd_presence_updated',
];

async function login(user) {
  const client = new WazoApiClient({ server: cfg.host });
  const session = await client.auth.logIn({ username: user.username, password: user.password });
  assert.equal(session.uuid, user.uuid, 'session user uuid');
  client.setToken(session.token);
  return { client, session, user };
}

// A WebSocketClient (protocol version 2) recording the events it is given, in order.
function listen(session) {
  const ws = new WebSocketClient(
    { host: cfg.host, token: session.token, version: 2, events: EVENTS },
    { WebSocket, maxRetries: 0 },
  );
  const got = [];
  for (const name of EVENTS) ws.on(name, (env) => got.push(env));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('websocket not initialized')), WAIT_MS);
    ws.on('initialized', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  ws.connect();
  return { ws, got, ready };
}

async function until(pred, what) {
  const deadline = Date.now() + WAIT_MS;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The reaction endpoints are a Huard extension the SDK does not know: plain fetch over the
// same TLS front, with the SDK session's token.
async function react(session, method, path, body) {
  const res = await fetch(`https://${cfg.host}/api/chatd/1.0${path}`, {
    method,
    headers: { 'X-Auth-Token': session.token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status;
}

async function main() {
  const summary = {};
  const alice = await login(cfg.alice);
  const bob = await login(cfg.bob);
  const carol = await login(cfg.carol);
  const bobWs = listen(bob.session);
  const carolWs = listen(carol.session);
  await Promise.all([bobWs.ready, carolWs.ready]);

  // createRoom with 3 and with 50 members (the creator is added by the server).
  const trio = await alice.client.chatd.createRoom('trio', [{ uuid: cfg.bob.uuid }, { uuid: cfg.dave.uuid }]);
  assert.equal(trio.name, 'trio');
  assert.equal(trio.users.length, 3);
  const big = await alice.client.chatd.createRoom('fifty', [{ uuid: cfg.bob.uuid }, ...cfg.extras.map((uuid) => ({ uuid }))]);
  assert.equal(big.users.length, 50);
  summary.rooms = [trio.users.length, big.users.length];

  const rooms = await alice.client.chatd.getUserRooms();
  const ids = rooms.map((r) => r.uuid);
  assert.ok(ids.includes(trio.uuid) && ids.includes(big.uuid), 'getUserRooms lists both rooms');

  const sent = await alice.client.chatd.sendRoomMessage(trio.uuid, new ChatMessage({ content: 'hello from the sdk', alias: 'Alice' }));
  assert.equal(sent.content, 'hello from the sdk');
  assert.equal(sent.alias, 'Alice');
  assert.equal(sent.roomUuid, trio.uuid);
  assert.equal(sent.userUuid, cfg.alice.uuid);
  // A plain object, as apps also pass, and a ChatMessage read back and re-sent.
  const second = await bob.client.chatd.sendRoomMessage(trio.uuid, { content: 'réponse de Bob' });
  assert.equal(second.userUuid, cfg.bob.uuid);

  const history = await bob.client.chatd.getRoomMessages(trio.uuid, { limit: 10 });
  assert.deepEqual(history.map((m) => m.content), ['réponse de Bob', 'hello from the sdk'], 'newest first');
  assert.equal(history[1].uuid, sent.uuid);
  const resent = await alice.client.chatd.sendRoomMessage(trio.uuid, history[1]);
  assert.equal(resent.content, 'hello from the sdk');
  assert.notEqual(resent.uuid, sent.uuid);

  const found = await bob.client.chatd.getMessages({ search: 'REPONSE' });
  assert.equal(found.items.length, 1);
  assert.equal(found.items[0].uuid, second.uuid);
  const latest = await bob.client.chatd.getMessages({ distinct: 'room_uuid' });
  assert.ok(latest.items.some((m) => m.uuid === resent.uuid));

  assert.equal(await react(bob.session, 'POST', `/users/me/rooms/${trio.uuid}/messages/${sent.uuid}/reactions`, { emoji: '🎉' }), 201);
  assert.equal(await react(bob.session, 'DELETE', `/users/me/rooms/${trio.uuid}/messages/${sent.uuid}/reactions/${encodeURIComponent('🎉')}`), 204);

  // Presences.
  assert.equal(await carol.client.chatd.updateState(cfg.carol.uuid, 'away'), true);
  const info = await alice.client.chatd.getContactStatusInfo(cfg.carol.uuid);
  assert.equal(info.state, 'away');
  assert.equal(await alice.client.chatd.getState(cfg.carol.uuid), 'away');
  const lines = await alice.client.chatd.getMultipleLineState([cfg.bob.uuid, cfg.carol.uuid]);
  assert.equal(lines.length, 2);
  summary.presence = info.state;

  // Bob saw the room, message and reaction events of the others, in order.
  const roomish = (env) => env.name !== 'chatd_presence_updated';
  await until(() => bobWs.got.filter(roomish).length >= 7, 'bob\'s events');
  const bobSeq = bobWs.got.filter(roomish).map((e) => [e.name, e.data.uuid || e.data.message_uuid]);
  assert.deepEqual(bobSeq, [
    ['chatd_user_room_created', trio.uuid],
    ['chatd_user_room_created', big.uuid],
    ['chatd_user_room_message_created', sent.uuid],
    ['chatd_user_room_message_created', second.uuid],
    ['chatd_user_room_message_created', resent.uuid],
    ['chatd_users_room_message_reaction_created', sent.uuid],
    ['chatd_users_room_message_reaction_deleted', sent.uuid],
  ]);
  const msgEvent = bobWs.got.find((e) => e.name === 'chatd_user_room_message_created');
  assert.equal(msgEvent.room_uuid, trio.uuid);
  assert.equal(msgEvent.data.content, 'hello from the sdk');
  const reaction = bobWs.got.find((e) => e.name === 'chatd_users_room_message_reaction_created');
  assert.deepEqual(reaction.data, { message_uuid: sent.uuid, data: { emoji: '🎉', user_uuid: cfg.bob.uuid } });
  await until(() => bobWs.got.some((e) => e.name === 'chatd_presence_updated' && e.data.uuid === cfg.carol.uuid), 'presence event');

  // Carol is in none of those rooms: her first room event is the room made with her now.
  const hers = await alice.client.chatd.createRoom('with carol', [{ uuid: cfg.carol.uuid }]);
  await until(() => carolWs.got.some(roomish), 'carol\'s room event');
  const carolRoomEvents = carolWs.got.filter(roomish);
  assert.deepEqual(carolRoomEvents.map((e) => [e.name, e.data.uuid]), [['chatd_user_room_created', hers.uuid]]);
  summary.bob_events = bobSeq.length;
  summary.carol_room_events = carolRoomEvents.length;

  bobWs.ws.close(true);
  carolWs.ws.close(true);
  await alice.client.auth.logOut(alice.session.token);
  process.stdout.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
