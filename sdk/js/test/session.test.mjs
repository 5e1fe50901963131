// Reconnects, kicks, an expired UserSig and the push binding, against a real herald serve.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ClientStateError, HeraldError, TimeoutError, createTextMessage } from "../dist/index.js";
import { goPeer, newClient, startProxy, startServer, waitFor } from "./helpers.mjs";

let server;
before(async () => {
  server = await startServer();
  await server.importUsers("dave", "erin", "frank", "gina", "gopher");
});
after(() => server?.stop());

test("reconnect catches up in order without duplicates", async () => {
  const proxy = await startProxy(server.addr);
  const js = newClient(server, { url: proxy.wsURL, deviceID: "dave-phone" });
  await js.login("dave", server.usersig("dave"));
  const go = await goPeer(server, "gopher", { deviceID: "go-reconnect" });
  try {
    await go.send("dave", "m1");
    await waitFor("m1", () => js.seen.messages.length === 1);

    proxy.cut();
    await waitFor("the disconnect", () => js.connectionState !== "connected");
    // A call made while disconnected waits for the reconnect; a short one times out.
    const queued = js.sendMessage(createTextMessage("sent while away"), { receiver: "gopher" });
    await assert.rejects(js.getConversationList({ timeoutMs: 100 }), (e) => e instanceof TimeoutError);
    for (const t of ["m2", "m3", "m4", "m5", "m6"]) await go.send("dave", t);
    // Reconnect attempts fail while the network is down; they come at jittered
    // intervals, doubling from 50 ms but never more than maxBackoffMs (200) apart.
    const since = Date.now();
    await waitFor("eight failed reconnects", () => js.seen.stateTimes.filter(([s, t]) => s === "connecting" && t >= since).length >= 8);
    const starts = js.seen.stateTimes.filter(([s, t]) => s === "connecting" && t >= since).map(([, t]) => t);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    assert.ok(Math.max(...gaps) < 200 + 250, `gaps between reconnects ${gaps} ms: over the 200 ms cap`);
    assert.ok(new Set(gaps).size > 1, `gaps between reconnects ${gaps} ms: no jitter`);
    assert.equal(js.seen.messages.length, 1);

    proxy.restore();
    await waitFor("the catch-up", () => js.seen.messages.length >= 6);
    const sent = await queued;
    assert.ok(sent.id, "the queued send was stored");
    assert.equal(js.texts(), "m1,m2,m3,m4,m5,m6");
    const seqs = js.seen.messages.map((m) => m.inboxSeq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, 6);
    await waitFor("the Go peer gets the queued send", () => go.messages().some((m) => m.elements[0].text === "sent while away"));
    assert.equal(go.messages().filter((m) => m.client_msg_id === sent.clientMsgID).length, 1);
    assert.equal(js.connectionState, "connected");

    // A second outage right after: nothing is delivered twice.
    proxy.cut();
    await waitFor("the second disconnect", () => js.connectionState !== "connected");
    await go.send("dave", "m7");
    proxy.restore();
    await waitFor("m7", () => js.seen.messages.length === 7);
    await go.send("dave", "m8");
    await waitFor("m8", () => js.seen.messages.length === 8);
    assert.equal(js.texts(), "m1,m2,m3,m4,m5,m6,m7,m8");
  } finally {
    await go.close();
    await js.close();
    await proxy.close();
  }
  // After close the device is still logged in: a new client of the same device resumes after m8.
  const again = newClient(server, { deviceID: "dave-phone" });
  await again.login("dave", server.usersig("dave"));
  const go2 = await goPeer(server, "gopher", { deviceID: "go-reconnect-2" });
  try {
    await go2.send("dave", "m9");
    await waitFor("m9", () => again.seen.messages.length >= 1);
    assert.equal(again.texts(), "m9");
  } finally {
    await go2.close();
    await again.close();
  }
});

test("a send whose answer was lost is sent again and stored once", async () => {
  const proxy = await startProxy(server.addr);
  const js = newClient(server, { url: proxy.wsURL, deviceID: "dave-laptop", platform: "Mac" });
  await js.login("dave", server.usersig("dave"));
  const go = await goPeer(server, "gopher", { deviceID: "go-resend" });
  try {
    proxy.loseAnswers();
    const msg = createTextMessage("answer lost");
    const sending = js.sendMessage(msg, { receiver: "gopher" });
    // The server stored and delivered it; its answer never came back.
    await waitFor("the Go peer gets it", () => go.messages().some((m) => m.client_msg_id === msg.clientMsgID));
    proxy.cut();
    proxy.restore();
    const sent = await sending; // sent again on the new connection
    const copies = go.messages().filter((m) => m.client_msg_id === msg.clientMsgID);
    assert.equal(copies.length, 1);
    assert.equal(sent.id, copies[0].id);
    const hist = await js.getC2CHistoryMessageList("gopher", 100);
    assert.equal(hist.filter((m) => m.clientMsgID === msg.clientMsgID).length, 1);
  } finally {
    await go.close();
    await js.close();
    await proxy.close();
  }
});

test("a silent network is noticed by the heartbeat and reconnected", async () => {
  // A server with a 1 s heartbeat: the client beats every 500 ms and gives up on a
  // connection silent for three beats.
  const fast = await startServer(["--heartbeat", "1s"]);
  await fast.importUsers("dave");
  const proxy = await startProxy(fast.addr);
  // A reconnect started before the network returns times out quickly too.
  const js = newClient(fast, { url: proxy.wsURL, deviceID: "dave-tablet", connectTimeoutMs: 1000 });
  try {
    await js.login("dave", fast.usersig("dave"));
    proxy.freeze();
    await waitFor("the heartbeat timeout", () => js.seen.states.some((s) => s.includes("no answer from the server")), 5_000);
    proxy.restore();
    await waitFor("the reconnect", () => js.connectionState === "connected", 5_000);
    assert.ok((await js.getConversationList()).conversations);
  } finally {
    await js.close();
    await proxy.close();
    await fast.stop();
  }
});

test("an expired UserSig stops the reconnects", async () => {
  const proxy = await startProxy(server.addr);
  const js = newClient(server, { url: proxy.wsURL, deviceID: "erin-phone" });
  await js.login("erin", server.usersig("erin", 1));
  try {
    proxy.cut();
    await waitFor("the disconnect", () => js.connectionState !== "connected");
    // The UserSig's lifetime is wall-clock seconds: outlive it.
    await new Promise((r) => setTimeout(r, 2100));
    proxy.restore();
    await waitFor("onUserSigExpired", () => js.seen.expired === 1);
    assert.match(js.seen.states.at(-1), /^disconnected: herald 40103 usersig_expired/);
    await assert.rejects(js.doForeground(), (e) => e instanceof ClientStateError && e.state === "not_logged_in");
    // A new UserSig logs in again.
    await js.login("erin", server.usersig("erin"));
    assert.equal(js.connectionState, "connected");
  } finally {
    await js.close();
    await proxy.close();
  }
});

test("kicked offline by a login on another phone", async () => {
  const first = newClient(server, { deviceID: "frank-phone-1", platform: "Android" });
  await first.login("frank", server.usersig("frank"));
  const web = newClient(server, { deviceID: "frank-web", platform: "Web" });
  await web.login("frank", server.usersig("frank"));
  // The Go SDK logs in on a second Android phone: the per-platform policy displaces the first.
  const go = await goPeer(server, "frank", { deviceID: "frank-phone-2", platform: "Android" });
  try {
    await waitFor("the kick", () => first.seen.kicked.length === 1);
    assert.equal(first.seen.kicked[0].code, 40105);
    assert.equal(first.seen.kicked[0].platform, "Android");
    assert.match(first.seen.kicked[0].reason, /Android/);
    await assert.rejects(first.getConversationList(), (e) => e instanceof ClientStateError && e.state === "kicked");
    assert.equal(first.connectionState, "disconnected");
    // It does not reconnect by itself.
    const states = first.seen.states.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(first.seen.states.length, states);
    const devices = await server.admin("GET", "/v1/admin/users/frank/devices");
    const d = devices.body.devices.find((x) => x.device_id === "frank-phone-1");
    assert.equal(d.state, "logged_out");
    // The web session is another platform and stays.
    assert.equal(web.connectionState, "connected");
    assert.equal(web.seen.kicked.length, 0);
    assert.equal((await web.getConversationList()).totalUnread >= 0, true);
  } finally {
    await go.close();
    await web.close();
    await first.close();
  }
});

test("push config binding in the admin device API", async () => {
  const cert = await server.admin("POST", "/v1/admin/push/certificates", {
    vendor: "xiaomi",
    name: "mi for the js sdk test",
    package_name: "com.example.chat",
    app_secret: "xiaomi-app-secret-0123456789",
  });
  assert.equal(cert.status, 200, JSON.stringify(cert.body));
  const businessID = cert.body.id;
  const token = "mi-token-0123456789abcdefghijklmnopqrstuvwxyz";
  const js = newClient(server, { deviceID: "gina-mi", platform: "Android" });
  await js.login("gina", server.usersig("gina"));
  const device = async () => {
    const r = await server.admin("GET", "/v1/admin/users/gina/devices");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.devices.find((d) => d.device_id === "gina-mi");
  };
  try {
    await assert.rejects(js.setOfflinePushConfig(987654, token), (e) => e instanceof HeraldError && e.code === 40001);
    await js.setOfflinePushConfig(businessID, token);
    let d = await device();
    assert.equal(d.certificate_id, businessID);
    assert.equal(d.vendor, "xiaomi");
    assert.equal(d.state, "online");
    assert.ok(d.token && token.startsWith(d.token.replace(/…$/, "")) && d.token !== token, `token shown redacted, got ${d.token}`);
    assert.equal(d.background, false);
    assert.equal(d.push.would_push, false, JSON.stringify(d.push));

    await js.doBackground(5);
    d = await device();
    assert.equal(d.background, true);
    assert.equal(d.badge, 5);
    assert.equal(d.push.would_push, true, JSON.stringify(d.push));

    await js.doForeground();
    d = await device();
    assert.equal(d.background, false);
    assert.equal(d.badge, 0);

    // Logout unbinds.
    await js.logout();
    d = await device();
    assert.equal(d.state, "logged_out");
    assert.equal(d.push.would_push, false);
  } finally {
    await js.close();
  }
});
