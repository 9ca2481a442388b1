'use strict';
// Two Huard instances on one PostgreSQL database (DESIGN.md section 1): an event committed
// through one reaches the websocketd clients of the other through LISTEN/NOTIFY
// (events/relay.h), exactly once, and again after PostgreSQL restarts.
// The PostgreSQL server is the throwaway one of scripts/pg.sh (loopback, temp folder).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startChatd } = require('./lib/chatd');
const { startedSession, flush } = require('./lib/websocketd');

const ROOT = path.resolve(__dirname, '../..');
const PG_SH = path.join(ROOT, 'scripts/pg.sh');
const PGBIN = process.env.PGBIN || '/usr/lib/postgresql/15/bin';
const havePg = fs.existsSync(path.join(PGBIN, 'initdb')) && fs.existsSync(PG_SH);

let pg = null; // {dir, url}
let one;
let two;
let alice;
let bob;

function pgStart() {
  const out = execFileSync(PG_SH, ['start'], { encoding: 'utf8', timeout: 120000 });
  const vars = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return { dir: vars.HUARD_PG_DIR, url: vars.HUARD_PG_URL };
}

before(async () => {
  if (!havePg) return;
  pg = pgStart();
  const opts = { args: ['--database', pg.url] };
  // One after the other: the first creates the schema, tenant and admin.
  one = await startChatd(opts);
  await one.server.waitForLog(/msg=relay_listening/, 15000);
  two = await startChatd(opts);
  await two.server.waitForLog(/msg=relay_listening/, 15000);
  alice = await one.user('alice');
  bob = await one.user('bob');
});

after(async () => {
  const errors = [];
  for (const h of [one, two]) {
    if (h) await h.server.stop().catch((e) => errors.push(e));
  }
  if (pg) execFileSync(PG_SH, ['stop', pg.dir], { timeout: 60000 });
  if (errors.length) throw errors[0];
});

test('PostgreSQL harness available', { skip: havePg ? false : `no PostgreSQL at ${PGBIN}` }, () => {
  assert.ok(pg && pg.url.startsWith('postgresql://'));
});

test('an event committed on one instance reaches the clients of the other, once',
  { skip: !havePg && 'no PostgreSQL' }, async () => {
    const a1 = await startedSession(one.server, alice.token);
    const b2 = await startedSession(two.server, bob.token);
    const b1 = await startedSession(one.server, bob.token);

    const room = await one.room(alice, [bob], 'across');
    const created = await b2.next();
    assert.equal(created.data.name, 'chatd_user_room_created');
    assert.equal(created.data.data.uuid, room.uuid);
    assert.equal(created.data[`user_uuid:${bob.uuid}`], true);

    const msg = await one.post(alice, room, 'from instance one');
    const remote = await b2.next();
    assert.equal(remote.data.name, 'chatd_user_room_message_created');
    assert.equal(remote.data.data.uuid, msg.uuid);
    assert.equal((await a1.next()).data.name, 'chatd_user_room_created');
    assert.equal((await a1.next()).data.data.uuid, msg.uuid);

    // The local session of the same user got the same events with the same seqs, once each
    // (the relay reads this instance's own events back; the bus drops them).
    const b1Created = await b1.next();
    const b1Msg = await b1.next();
    assert.equal(b1Created.seq, created.seq);
    assert.equal(b1Msg.seq, remote.seq);
    assert.deepEqual(await flush(b1), [], 'no duplicate on the posting instance');
    assert.deepEqual(await flush(b2), [], 'no duplicate on the other instance');

    // And back: bob posts through instance two, alice listens on instance one.
    const reply = await two.post(bob, room, 'from instance two');
    const back = await a1.next();
    assert.equal(back.data.name, 'chatd_user_room_message_created');
    assert.equal(back.data.data.uuid, reply.uuid);
    assert.ok(back.seq > remote.seq);
    assert.deepEqual(await flush(a1), []);
    for (const s of [a1, b1, b2]) s.terminate();
  });

test('tenant events cross instances too', { skip: !havePg && 'no PostgreSQL' }, async () => {
  const a2 = await startedSession(two.server, alice.token, ['chatd_presence_updated']);
  const res = await one.chatd(bob.token, 'PUT', `/users/${bob.uuid}/presences`, { state: 'away' });
  assert.equal(res.status, 204, res.text);
  const ev = await a2.next();
  assert.equal(ev.data.name, 'chatd_presence_updated');
  assert.equal(ev.data.data.uuid, bob.uuid);
  a2.terminate();
});

test('after a PostgreSQL crash and restart, the relay reconnects and delivers',
  { skip: !havePg && 'no PostgreSQL' }, async () => {
    const b2 = await startedSession(two.server, bob.token, ['chatd_user_room_message_created']);
    const room = await one.room(alice, [bob], 'across');
    const mark = two.server.stderr.length;
    execFileSync(PG_SH, ['crash', pg.dir], { timeout: 60000 });
    await two.server.waitForLog(/msg=relay_connection_lost/, 15000, mark);
    execFileSync(PG_SH, ['restart', pg.dir], { timeout: 60000 });
    // The store's connections come back on their own; retry the post for a bounded time.
    const deadline = Date.now() + 20000;
    let res;
    for (;;) {
      res = await one.chatd(alice.token, 'POST', `/users/me/rooms/${room.uuid}/messages`, { content: 'after restart' });
      if (res.status === 201 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(res.status, 201, res.text);
    const ev = await b2.next(30000);
    assert.equal(ev.data.data.uuid, res.body.uuid);
    await two.server.waitForLog(/msg=relay_listening/, 1000, mark);
    b2.terminate();
  });
