// The JS SDK against a real herald serve, with the Go SDK on the other end.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  ClientStateError,
  HeraldError,
  ReceiveMessageOpt,
  createCustomMessage,
  createFaceMessage,
  createFileMessage,
  createImageMessage,
  createLocationMessage,
  createMergerMessage,
  createSoundMessage,
  createTextAtMessage,
  createTextMessage,
  createVideoMessage,
} from "../dist/index.js";
import { goPeer, newClient, startServer, waitFor } from "./helpers.mjs";

let server;
before(async () => {
  server = await startServer();
  await server.importUsers("alice", "bob", "carol", "gopher");
});
after(() => server?.stop());

describe("login", () => {
  test("OK", async () => {
    const c = newClient(server, { deviceID: "a-login" });
    await c.login("alice", server.usersig("alice"));
    assert.equal(c.connectionState, "connected");
    assert.deepEqual(c.seen.states, ["connecting", "connected"]);
    await c.logout();
    assert.equal(c.connectionState, "disconnected");
    await assert.rejects(c.getConversationList(), (e) => e instanceof ClientStateError && e.state === "not_logged_in");
  });

  test("ErrUserSigInvalid", async () => {
    const c = newClient(server, { deviceID: "a-bad" });
    await assert.rejects(c.login("alice", server.usersig("bob")), (e) => e instanceof HeraldError && e.code === 40102 && e.error === "usersig_invalid");
    assert.equal(c.connectionState, "disconnected");
    // Not logged in: no reconnects, calls refused.
    await assert.rejects(c.doForeground(), (e) => e instanceof ClientStateError && e.state === "not_logged_in");
  });

  test("ErrServerError", async () => {
    const c = newClient(server, { deviceID: "a-err" });
    await c.login("alice", server.usersig("alice"));
    await assert.rejects(c.sendMessage(createTextMessage("hi"), { receiver: "nobody" }), (e) => e instanceof HeraldError && e.code === 40401);
    await c.close();
  });
});

test("messages both ways with the Go SDK", async () => {
  const js = newClient(server, { deviceID: "bob-web", platform: "Web" });
  await js.login("bob", server.usersig("bob"));
  const go = await goPeer(server, "gopher");
  try {
    // Go → JS, in order.
    for (const t of ["g1", "g2", "g3"]) await go.send("bob", t);
    await waitFor("bob's three messages", () => js.seen.messages.length === 3);
    assert.equal(js.texts(), "g1,g2,g3");
    const m = js.seen.messages[0];
    assert.equal(m.from, "gopher");
    assert.equal(m.type, "c2c");
    assert.ok(m.inboxSeq > 0 && m.seq > 0 && m.id, `stored message fields: ${JSON.stringify(m)}`);

    // JS → Go: every element type, with push info and custom data, arrives whole.
    const sends = [
      createTextMessage("hello gopher"),
      createCustomMessage('{"k":1}', "a custom push text", "ext1"),
      createImageMessage("https://img.example/a.png", 640, 480, 1234, "https://img.example/a-thumb.png"),
      createSoundMessage("https://cdn.example/a.m4a", 7, 2048),
      createVideoMessage("https://cdn.example/v.mp4", "https://cdn.example/v.jpg", 12, 99999),
      createFileMessage("https://cdn.example/f.pdf", "report.pdf", 4096),
      createLocationMessage("Shenzhen Bay", 22.5, 113.9),
      createFaceMessage(3, "smile"),
      createMergerMessage([{ ...createTextMessage("old one"), from: "bob" }], "Chat history", ["bob: old one"]),
    ];
    sends[0].cloudCustomData = "cc-data";
    const pushInfo = { title: "From Bob", desc: "you have mail", ext: '{"open":"chat"}', iOSSound: "ding.caf", androidSound: "ding", oppoChannelID: "chat", vivoClassification: 1 };
    const stored = [];
    for (const msg of sends) stored.push(await js.sendMessage(msg, { receiver: "gopher", offlinePushInfo: pushInfo }));
    assert.ok(stored.every((s, i) => s.id && s.clientMsgID === sends[i].clientMsgID && s.from === "bob"));
    await waitFor("gopher's messages", () => go.messages().length === sends.length);
    const got = go.messages();
    assert.deepEqual(got.map((g) => g.elements[0].type), ["text", "custom", "image", "sound", "video", "file", "location", "face", "merged"]);
    assert.deepEqual(got[1].elements[0], { type: "custom", data: '{"k":1}', desc: "a custom push text", ext: "ext1" });
    assert.deepEqual(got[2].elements[0], { type: "image", url: "https://img.example/a.png", thumb_url: "https://img.example/a-thumb.png", width: 640, height: 480, size: 1234 });
    assert.deepEqual(got[6].elements[0], { type: "location", desc: "Shenzhen Bay", latitude: 22.5, longitude: 113.9 });
    assert.equal(got[8].elements[0].messages[0].elements[0].text, "old one");
    assert.equal(got[0].cloud_custom_data, "cc-data");
    assert.deepEqual(got[0].offline_push_info, { title: "From Bob", desc: "you have mail", ext: '{"open":"chat"}', ios_sound: "ding.caf", android_sound: "ding", oppo_channel_id: "chat", vivo_classification: 1 });

    // The JS side reads them back in camelCase through history (newest first).
    const hist = await js.getC2CHistoryMessageList("gopher", 20);
    assert.equal(hist.length, 12);
    assert.equal(hist[0].elements[0].type, "merged");
    assert.deepEqual(hist[6].elements[0], { type: "image", url: "https://img.example/a.png", thumbURL: "https://img.example/a-thumb.png", width: 640, height: 480, size: 1234 });
    assert.equal(hist[11].offlinePushInfo, undefined);
    assert.deepEqual(hist[8].offlinePushInfo, { title: "From Bob", desc: "you have mail", ext: '{"open":"chat"}', iOSSound: "ding.caf", androidSound: "ding", oppoChannelID: "chat", vivoClassification: 1 });
    const older = await js.getC2CHistoryMessageList("gopher", 5, hist[9]);
    assert.deepEqual(older.map((m) => m.elements[0].text), ["g2", "g1"]);

    // Its own messages are not "new" to the sending device.
    assert.equal(js.seen.messages.length, 3);

    // Online-only (typing) messages reach connected devices only and are not stored.
    const typing = await js.sendMessage(createCustomMessage("typing"), { receiver: "gopher", onlineUserOnly: true });
    assert.equal(typing.inboxSeq, undefined);
    await waitFor("the typing message", () => go.messages().length === sends.length + 1);
    assert.equal(go.messages().at(-1).online_only, true);
    assert.equal((await js.getC2CHistoryMessageList("gopher", 1))[0].elements[0].type, "merged");
  } finally {
    await go.close();
    await js.close();
  }
});

test("conversations, unread and mark read across devices", async () => {
  const web = newClient(server, { deviceID: "carol-web", platform: "Web" });
  const phone = newClient(server, { deviceID: "carol-phone", platform: "Android" });
  const alice = newClient(server, { deviceID: "alice-conv" });
  await web.login("carol", server.usersig("carol"));
  await phone.login("carol", server.usersig("carol"));
  await alice.login("alice", server.usersig("alice"));
  try {
    for (const t of ["c1", "c2"]) await alice.sendMessage(createTextMessage(t), { receiver: "carol" });
    await waitFor("both of carol's devices", () => web.seen.messages.length === 2 && phone.seen.messages.length === 2);
    let list = await web.getConversationList();
    const conv = list.conversations.find((c) => c.id === "c2c_alice");
    assert.ok(conv, JSON.stringify(list));
    assert.equal(conv.unread, 2);
    assert.equal(conv.peerID, "alice");
    assert.equal(conv.lastMessage.elements[0].text, "c2");
    assert.ok(list.totalUnread >= 2);

    const read = await web.markC2CMessageAsRead("alice");
    assert.equal(read.unread, 0);
    assert.equal(read.readSeq, read.lastSeq);
    // The other device hears of it.
    await waitFor("the phone's conversation event", () => phone.seen.conversations.length === 1);
    assert.equal(phone.seen.conversations[0].id, "c2c_alice");
    assert.equal(phone.seen.conversations[0].unread, 0);
    list = await phone.getConversationList();
    assert.equal(list.conversations.find((c) => c.id === "c2c_alice").unread, 0);

    // A message carol sends from the web reaches her phone as her own.
    await web.sendMessage(createTextMessage("from web"), { receiver: "alice" });
    await waitFor("the phone's copy", () => phone.seen.messages.length === 3);
    assert.equal(phone.seen.messages[2].from, "carol");
    assert.equal(web.seen.messages.length, 2);
  } finally {
    await Promise.all([web.close(), phone.close(), alice.close()]);
  }
});

test("receive options and do-not-disturb", async () => {
  const bob = newClient(server, { deviceID: "bob-opts" });
  const alice = newClient(server, { deviceID: "alice-opts" });
  await bob.login("bob", server.usersig("bob"));
  await alice.login("alice", server.usersig("alice"));
  try {
    await bob.setC2CReceiveMessageOpt(["alice"], ReceiveMessageOpt.NotReceiveMessage);
    assert.deepEqual(await bob.getC2CReceiveMessageOpt(["alice", "carol"]), { alice: 1, carol: 0 });
    await alice.sendMessage(createTextMessage("dropped"), { receiver: "bob" });
    await bob.setC2CReceiveMessageOpt(["alice"], ReceiveMessageOpt.ReceiveNotNotifyMessage);
    await alice.sendMessage(createTextMessage("kept"), { receiver: "bob" });
    // A new device of bob's gets his stored inbox first; of alice's two, only the second.
    await waitFor("the kept message", () => bob.texts().includes("kept"));
    assert.deepEqual(bob.seen.messages.filter((m) => m.from === "alice").map((m) => m.elements[0].text), ["kept"]);
    await bob.setAllReceiveMessageOpt(22, 0, 0, 8 * 3600);
    const dev = await server.admin("GET", "/v1/admin/users/bob/devices");
    assert.equal(dev.status, 200);
    await bob.setAllReceiveMessageOpt(0, 0, 0, 0);
    await assert.rejects(bob.setAllReceiveMessageOpt(0, 0, 0, 90000), (e) => e instanceof HeraldError && e.code === 40001);
    await bob.setSelfInfo({ nickname: "Bobby" });
  } finally {
    await bob.setC2CReceiveMessageOpt(["alice"], ReceiveMessageOpt.ReceiveMessage);
    await Promise.all([bob.close(), alice.close()]);
  }
});

test("groups", async () => {
  const alice = newClient(server, { deviceID: "alice-grp" });
  const bob = newClient(server, { deviceID: "bob-grp" });
  await alice.login("alice", server.usersig("alice"));
  await bob.login("bob", server.usersig("bob"));
  const go = await goPeer(server, "gopher", { deviceID: "go-grp" });
  try {
    const g = await alice.createGroup("team1", "Team", ["bob"]);
    assert.equal(g.id, "team1");
    assert.equal(g.ownerID, "alice");
    assert.deepEqual(await alice.inviteUserToGroup("team1", ["gopher", "carol"]), ["gopher", "carol"]);
    await alice.setGroupMemberRole("team1", "bob", "admin");
    const info = await bob.getGroupInfo("team1");
    assert.deepEqual(Object.fromEntries(info.members.map((m) => [m.userID, m.role])), { alice: "owner", bob: "admin", gopher: "member", carol: "member" });
    assert.deepEqual(await bob.kickGroupMember("team1", ["carol"]), ["carol"]);

    // New devices first get their users' stored inboxes: look at the group's messages only.
    const inGroup = (ms) => ms.filter((m) => (m.groupID ?? m.group_id) === "team1");
    const sent = await alice.sendMessage(createTextAtMessage("standup", ["bob"]), { groupID: "team1", priority: "high" });
    assert.equal(sent.type, "group");
    assert.equal(sent.priority, "high");
    await waitFor("bob and the Go peer get the group message", () => inGroup(bob.seen.messages).length === 1 && inGroup(go.messages()).length === 1);
    assert.deepEqual(inGroup(bob.seen.messages)[0].atUserIDs, ["bob"]);
    assert.equal(inGroup(go.messages())[0].elements[0].text, "standup");
    await go.sendGroup("team1", "from go");
    await waitFor("the Go peer's group message", () => inGroup(bob.seen.messages).length === 2 && inGroup(alice.seen.messages).length === 1);
    assert.equal(inGroup(alice.seen.messages)[0].from, "gopher");
    assert.equal(inGroup(alice.seen.messages)[0].elements[0].text, "from go");
    await bob.setGroupReceiveMessageOpt("team1", ReceiveMessageOpt.ReceiveNotNotifyMessageExceptAt);
    const hist = await bob.getGroupHistoryMessageList("team1", 10);
    assert.deepEqual(hist.map((m) => m.elements[0].text), ["from go", "standup"]);
    const conv = (await bob.markGroupMessageAsRead("team1"));
    assert.equal(conv.unread, 0);
    assert.equal(conv.recvOpt, 3);
    await bob.quitGroup("team1");
    await assert.rejects(bob.getGroupInfo("team1"), (e) => e instanceof HeraldError && e.code === 40301);
  } finally {
    await go.close();
    await Promise.all([alice.close(), bob.close()]);
  }
});
