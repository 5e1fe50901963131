// One browser test: headless Chromium loads the built ESM package in a page, which logs in
// to a real herald serve, sends to the Go SDK and receives its answer.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { goPeer, own, sdkAppID, startServer, waitFor } from "./helpers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// chromium returns the Chromium binary: $HERALD_CHROMIUM, else one on the PATH, else "".
function chromium() {
  if (process.env.HERALD_CHROMIUM) return process.env.HERALD_CHROMIUM;
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    try {
      return execFileSync("sh", ["-c", `command -v ${name}`]).toString().trim();
    } catch {
      // not this one
    }
  }
  return "";
}

const chrome = chromium();

test("the ESM package in headless Chromium", { skip: chrome ? false : "no Chromium on this machine (apt-get install -y chromium; .ci/run installs it): the browser test did not run" }, async () => {
  const server = await startServer();
  await server.importUsers("webuser", "gopher");
  const go = await goPeer(server, "gopher", { deviceID: "go-browser" });
  const results = [];
  // The page and the built package, from one origin; the page reports to POST /result.
  const http = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (req.method === "POST" && path === "/result") {
      let body = "";
      req.on("data", (b) => (body += b)).on("end", () => {
        results.push(JSON.parse(body));
        res.end("{}");
      });
      return;
    }
    const file = path === "/" ? join(root, "test", "browser", "index.html") : normalize(join(root, path));
    if (!file.startsWith(join(root, "dist")) && !file.endsWith("index.html")) {
      res.writeHead(404).end();
      return;
    }
    try {
      const type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : "application/octet-stream";
      res.writeHead(200, { "content-type": type }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const page = new URL(`http://127.0.0.1:${http.address().port}/`);
  for (const [k, v] of Object.entries({ ws: server.wsURL, app: sdkAppID, user: "webuser", sig: server.usersig("webuser"), peer: "gopher" })) {
    page.searchParams.set(k, String(v));
  }
  const profile = mkdtempSync(join(tmpdir(), "herald-sdkjs-chromium-"));
  const browser = own(spawn(chrome, [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    `--user-data-dir=${profile}`, "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0", page.href,
  ], { stdio: "ignore", detached: true })); // its own process group: the renderers and helpers die with it
  try {
    const sent = await waitFor("the page's send", () => results.find((r) => r.step || r.error), 30_000);
    assert.equal(sent.error, undefined, sent.error);
    await waitFor("the Go peer gets the browser's message", () => go.messages().some((m) => m.client_msg_id === sent.clientMsgID));
    assert.equal(go.messages().find((m) => m.client_msg_id === sent.clientMsgID).elements[0].text, "hello from the browser");
    await go.send("webuser", "hello browser");
    const done = await waitFor("the page's result", () => results.find((r) => r.done || r.error), 20_000);
    assert.equal(done.error, undefined, done.error);
    assert.deepEqual(done.got, ["hello browser"]);
    assert.deepEqual(done.states, ["connecting", "connected", "disconnected"]);
    assert.equal(done.unread, 1);
    assert.match(done.userAgent, /Chrome/);
  } finally {
    const exited = browser.exitCode === null ? new Promise((r) => browser.once("exit", r)) : null;
    try {
      process.kill(-browser.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    await go.close();
    await server.stop();
    // Chromium's last helpers may still be writing to the profile for a moment.
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
