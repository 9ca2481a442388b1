'use strict';
// chatd events over websocketd v2 (wazo-api.md 5.1-5.3, reactions of issue 5): one per room
// member, sender included, payload = what REST answered, in order, none for an idempotent
// create, none for users outside the room.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startChatd } = require('./lib/chatd');

let c;
let alice;
let bob;
let carol;

before(async () => {
  c = await startChatd();
  alice = await c.user('alice');
  bob = await c.user('bob');
  carol = await c.user('carol');
});

after(async () => {
  if (c) await c.server.stop();
});

test('room, message and reaction events reach every member in order, and nobody else', async () => {
  const aliceWs = await c.socket(alice);
  const bobWs = await c.socket(bob);
  const carolWs = await c.socket(carol);
  try {
    const room = await c.room(alice, [bob], 'events');
    for (const [ws, who] of [[bobWs, bob], [aliceWs, alice]]) {
      const ev = await ws.event();
      assert.equal(ev.name, 'chatd_user_room_created');
      assert.equal(ev[`user_uuid:${who.uuid}`], true);
      assert.equal(ev.required_acl, `events.chatd.users.${who.uuid}.rooms.created`);
      assert.equal(ev.tenant_uuid, alice.tenant);
      assert.equal(ev.origin_uuid, room.users[0].wazo_uuid);
      assert.deepEqual(ev.data, room);
    }
    // The identical create returns the room and publishes nothing: the next event each
    // member sees is the message.
    assert.equal((await c.room(bob, [alice])).uuid, room.uuid);
    const msg = await c.post(alice, room, 'hello events');
    for (const [ws, who] of [[bobWs, bob], [aliceWs, alice]]) {
      const ev = await ws.event();
      assert.equal(ev.name, 'chatd_user_room_message_created');
      assert.equal(ev.room_uuid, room.uuid);
      assert.equal(ev[`user_uuid:${who.uuid}`], true);
      assert.equal(ev.required_acl, `events.chatd.users.${who.uuid}.rooms.${room.uuid}.messages.created`);
      assert.deepEqual(ev.data, msg);
    }
    const path = `/users/me/rooms/${room.uuid}/messages/${msg.uuid}/reactions`;
    assert.equal((await c.chatd(bob.token, 'POST', path, { emoji: '👍🏽' })).status, 201);
    assert.equal((await c.chatd(bob.token, 'DELETE', `${path}/${encodeURIComponent('👍🏽')}`)).status, 204);
    for (const [ws, who] of [[bobWs, bob], [aliceWs, alice]]) {
      for (const verb of ['created', 'deleted']) {
        const ev = await ws.event();
        assert.equal(ev.name, `chatd_users_room_message_reaction_${verb}`);
        assert.equal(ev.room_uuid, room.uuid);
        assert.equal(ev[`user_uuid:${who.uuid}`], true);
        assert.equal(ev.required_acl, `events.chatd.users.${who.uuid}.rooms.${room.uuid}.messages.reactions.${verb}`);
        assert.deepEqual(ev.data, { message_uuid: msg.uuid, data: { emoji: '👍🏽', user_uuid: bob.uuid } });
      }
    }
    // Carol was in none of this: her first event is the room made with her now.
    const hers = await c.room(alice, [carol], 'carol too');
    const ev = await carolWs.event();
    assert.equal(ev.name, 'chatd_user_room_created');
    assert.equal(ev.data.uuid, hers.uuid);
    assert.equal((await aliceWs.event()).data.uuid, hers.uuid);
    // 3 members, then 30 messages: each member gets every message, in order.
    const group = await c.room(alice, [bob, carol], 'ordered');
    for (const ws of [aliceWs, bobWs, carolWs]) assert.equal((await ws.event()).data.uuid, group.uuid);
    const sent = [];
    for (let i = 0; i < 30; i++) sent.push((await c.post(i % 2 ? bob : carol, group, `n${i}`)).uuid);
    for (const ws of [aliceWs, bobWs, carolWs]) {
      const got = [];
      for (let i = 0; i < 30; i++) got.push((await ws.event()).data.uuid);
      assert.deepEqual(got, sent);
    }
  } finally {
    aliceWs.close();
    bobWs.close();
    carolWs.close();
  }
});
