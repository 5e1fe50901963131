// Test helpers: a real `herald serve` per test file, UserSigs from `herald usersig`,
// the admin REST API, a TCP proxy that can cut the network, and the Go SDK peer.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

import { Client } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
export const bin = join(here, ".bin");
export const sdkAppID = 1400000001;
const secretKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

// Children this test process started: killed when it exits, even when the test runner
// ends it on a timeout, so that no herald serve or Chromium outlives a failed run.
const children = new Set();
const tempDirs = new Set();
export function own(proc) {
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  return proc;
}
process.once("exit", () => {
  for (const p of children) {
    try {
      process.kill(p.spawnargs.includes("--headless") ? -p.pid : p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
for (const sig of ["SIGTERM", "SIGINT"]) process.once(sig, () => process.exit(1));

function mustBin(name) {
  const p = join(bin, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run the tests with npm test (its pretest builds it) or node test/setup.mjs`);
  return p;
}

/** waitFor polls cond until it returns a truthy value, and returns it; it throws after ms. */
export async function waitFor(what, cond, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** startServer runs `herald serve` on a free port with a temporary data directory; stop() ends it and removes the directory. */
export async function startServer(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "herald-sdkjs-"));
  tempDirs.add(dir);
  const proc = own(spawn(mustBin("herald"), ["serve", "--listen", "127.0.0.1:0", "--data", dir, ...extraArgs], {
    env: { ...process.env, HERALD_SDKAPPID: String(sdkAppID), HERALD_SECRET_KEY: secretKey, HERALD_LOG_LEVEL: "info" },
    stdio: ["ignore", "ignore", "pipe"],
  }));
  let log = "";
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`herald serve did not start in 20 s:\n${log}`));
    }, 20_000);
    proc.stderr.on("data", (b) => {
      log += b;
      const m = /msg="herald serving" addr=(\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on("exit", (code) => reject(new Error(`herald serve exited with ${code}:\n${log}`)));
  });
  const s = {
    addr,
    wsURL: `ws://${addr}/v1/ws`,
    log: () => log,
    usersig: (user, expireSeconds = 86400) =>
      execFileSync(mustBin("herald"), ["usersig", "--sdkappid", String(sdkAppID), "--key", secretKey, "--user", user, "--expire", String(expireSeconds)])
        .toString()
        .trim(),
    /** admin calls the admin REST API as the app admin and returns {status, body}. */
    async admin(method, path, body) {
      const sig = s.adminSig ??= s.usersig("administrator");
      const sep = path.includes("?") ? "&" : "?";
      const res = await fetch(`http://${addr}${path}${sep}sdkappid=${sdkAppID}&identifier=administrator&usersig=${encodeURIComponent(sig)}`, {
        method,
        headers: body ? { "content-type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    },
    async importUsers(...users) {
      const r = await s.admin("POST", "/v1/admin/accounts/import", { accounts: users.map((u) => ({ user_id: u })) });
      if (r.status !== 200) throw new Error(`import: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return s;
}

/**
 * newClient returns a JS SDK client for user on server (through url if given) that
 * records what its listener sees; stop it with close().
 */
export function newClient(server, { url, deviceID, platform = "Android", ...cfg } = {}) {
  const seen = { messages: [], conversations: [], kicked: [], states: [], stateTimes: [], expired: 0 };
  const c = new Client({
    url: url ?? server.wsURL,
    sdkAppID,
    deviceID,
    platform,
    webSocket: WebSocket,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    logger: { warn() {}, error: (...a) => console.error(...a) },
    listener: {
      onNewMessage: (m) => seen.messages.push(m),
      onConversationChanged: (cv) => seen.conversations.push(cv),
      onKickedOffline: (k) => seen.kicked.push(k),
      onConnectionChanged: (st, err) => {
        seen.states.push(err ? `${st}: ${err.message}` : st);
        seen.stateTimes.push([st, Date.now()]);
      },
      onUserSigExpired: () => seen.expired++,
    },
    ...cfg,
  });
  c.seen = seen;
  c.texts = () => seen.messages.map((m) => m.elements[0]?.text).join(",");
  return c;
}

/**
 * startProxy forwards TCP connections to target. cut() drops them all and refuses new
 * ones until restore(); freeze() silently drops all bytes (a dead network that sends no
 * close) and loseAnswers() only the server's, until restore().
 */
export async function startProxy(target) {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const sockets = new Set();
  let down = false;
  let frozen = false;
  let deaf = false; // drop only the server's bytes
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (b) => frozen || upstream.write(b));
    upstream.on("data", (b) => frozen || deaf || client.write(b));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const addr = `127.0.0.1:${server.address().port}`;
  return {
    wsURL: `ws://${addr}/v1/ws`,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    freeze() {
      frozen = true;
    },
    /** loseAnswers drops what the server sends (its answers) but passes what the client sends. */
    loseAnswers() {
      deaf = true;
    },
    restore() {
      down = false;
      frozen = false;
      deaf = false;
    },
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }),
  };
}

/** goPeer runs the Go SDK (test/gopeer) as a user; its events are in .events (wire JSON). */
export async function goPeer(server, user, { deviceID = `go-${user}`, platform = "Linux" } = {}) {
  const proc = own(spawn(mustBin("gopeer"), [], { stdio: ["pipe", "pipe", "inherit"] }));
  const events = [];
  const waiting = new Map();
  let next = 0;
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const v = JSON.parse(line);
    if (v.event) events.push(v);
    else waiting.get(v.id)?.(v);
  });
  const cmd = (c) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, (v) => (v.error ? reject(new Error(`gopeer ${c.cmd}: ${v.error}`)) : resolve(v)));
      proc.stdin.write(JSON.stringify({ id, ...c }) + "\n");
    });
  await cmd({ cmd: "login", url: server.wsURL, sdkappid: sdkAppID, user, sig: server.usersig(user), device: deviceID, platform });
  return {
    events,
    messages: () => events.filter((e) => e.event === "message").map((e) => e.message),
    send: (to, text) => cmd({ cmd: "send", to, text }).then((v) => v.message),
    sendGroup: (groupID, text) => cmd({ cmd: "send", group_id: groupID, text }).then((v) => v.message),
    async close() {
      await cmd({ cmd: "close" }).catch(() => {});
      proc.stdin.end();
      if (proc.exitCode === null) await new Promise((r) => proc.once("exit", r));
    },
  };
}
