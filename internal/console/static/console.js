// Herald console: plain JavaScript that calls the admin REST API (/v1/admin/...).
// Every value from the API is put on the page with textContent (through el and text
// below), never as HTML. The sign-in (SDKAppID, admin identifier, UserSig) lives in
// sessionStorage and goes with each call as the API's query parameters.
"use strict";

(function () {
  const storageKey = "herald.console.signin";
  const pageNames = ["certificates", "devices", "test", "trace", "stats", "broadcasts", "tags", "webhooks", "settings", "phones"];

  // ---- sign-in ----

  function signin() {
    try {
      const s = JSON.parse(sessionStorage.getItem(storageKey) || "null");
      if (s && s.sdkappid && s.identifier && s.usersig) {
        return s;
      }
    } catch (e) {
      // A damaged entry is the same as none.
    }
    return null;
  }

  // ---- the API ----

  class APIError extends Error {
    constructor(code, errorName, message) {
      super(message);
      this.code = code;
      this.errorName = errorName;
    }
  }

  async function api(method, path, body, creds) {
    const s = creds || signin();
    if (!s) {
      throw new APIError(0, "signed_out", "sign in first");
    }
    const q = new URLSearchParams({ sdkappid: s.sdkappid, identifier: s.identifier, usersig: s.usersig });
    const url = path + (path.includes("?") ? "&" : "?") + q.toString();
    const init = { method: method, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new APIError(0, "network", "the server did not answer (" + e.message + ")");
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      if (data && data.code) {
        throw new APIError(data.code, data.error || "", data.message || "");
      }
      throw new APIError(res.status, "http_" + res.status, "the server answered HTTP " + res.status);
    }
    return data;
  }

  // ---- DOM helpers: text only ----

  // el builds an element; attrs are set as attributes (class as className), children
  // are nodes or strings (strings become text nodes).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) {
        continue;
      }
      if (k === "class") {
        e.className = v;
      } else {
        e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) {
        continue;
      }
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function $(sel) {
    return document.querySelector(sel);
  }

  function show(e, on) {
    e.hidden = !on;
  }

  const errorBox = () => $("#error");

  function clearError() {
    const box = errorBox();
    box.replaceChildren();
    show(box, false);
  }

  // showError shows an API error with its code and message.
  function showError(err) {
    const box = errorBox();
    const head = err instanceof APIError
      ? (err.code ? "Error " + err.code : "Error") + (err.errorName ? " (" + err.errorName + ")" : "")
      : "Error";
    const parts = [el("strong", {}, head + ": "), err.message || String(err)];
    if (err instanceof APIError && [40101, 40102, 40103, 40301, 40402, 0].includes(err.code) && err.errorName !== "network" &&
      document.body.dataset.page !== "signin") {
      parts.push(" ", el("a", { href: "./?next=" + encodeURIComponent(document.body.dataset.page) }, "Sign in again"));
    }
    box.replaceChildren(...parts);
    show(box, true);
    box.scrollIntoView({ block: "nearest" });
  }

  // run calls f, showing any error it throws; the button is disabled meanwhile.
  async function run(button, f) {
    clearError();
    if (button) {
      button.disabled = true;
    }
    try {
      await f();
    } catch (err) {
      showError(err);
    } finally {
      if (button) {
        button.disabled = false;
      }
    }
  }

  function when(iso) {
    if (!iso || iso.startsWith("0001-")) {
      return "—";
    }
    const d = new Date(iso);
    if (isNaN(d)) {
      return iso;
    }
    const p = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
      p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }

  function tag(text, kind) {
    return el("span", { class: "tag " + (kind || "") }, text);
  }

  function outcomeTag(outcome) {
    if (!outcome) {
      return "—";
    }
    const kind = { accepted: "good", queued: "wait", sending: "wait", retry_later: "wait", not_sent: "muted" }[outcome] || "bad";
    return tag(outcome, kind);
  }

  const vendorNames = {
    fcm: "FCM", apns: "APNs", huawei: "Huawei", honor: "Honor", xiaomi: "Xiaomi", oppo: "OPPO", vivo: "vivo", meizu: "Meizu",
  };

  function vendorName(v) {
    return vendorNames[v] || v || "";
  }

  function certLabel(id, vendor) {
    if (!id) {
      return "—";
    }
    return "#" + id + (vendor ? " " + vendorName(vendor) : "");
  }

  // decisions explains each push rule's name (docs/push.md, "The rules").
  const decisions = {
    push: "pushed",
    test: "a test push from the console",
    disabled: "the message's push info disables push",
    sender: "the device belongs to the sender",
    not_receive: "the user does not receive this conversation",
    no_notify: "the user receives this conversation without notification",
    not_mentioned: "the user is notified only when @-mentioned",
    dnd: "the user's do-not-disturb window covered the time",
    logged_out: "the device logged out or was kicked",
    no_token: "no push token bound (SetOfflinePushConfig not called, or the vendor called it invalid)",
    foreground: "connected in the foreground: delivered online",
    custom_no_desc: "a custom message without a description",
    no_certificate: "the bound certificate was deleted",
  };

  // rows fills tbody; each cell gets its column's heading as data-label, which the
  // narrow-screen style shows beside the value (a table becomes a list of cards).
  function rows(tbody, list) {
    tbody.replaceChildren(...list);
    const table = tbody.closest("table");
    const heads = table ? [...table.querySelectorAll("thead th")].map((th) => th.textContent) : [];
    for (const tr of tbody.rows) {
      [...tr.cells].forEach((td, i) => {
        if (heads[i]) {
          td.dataset.label = heads[i];
        }
      });
    }
  }

  function params() {
    return new URLSearchParams(location.search);
  }

  // remember puts the form's values in the address, so that a reload or a link shows the same.
  function remember(values) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) {
      if (v) {
        q.set(k, v);
      }
    }
    const s = q.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
  }

  function flash(text) {
    const box = el("p", { class: "ok flash", role: "status" }, text);
    errorBox().after(box);
    setTimeout(() => box.remove(), 6000);
  }

  // ---- pages ----

  const pagesInit = {};

  pagesInit.signin = function () {
    const form = $("#signin-form");
    const s = signin();
    if (s) {
      show($("#signed-in"), true);
      $("#signed-in-text").textContent = "Signed in to app " + s.sdkappid + " as " + s.identifier + ".";
    }
    const next = params().get("next");
    if (s && s.sdkappid) {
      form.elements.sdkappid.value = s.sdkappid;
      form.elements.identifier.value = s.identifier;
    }
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const creds = {
        sdkappid: form.elements.sdkappid.value.trim(),
        identifier: form.elements.identifier.value.trim(),
        usersig: form.elements.usersig.value.replace(/\s+/g, ""),
      };
      run(form.querySelector("button"), async () => {
        // Any authenticated call checks all three.
        await api("GET", "/v1/admin/app/settings", undefined, creds);
        sessionStorage.setItem(storageKey, JSON.stringify(creds));
        location.assign(pageNames.includes(next) ? next : "certificates");
      });
    });
  };

  // Certificate fields per vendor (docs/api.md "Certificates", docs/vendors.md).
  // kind: text (default), secret, file (a secret sent as base64), bool, select.
  function f(key, label, opts) {
    return Object.assign({ key: key, label: label, kind: "text" }, opts || {});
  }
  const importance = [["", "(vendor default)"], ["NORMAL", "NORMAL: service and communication"], ["LOW", "LOW: marketing"]];
  const certFields = {
    fcm: [
      f("service_account", "Service-account JSON", { kind: "file", required: true, accept: ".json,application/json", hint: "Firebase console → Project settings → Service accounts → Generate new private key." }),
      f("package_name", "Package name", { hint: "The Android application ID." }),
      f("channel_id", "Channel ID", { hint: "Your chat notification channel, e.g. chat (importance HIGH in the app)." }),
    ],
    apns: [
      f("bundle_id", "Bundle ID", { required: true, hint: "The iOS app's bundle ID: the push topic." }),
      f("key_p8", "Auth key (.p8)", { kind: "file", accept: ".p8", hint: "Token auth (with Key ID and Team ID); or a .p12 certificate below." }),
      f("key_id", "Key ID", { hint: "Token auth: the key's 10-character ID." }),
      f("team_id", "Team ID", { hint: "Token auth: your developer team ID." }),
      f("cert_p12", "Certificate (.p12)", { kind: "file", accept: ".p12,.pfx", hint: "Certificate auth instead of a .p8 key." }),
      f("cert_password", "Certificate password", { kind: "secret" }),
      f("production", "Production (App Store and TestFlight builds)", { kind: "bool" }),
      f("voip", "VoIP pushes (topic bundle ID + .voip)", { kind: "bool" }),
    ],
    huawei: [
      f("app_id", "App ID", { required: true }),
      f("app_secret", "App secret", { kind: "secret", required: true }),
      f("package_name", "Package name"),
      f("channel_id", "Channel ID"),
      f("category", "Category", { hint: "IM, after Push Kit granted the IM self-classification." }),
      f("importance", "Importance", { kind: "select", options: importance }),
      f("badge_class", "Badge class", { hint: "The launcher activity's full class name, for badges." }),
    ],
    honor: [
      f("app_id", "App ID", { required: true }),
      f("client_id", "Client ID", { required: true }),
      f("client_secret", "Client secret", { kind: "secret", required: true }),
      f("package_name", "Package name"),
      f("importance", "Importance", { kind: "select", options: importance }),
      f("badge_class", "Badge class", { hint: "The launcher activity's full class name, for badges." }),
    ],
    xiaomi: [
      f("package_name", "Package name", { required: true }),
      f("app_secret", "App secret", { kind: "secret", required: true }),
      f("app_id", "App ID", { hint: "For your records." }),
      f("app_key", "App key", { hint: "For your records." }),
      f("channel_id", "Channel ID", { hint: "Your private (communication) channel from Channel management; without it, the public channel's daily cap applies." }),
    ],
    oppo: [
      f("app_key", "App key", { required: true }),
      f("master_secret", "Master secret", { kind: "secret", required: true }),
      f("app_id", "App ID", { hint: "For your records." }),
      f("package_name", "Package name", { hint: "For your records." }),
      f("channel_id", "Channel ID", { hint: "Your private (communication) channel; needed on Android 8 and later." }),
      f("category", "Category", { hint: "IM for chat." }),
      f("notify_level", "Notify level", { kind: "select", number: true, options: [["", "(vendor default)"], ["1", "1: notification bar"], ["2", "2: bar and lock screen"], ["16", "16: bar, lock screen, banner, sound"]] }),
      f("template_id", "Private-message template ID"),
    ],
    vivo: [
      f("app_id", "App ID", { required: true, hint: "Digits only." }),
      f("app_key", "App key", { required: true }),
      f("app_secret", "App secret", { kind: "secret", required: true }),
      f("package_name", "Package name", { hint: "For your records." }),
      f("category", "Category", { hint: "IM, after vivo approved the IM category." }),
      f("classification", "Classification", { kind: "select", number: true, options: [["", "(by category)"], ["1", "1: system"], ["0", "0: operational"]] }),
    ],
    meizu: [
      f("app_id", "App ID", { required: true, hint: "Digits only." }),
      f("app_secret", "App secret", { kind: "secret", required: true }),
      f("package_name", "Package name"),
      f("notice_msg_type", "Message type", { kind: "select", number: true, options: [["0", "0: public"], ["1", "1: private (chat)"]] }),
    ],
  };

  const clickHints = {
    intent: "In-app page: an Android intent URI, intent://…#Intent;scheme=…;component=…;end",
    activity: "In-app page: the activity's full class name, e.g. com.example.chat.ChatActivity",
  };

  function clickKind(vendor) {
    if (vendor === "fcm" || vendor === "apns") {
      return "none";
    }
    return vendor === "oppo" || vendor === "meizu" ? "activity" : "intent";
  }

  function isSecret(spec) {
    return spec.kind === "secret" || spec.kind === "file";
  }

  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ""));
      r.onerror = () => reject(new Error("cannot read " + file.name));
      r.readAsDataURL(file);
    });
  }

  pagesInit.certificates = function () {
    const form = $("#cert-form");
    const editor = $("#cert-editor");
    let editing = null; // the certificate being edited, or null for a new one

    async function load() {
      const data = await api("GET", "/v1/admin/push/certificates");
      const list = data.certificates || [];
      loadHealth(); // beside the list; its errors show like the list's
      $("#cert-count").textContent = list.length + (list.length === 1 ? " certificate" : " certificates");
      show($("#cert-empty"), list.length === 0);
      show($("#cert-table"), list.length > 0);
      rows($("#cert-table tbody"), list.map((c) => {
        const type = (c.click && c.click.type) || "open_app";
        const click = type === "open_app"
          ? "open the app"
          : [type === "open_page" ? "in-app page" : "URL", el("br"), el("code", { class: "target" }, c.click.target || "")];
        const chan = [c.channel_id && "channel " + c.channel_id, c.category && "category " + c.category,
          c.importance && c.importance, c.classification ? "classification " + c.classification : "",
          c.notify_level ? "level " + c.notify_level : "", c.notice_msg_type ? "private" : ""].filter(Boolean).join(", ");
        const edit = el("button", { type: "button", class: "small" }, "Edit");
        edit.addEventListener("click", () => open(c));
        const del = el("button", { type: "button", class: "small danger" }, "Delete");
        del.addEventListener("click", () => remove(c, del));
        return el("tr", { "data-id": c.id },
          el("td", {}, String(c.id)),
          el("td", {}, vendorName(c.vendor)),
          el("td", {}, c.name),
          el("td", {}, c.package_name || c.bundle_id || c.app_id || ""),
          el("td", {}, click),
          el("td", {}, chan || "—"),
          el("td", { class: "num" }, c.rate_per_second ? String(c.rate_per_second) : "default"),
          el("td", { class: "nowrap" }, when(c.updated_at)),
          el("td", { class: "nowrap" }, edit, " ", del));
      }));
    }

    function loadHealth() {
      run(null, async () => {
        const h = (await api("GET", "/v1/admin/push/certificates/health")).certificates || [];
        show($("#cert-health-panel"), h.length > 0);
        rows($("#cert-health tbody"), h.map((c) => el("tr", { "data-id": c.certificate_id },
          el("td", {}, "#" + c.certificate_id + " " + vendorName(c.vendor) + " · " + c.name),
          el("td", { class: "nowrap" }, c.last_success ? when(c.last_success) : "—"),
          el("td", {}, c.last_error ? [outcomeTag(c.last_error.outcome), " " + when(c.last_error.time), el("div", { class: "hint" }, c.last_error.reason)] : "—"),
          el("td", {}, tag(c.auth, { ok: "good", refused: "bad" }[c.auth] || "muted")),
          el("td", { class: "nowrap" }, c.quota_paused_until ? tag(when(c.quota_paused_until), "wait") : "—"),
          el("td", {}, c.parked ? [tag("parked", "bad"), el("div", { class: "hint" }, c.parked_reason)] : c.failures_in_a_row ? c.failures_in_a_row + " failures in a row" : "no"))));
      });
    }

    async function remove(c, button) {
      if (!confirm("Delete certificate #" + c.id + " (" + c.name + ")? Every device bound to it is unbound.")) {
        return;
      }
      await run(button, async () => {
        await api("DELETE", "/v1/admin/push/certificates/" + encodeURIComponent(c.id));
        flash("Deleted certificate #" + c.id + ".");
        await load();
      });
    }

    function fieldInput(spec, cur) {
      const name = "f_" + spec.key;
      const creating = cur === null;
      const value = cur ? cur[spec.key] : undefined;
      let input;
      let note = null;
      switch (spec.kind) {
        case "bool":
          input = el("input", { type: "checkbox", name: name });
          input.checked = Boolean(value);
          return el("label", { class: "check" }, input, " " + spec.label);
        case "select":
          input = el("select", { name: name }, spec.options.map(([v, text]) => el("option", { value: v }, text)));
          input.value = value === undefined || value === null ? spec.options[0][0] : String(value);
          break;
        case "file":
          input = el("input", { type: "file", name: name, accept: spec.accept, required: creating && spec.required });
          note = value ? "Stored: " + value + ". Choose a file only to replace it." : (creating ? null : "Not set.");
          break;
        case "secret":
          input = el("input", { type: "password", name: name, autocomplete: "new-password", required: creating && spec.required });
          input.placeholder = value ? value + " (leave empty to keep)" : (creating ? "" : "not set");
          break;
        default:
          input = el("input", { name: name, required: spec.required, spellcheck: "false" });
          input.value = value === undefined || value === null ? "" : String(value);
      }
      const label = [spec.label, spec.required ? el("span", { class: "req", title: "required" }, " *") : null,
        isSecret(spec) ? el("span", { class: "secret" }, " secret") : null];
      return el("label", {}, el("span", { class: "label" }, label), input,
        note ? el("small", { class: "hint" }, note) : null,
        spec.hint ? el("small", { class: "hint" }, spec.hint) : null);
    }

    function renderFields() {
      const vendor = form.elements.vendor.value;
      $("#cert-fields").replaceChildren(...certFields[vendor].map((spec) => fieldInput(spec, editing)));
      const kind = clickKind(vendor);
      const type = form.elements.click_type;
      for (const o of type.options) {
        o.disabled = kind === "none" && o.value !== "open_app";
      }
      if (kind === "none") {
        type.value = "open_app";
      }
      show($("#cert-click-type-label"), kind !== "none");
      renderClick();
    }

    function renderClick() {
      const vendor = form.elements.vendor.value;
      const type = form.elements.click_type.value;
      const kind = clickKind(vendor);
      const target = $("#cert-click-target");
      show($("#cert-click-target-label"), type !== "open_app");
      target.required = type !== "open_app";
      let hint = "Open the app's launcher activity; the push's ext reaches the app.";
      if (kind === "none") {
        hint = vendorName(vendor) + " notifications always open the app.";
      } else if (type === "open_page") {
        hint = clickHints[kind];
        target.placeholder = kind === "activity" ? "com.example.chat.ChatActivity" : "intent://chat#Intent;scheme=myapp;component=com.example/.Chat;end";
      } else if (type === "open_url") {
        hint = "Open an http(s) URL in the browser.";
        target.placeholder = "https://example.com/chat";
      }
      $("#cert-click-hint").textContent = hint;
    }

    function open(c) {
      clearError();
      editing = c;
      form.reset();
      form.elements.vendor.disabled = c !== null;
      if (c) {
        form.elements.vendor.value = c.vendor;
        form.elements.name.value = c.name;
        form.elements.rate_per_second.value = c.rate_per_second ? String(c.rate_per_second) : "";
        form.elements.click_type.value = (c.click && c.click.type) || "open_app";
        form.elements.click_target.value = (c.click && c.click.target) || "";
        form.elements.send_url.value = (c.endpoint && c.endpoint.send_url) || "";
        form.elements.auth_url.value = (c.endpoint && c.endpoint.auth_url) || "";
        $("#cert-endpoint").open = Boolean(c.endpoint && (c.endpoint.send_url || c.endpoint.auth_url));
        $("#cert-editor-title").textContent = "Edit certificate #" + c.id + " (" + vendorName(c.vendor) + ")";
      } else {
        $("#cert-endpoint").open = false;
        $("#cert-editor-title").textContent = "Add certificate";
      }
      renderFields();
      show(editor, true);
      editor.scrollIntoView({ block: "start" });
      form.elements.name.focus();
    }

    async function body() {
      const vendor = form.elements.vendor.value;
      const creating = editing === null;
      const b = creating ? { vendor: vendor } : {};
      b.name = form.elements.name.value.trim();
      const rate = form.elements.rate_per_second.value.trim();
      if (rate !== "") {
        b.rate_per_second = Number(rate);
      } else if (!creating) {
        b.rate_per_second = 0; // the vendor's default
      }
      for (const spec of certFields[vendor]) {
        const input = form.elements["f_" + spec.key];
        switch (spec.kind) {
          case "bool":
            b[spec.key] = input.checked;
            break;
          case "file":
            if (input.files.length > 0) {
              b[spec.key] = await readBase64(input.files[0]);
            }
            break;
          case "secret":
            // Empty keeps the stored secret.
            if (input.value !== "") {
              b[spec.key] = input.value;
            }
            break;
          default: {
            const v = input.value.trim();
            if (v !== "") {
              b[spec.key] = spec.number ? Number(v) : v;
            } else if (!creating) {
              b[spec.key] = null; // cleared
            }
          }
        }
      }
      const type = form.elements.click_type.value;
      b.click = type === "open_app" ? { type: "open_app" } : { type: type, target: form.elements.click_target.value.trim() };
      const ep = { send_url: form.elements.send_url.value.trim(), auth_url: form.elements.auth_url.value.trim() };
      if (ep.send_url || ep.auth_url) {
        b.endpoint = ep;
      } else if (!creating) {
        b.endpoint = null;
      }
      return b;
    }

    form.elements.vendor.addEventListener("change", renderFields);
    form.elements.click_type.addEventListener("change", renderClick);
    $("#cert-new").addEventListener("click", () => open(null));
    $("#cert-cancel").addEventListener("click", () => {
      show(editor, false);
      clearError();
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run($("#cert-save"), async () => {
        const b = await body();
        const c = editing === null
          ? await api("POST", "/v1/admin/push/certificates", b)
          : await api("PATCH", "/v1/admin/push/certificates/" + encodeURIComponent(editing.id), b);
        show(editor, false);
        form.reset();
        editing = null;
        await load();
        flash("Saved certificate #" + c.id + " (" + vendorName(c.vendor) + "). Apps bind tokens with certificate ID " + c.id + "; other nodes pick up a change within 30 seconds.");
      });
    });
    run(null, load);
  };

  pagesInit.devices = function () {
    const form = $("#devices-form");

    async function load() {
      const user = form.elements.user.value.trim();
      const from = form.elements.from.value.trim();
      remember({ user: user, from: from });
      const q = from ? "?from=" + encodeURIComponent(from) : "";
      const data = await api("GET", "/v1/admin/users/" + encodeURIComponent(user) + "/devices" + q);
      const list = data.devices || [];
      const pushing = list.filter((d) => d.push && d.push.would_push).length;
      const summary = [user + ": " + list.length + (list.length === 1 ? " device" : " devices") +
        ", " + pushing + " would get a push now."];
      if (data.in_dnd) {
        summary.push(" ", tag("do-not-disturb now", "wait"));
      }
      $("#devices-summary").replaceChildren(...summary);
      show($("#devices-empty"), list.length === 0);
      show($("#devices-table"), list.length > 0);
      rows($("#devices-table tbody"), list.map((d) => {
        const state = tag(d.state, { online: "good", offline: "wait" }[d.state] || "muted");
        const p = d.push || {};
        const decision = p.would_push
          ? [tag("push", "good"), el("div", { class: "hint" }, p.reason)]
          : [tag(p.decision || "?", "bad"), el("div", { class: "hint" }, p.reason || "")];
        const test = el("a", { class: "button small", href: "test?" + new URLSearchParams({ user: user, device: d.device_id }) }, "Test push");
        return el("tr", { "data-device": d.device_id },
          el("td", {}, d.device_id),
          el("td", {}, d.platform),
          el("td", {}, state),
          el("td", {}, d.state === "online" ? (d.background ? "yes" : "no (foreground)") : "—"),
          el("td", {}, certLabel(d.certificate_id, d.vendor)),
          el("td", { class: "nowrap" }, d.token ? el("code", {}, d.token) : "none"),
          el("td", { class: "num" }, String(d.badge)),
          el("td", { class: "nowrap" }, when(d.last_seen)),
          el("td", { class: "decision" }, decision),
          el("td", { class: "nowrap" }, d.token ? test : ""));
      }));
      const moves = data.token_moves || [];
      show($("#moves-table"), moves.length > 0);
      show($("#moves-empty"), moves.length === 0);
      rows($("#moves-table tbody"), moves.map((m) => el("tr", {},
        el("td", { class: "nowrap" }, when(m.time)),
        el("td", {}, String(m.certificate_id)),
        el("td", { class: "nowrap" }, el("code", {}, m.token)),
        el("td", {}, m.from_user + " / " + m.from_device),
        el("td", {}, m.to_user + " / " + m.to_device))));
      show($("#devices-result"), true);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), load);
    });
    const q = params();
    if (q.get("user")) {
      form.elements.user.value = q.get("user");
      form.elements.from.value = q.get("from") || "";
      run(form.querySelector("button"), load);
    }
  };

  pagesInit.test = function () {
    const form = $("#test-form");
    const q = params();
    form.elements.user.value = q.get("user") || "";
    form.elements.device.value = q.get("device") || "";

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), async () => {
        const req = { user_id: form.elements.user.value.trim() };
        for (const [k, name] of [["device_id", "device"], ["title", "title"], ["body", "body"]]) {
          const v = form.elements[name].value.trim();
          if (v) {
            req[k] = v;
          }
        }
        remember({ user: req.user_id, device: req.device_id });
        const data = await api("POST", "/v1/admin/push/test", req);
        const list = data.results || [];
        const accepted = list.filter((r) => r.outcome === "accepted").length;
        const traceLink = el("a", { href: "trace?" + new URLSearchParams({ id: data.push_id }) }, "its trace");
        $("#test-summary").replaceChildren("Test push ", el("code", {}, data.push_id), ": " + accepted + " of " +
          list.length + (list.length === 1 ? " device" : " devices") + " accepted by the vendor. See ", traceLink, ".");
        rows($("#test-table tbody"), list.map((r) => el("tr", { "data-device": r.device_id },
          el("td", {}, r.device_id),
          el("td", {}, r.platform),
          el("td", {}, certLabel(r.certificate_id, r.vendor)),
          el("td", { class: "nowrap" }, r.token ? el("code", {}, r.token) : "none"),
          el("td", { class: "outcome" }, outcomeTag(r.outcome)),
          el("td", {}, (r.reason || "") + (r.unbound ? " The token was unbound." : "")),
          el("td", {}, r.vendor_message_id ? el("code", {}, r.vendor_message_id) : "—"))));
        show($("#test-result"), true);
      });
    });
  };

  // timeline is one device's path through the push: decision → queued → each earlier
  // try with the vendor's answer (r.tries: those that were retried) → the final answer.
  function timeline(r) {
    const pushed = r.decision === "push" || r.decision === "test";
    const steps = [el("li", { class: "step " + (pushed ? "good" : "muted") },
      el("span", { class: "step-time" }, when(r.created_at)),
      el("strong", {}, "Decided: " + r.decision), el("span", { class: "hint" }, decisions[r.decision] || ""))];
    if (pushed) {
      steps.push(el("li", { class: "step wait" }, el("span", { class: "step-time" }, when(r.created_at)),
        el("strong", {}, "Queued"), el("span", { class: "hint" }, "for " + (vendorName(r.vendor) || "the vendor") + " with certificate " + certLabel(r.certificate_id))));
      for (const t of r.tries || []) {
        steps.push(el("li", { class: "step wait try", "data-attempt": String(t.attempt) },
          el("span", { class: "step-time" }, when(t.time)),
          el("strong", {}, "Try " + t.attempt + ": " + t.outcome),
          el("span", { class: "hint" }, (t.reason ? "the vendor answered " + t.reason + "; " : "") + "queued again")));
      }
      if (r.attempts > 0) {
        steps.push(el("li", { class: "step wait" }, el("span", { class: "step-time" }, when(r.updated_at)),
          el("strong", {}, r.attempts === 1 ? "1 attempt" : r.attempts + " attempts"),
          el("span", { class: "hint" }, "the last at this time; the vendor answered " + (r.outcome || "—") + (r.reason ? ": " + r.reason : ""))));
      }
      const final = r.outcome && !["queued", "sending", "retry_later"].includes(r.outcome);
      steps.push(el("li", { class: "step " + (r.outcome === "accepted" ? "good" : final ? "bad" : "wait") },
        el("span", { class: "step-time" }, final ? when(r.updated_at) : "—"),
        el("strong", {}, final ? "Final: " + r.outcome : "Not final yet: " + (r.outcome || "queued")),
        r.vendor_message_id ? el("span", { class: "hint" }, "vendor message ID ", el("code", {}, r.vendor_message_id)) : null,
        r.duplicate_possible ? el("span", { class: "hint" }, "a crash cut off a try: the phone may show it twice") : null));
    }
    return el("li", { class: "timeline", "data-device": r.device_id },
      el("p", { class: "timeline-head" }, el("strong", {}, r.user_id), " / " + r.device_id),
      el("ol", { class: "steps" }, steps));
  }

  function localToISO(v) {
    return v ? new Date(v).toISOString() : "";
  }

  function messageText(m) {
    for (const e of m.elements || []) {
      if (e.text) {
        return e.text;
      }
      if (e.desc || e.data) {
        return e.desc || e.data;
      }
    }
    return "";
  }

  pagesInit.trace = function () {
    const form = $("#trace-form");
    const search = $("#msg-search");

    search.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(search.querySelector("button"), async () => {
        const q = new URLSearchParams();
        const user = search.elements.user.value.trim();
        const conv = search.elements.conv.value.trim();
        if (user) {
          q.set("user", user);
        }
        if (conv) {
          q.set("conversation", conv);
        }
        const since = localToISO(search.elements.since.value);
        const until = localToISO(search.elements.until.value);
        if (since) {
          q.set("since", since);
        }
        if (until) {
          q.set("until", until);
        }
        const data = await api("GET", "/v1/admin/messages?" + q.toString());
        const list = data.messages || [];
        show($("#msg-table"), list.length > 0);
        show($("#msg-empty"), list.length === 0);
        rows($("#msg-table tbody"), list.map((m) => {
          const link = el("a", { href: "trace?" + new URLSearchParams({ id: m.id }) }, m.id);
          link.addEventListener("click", (e) => {
            e.preventDefault();
            form.elements.id.value = m.id;
            run(form.querySelector("button"), load);
          });
          return el("tr", { "data-message": m.id },
            el("td", { class: "nowrap" }, when(new Date(m.time).toISOString())),
            el("td", {}, m.from),
            el("td", {}, m.to || "—"),
            el("td", {}, m.group_id ? "group_" + m.group_id : "c2c"),
            el("td", {}, messageText(m)),
            el("td", {}, el("code", {}, link)));
        }));
        show($("#msg-result"), true);
      });
    });

    async function load() {
      const id = form.elements.id.value.trim();
      remember({ id: id });
      const data = await api("GET", "/v1/admin/push/messages/" + encodeURIComponent(id) + "/trace");
      const list = data.records || [];
      let summary;
      if (data.push_disabled) {
        summary = "The message was sent with push disabled (disable_push): no device was considered.";
      } else {
        const pushed = list.filter((r) => r.decision === "push" || r.decision === "test").length;
        const accepted = list.filter((r) => r.outcome === "accepted").length;
        summary = list.length + (list.length === 1 ? " device" : " devices") + " considered: " + pushed +
          " pushed, " + accepted + " accepted by the vendor.";
      }
      $("#trace-summary").replaceChildren(el("code", {}, data.message_id), " — " + summary);
      show($("#trace-table"), list.length > 0);
      $("#trace-timelines").replaceChildren(...list.map(timeline));
      rows($("#trace-table tbody"), list.map((r) => {
        const pushed = r.decision === "push" || r.decision === "test";
        return el("tr", { "data-device": r.device_id },
          el("td", {}, r.user_id),
          el("td", {}, r.device_id),
          el("td", { class: "decision" }, tag(r.decision, pushed ? "good" : "muted"),
            el("div", { class: "hint" }, decisions[r.decision] || "")),
          el("td", {}, vendorName(r.vendor) || "—"),
          el("td", {}, certLabel(r.certificate_id)),
          el("td", { class: "outcome" }, outcomeTag(r.outcome)),
          el("td", {}, r.reason || ""),
          el("td", {}, r.vendor_message_id ? el("code", {}, r.vendor_message_id) : "—"),
          el("td", { class: "num" }, String(r.attempts)),
          el("td", { class: "nowrap" }, when(r.updated_at)));
      }));
      show($("#trace-result"), true);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), load);
    });
    const id = params().get("id");
    if (id) {
      form.elements.id.value = id;
      run(form.querySelector("button"), load);
    }
  };

  pagesInit.stats = function () {
    const form = $("#stats-form");
    const q = params();
    const day = (d) => d.toISOString().slice(0, 10);
    const today = new Date();
    form.elements.to.value = q.get("to") || day(today);
    form.elements.from.value = q.get("from") || day(new Date(today.getTime() - 6 * 86400000));

    async function load() {
      const from = form.elements.from.value;
      const to = form.elements.to.value;
      remember({ from: from, to: to });
      const data = await api("GET", "/v1/admin/push/stats?" + new URLSearchParams({ from: from, to: to }));
      const pushes = new Map(); // day|vendor → counts
      const skips = [];
      for (const c of data.counts || []) {
        if (c.decision === "push" || c.decision === "test") {
          const key = c.day + "|" + (c.vendor || "");
          const p = pushes.get(key) || { day: c.day, vendor: c.vendor, pushed: 0, accepted: 0, invalid: 0, failed: 0, pending: 0 };
          p.pushed += c.count;
          if (c.outcome === "accepted") {
            p.accepted += c.count;
          } else if (c.outcome === "invalid_token") {
            p.invalid += c.count;
          } else if (c.outcome === "queued" || c.outcome === "sending" || c.outcome === "retry_later") {
            p.pending += c.count;
          } else {
            p.failed += c.count;
          }
          pushes.set(key, p);
        } else {
          skips.push(c);
        }
      }
      const byDay = (a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0);
      const plist = [...pushes.values()].sort((a, b) => byDay(a, b) || (a.vendor < b.vendor ? -1 : 1));
      skips.sort((a, b) => byDay(a, b) || b.count - a.count);
      $("#stats-summary").textContent = data.total + " devices considered from " + data.from + " to " + data.to + " (UTC).";
      const n = (v, kind) => el("td", { class: "num" + (v && kind ? " " + kind : "") }, String(v));
      show($("#stats-push"), plist.length > 0);
      show($("#stats-push-empty"), plist.length === 0);
      rows($("#stats-push tbody"), plist.map((p) => el("tr", {},
        el("td", {}, p.day), el("td", {}, vendorName(p.vendor) || "—"),
        n(p.pushed), n(p.accepted, "good-text"), n(p.invalid, "bad-text"), n(p.failed, "bad-text"), n(p.pending))));
      show($("#stats-skip"), skips.length > 0);
      show($("#stats-skip-empty"), skips.length === 0);
      rows($("#stats-skip tbody"), skips.map((c) => el("tr", {},
        el("td", {}, c.day), el("td", {}, tag(c.decision, "muted")),
        el("td", {}, decisions[c.decision] || ""), n(c.count))));
      lastPushes = plist;
      const days = [];
      for (let d = new Date(data.from + "T00:00:00Z"); day(d) <= data.to; d = new Date(d.getTime() + 86400000)) {
        days.push(day(d));
      }
      lastDays = days;
      const vendors = [...new Set(plist.map((p) => p.vendor || ""))].sort();
      $("#stats-vendors").replaceChildren(...["", ...vendors].map((v) => {
        const b = el("button", { type: "button", class: "small chip" + (v === vendorFilter ? " on" : ""), "data-vendor": v, "aria-pressed": String(v === vendorFilter) },
          v ? vendorName(v) : "All vendors");
        b.addEventListener("click", () => {
          vendorFilter = v;
          for (const c of $("#stats-vendors").children) {
            c.classList.toggle("on", c === b);
            c.setAttribute("aria-pressed", String(c === b));
          }
          drawChart();
        });
        return b;
      }));
      drawChart();
      const reasons = new Map();
      for (const c of skips) {
        reasons.set(c.decision, (reasons.get(c.decision) || 0) + c.count);
      }
      const items = [...reasons.entries()].map(([decision, count]) => ({ decision: decision, count: count })).sort((a, b) => b.count - a.count);
      $("#stats-reasons").replaceChildren(...breakdown(items));
      show($("#stats-reasons-empty"), items.length === 0);
      show($("#stats-result"), true);
    }

    let lastPushes = [];
    let lastDays = [];
    let vendorFilter = "";
    function drawChart() {
      const byDay = new Map();
      for (const p of lastPushes) {
        if (vendorFilter && p.vendor !== vendorFilter) {
          continue;
        }
        const c = byDay.get(p.day) || {};
        c.accepted = (c.accepted || 0) + p.accepted;
        c.invalid = (c.invalid || 0) + p.invalid;
        c.failed = (c.failed || 0) + p.failed;
        c.pending = (c.pending || 0) + p.pending;
        byDay.set(p.day, c);
      }
      $("#stats-chart").replaceChildren(barChart(lastDays, byDay));
      $("#stats-legend").replaceChildren(...outcomeKinds.map(([, label, color]) =>
        el("span", { class: "legend-item" }, svg("svg", { viewBox: "0 0 10 10", width: 10, height: 10 }, svg("rect", { width: 10, height: 10, fill: color })), " " + label)));
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), load);
    });
    run(form.querySelector("button"), load);
  };

  pagesInit.broadcasts = function () {
    const form = $("#bc-form");
    const list = (v) => v.split(",").map((t) => t.trim()).filter(Boolean);

    function audience(c) {
      if (!c) {
        return "everyone";
      }
      const parts = [];
      if (c.tags_and && c.tags_and.length) {
        parts.push("all of " + c.tags_and.join(", "));
      }
      if (c.tags_or && c.tags_or.length) {
        parts.push("any of " + c.tags_or.join(", "));
      }
      if (c.tags_not && c.tags_not.length) {
        parts.push("none of " + c.tags_not.join(", "));
      }
      for (const [k, v] of Object.entries(c.attrs_and || {})) {
        parts.push(k + "=" + v);
      }
      for (const [k, v] of Object.entries(c.attrs_or || {})) {
        parts.push(k + "=" + v + " (any)");
      }
      return parts.join("; ") || "everyone";
    }

    let timer = null;
    async function load() {
      const tasks = (await api("GET", "/v1/admin/push/tasks")).tasks || [];
      show($("#bc-table"), tasks.length > 0);
      show($("#bc-empty"), tasks.length === 0);
      rows($("#bc-table tbody"), tasks.map((t) => {
        const n = (v) => el("td", { class: "num" }, String(v));
        const kind = { done: "good", failed: "bad" }[t.status] || "wait";
        return el("tr", { "data-task": t.task_id },
          el("td", {}, el("a", { href: "trace?" + new URLSearchParams({ id: t.task_id }) }, el("code", {}, t.task_id))),
          el("td", { class: "nowrap" }, when(t.created_at)),
          el("td", {}, tag(t.status, kind), t.reason ? el("div", { class: "hint" }, t.reason) : null),
          el("td", {}, audience(t.condition) + (t.online_only ? " (online only)" : "")),
          n(t.targets), n(t.pushed), n(t.queued), n(t.accepted), n(t.failed), n(t.skipped),
          el("td", { class: "nowrap" }, t.finished_at ? when(t.finished_at) : "—"));
      }));
      // Refresh while a task is still at work.
      clearTimeout(timer);
      if (tasks.some((t) => t.status !== "done" && t.status !== "failed" || t.queued > 0)) {
        timer = setTimeout(() => run(null, load), 1500);
      }
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), async () => {
        const e = form.elements;
        const body = { desc: e.desc.value.trim(), online_only: e.online_only.checked };
        if (e.title.value.trim()) {
          body.title = e.title.value.trim();
        }
        if (e.ext.value.trim()) {
          body.ext = e.ext.value.trim();
        }
        const cond = {};
        for (const k of ["tags_and", "tags_or", "tags_not"]) {
          if (list(e[k].value).length) {
            cond[k] = list(e[k].value);
          }
        }
        const attrs = {};
        for (const kv of list(e.attrs_and.value)) {
          const i = kv.indexOf("=");
          if (i <= 0) {
            throw new APIError(0, "invalid_input", "attributes are name=value pairs separated by commas: " + kv);
          }
          attrs[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
        }
        if (Object.keys(attrs).length) {
          cond.attrs_and = attrs;
        }
        if (Object.keys(cond).length) {
          body.condition = cond;
        }
        const r = await api("POST", "/v1/admin/push/broadcast", body);
        flash("Queued broadcast " + r.task_id + ".");
        await load();
      });
    });
    run(null, load);
  };

  pagesInit.tags = function () {
    const form = $("#tags-form");
    const namesForm = $("#attr-names-form");
    let user = "";
    let names = [];

    function showTags(data) {
      const list = data.tags || [];
      $("#tags-title").textContent = "Tags of " + data.user_id;
      $("#tags-list").replaceChildren(...(list.length ? list.map((t) => {
        const x = el("button", { type: "button", class: "link", "aria-label": "remove tag " + t }, "×");
        x.addEventListener("click", () => run(x, async () => {
          showTags(await api("POST", "/v1/admin/users/" + encodeURIComponent(user) + "/tags/remove", { tags: [t] }));
        }));
        return el("span", { class: "tag chip-tag", "data-tag": t }, t, " ", x);
      }) : [el("span", { class: "muted" }, "No tags.")]));
    }

    async function loadNames() {
      names = (await api("GET", "/v1/admin/push/attr-names")).names || [];
      namesForm.elements.names.value = names.join(", ");
    }

    async function load() {
      user = form.elements.user.value.trim();
      remember({ user: user });
      await loadNames();
      showTags(await api("GET", "/v1/admin/users/" + encodeURIComponent(user) + "/tags"));
      const attrs = (await api("GET", "/v1/admin/users/" + encodeURIComponent(user) + "/attrs")).attrs || {};
      $("#attrs-fields").replaceChildren(...names.map((n) => el("label", {}, n, el("input", { name: "a_" + n, value: attrs[n] || "" }))));
      show($("#attrs-none"), names.length === 0);
      show($("#attrs-save"), names.length > 0);
      show($("#tags-result"), true);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), load);
    });
    $("#tags-add").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = $("#tags-add").elements.tags;
      const tags = input.value.split(",").map((t) => t.trim()).filter(Boolean);
      run($("#tags-add button"), async () => {
        showTags(await api("POST", "/v1/admin/users/" + encodeURIComponent(user) + "/tags", { tags: tags }));
        input.value = "";
      });
    });
    $("#attrs-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      run($("#attrs-save"), async () => {
        const attrs = {};
        for (const n of names) {
          attrs[n] = $("#attrs-form").elements["a_" + n].value.trim();
        }
        await api("POST", "/v1/admin/users/" + encodeURIComponent(user) + "/attrs", { attrs: attrs });
        flash("Saved the attributes of " + user + ".");
      });
    });
    namesForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(namesForm.querySelector("button"), async () => {
        const list = namesForm.elements.names.value.split(",").map((t) => t.trim()).filter(Boolean);
        await api("POST", "/v1/admin/push/attr-names", { names: list });
        flash("Saved " + list.length + " attribute names.");
        if (user) {
          await load();
        } else {
          await loadNames();
        }
      });
    });
    const q = params();
    if (q.get("user")) {
      form.elements.user.value = q.get("user");
      run(form.querySelector("button"), load);
    } else {
      run(null, loadNames);
    }
  };

  pagesInit.webhooks = function () {
    const form = $("#webhook-form");

    function fill(s) {
      form.elements.callback_url.value = s.callback_url || "";
      $("#webhook-secret-state").textContent = s.callback_secret_set
        ? "A signing secret is set (it is never shown again)."
        : "No signing secret yet: one is made when a callback URL is first saved.";
      if (s.callback_secret) {
        $("#webhook-secret-value").textContent = s.callback_secret;
        show($("#webhook-secret"), true);
      }
      show(form, true);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      show($("#webhook-saved"), false);
      run(form.querySelector("button[type=submit]"), async () => {
        fill(await api("POST", "/v1/admin/app/settings", { callback_url: form.elements.callback_url.value.trim() }));
        show($("#webhook-saved"), true);
      });
    });
    $("#webhook-rotate").addEventListener("click", () => {
      if (!confirm("Make a new signing secret? The old one stops working at once.")) {
        return;
      }
      run($("#webhook-rotate"), async () => {
        const r = await api("POST", "/v1/admin/app/callback-secret");
        $("#webhook-secret-value").textContent = r.callback_secret;
        show($("#webhook-secret"), true);
      });
    });
    async function loadLog() {
      const list = (await api("GET", "/v1/admin/app/webhook-deliveries")).deliveries || [];
      show($("#webhook-log"), list.length > 0);
      show($("#webhook-log-empty"), list.length === 0);
      rows($("#webhook-log tbody"), list.map((d) => el("tr", { "data-result": d.result },
        el("td", { class: "nowrap" }, when(d.time)),
        el("td", {}, el("code", {}, d.command)),
        el("td", { class: "num" }, String(d.events)),
        el("td", {}, tag(d.result, { delivered: "good", retry: "wait" }[d.result] || "bad")),
        el("td", { class: "num" }, d.http_status ? String(d.http_status) : "—"),
        el("td", { class: "num" }, d.duration_ms + " ms"),
        el("td", {}, d.error || ""))));
    }
    $("#webhook-refresh").addEventListener("click", () => run($("#webhook-refresh"), loadLog));
    run(null, async () => {
      fill(await api("GET", "/v1/admin/app/settings"));
      await loadLog();
    });
  };

  pagesInit.settings = function () {
    const form = $("#settings-form");

    function fill(s) {
      form.elements.device_policy.value = s.device_policy;
      form.elements.retention_days.value = String(s.retention_days);
      show(form, true);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      show($("#settings-saved"), false);
      run(form.querySelector("button"), async () => {
        const s = await api("POST", "/v1/admin/app/settings", {
          device_policy: form.elements.device_policy.value,
          retention_days: Number(form.elements.retention_days.value),
        });
        fill(s);
        show($("#settings-saved"), true);
      });
    });
    run(null, async () => fill(await api("GET", "/v1/admin/app/settings")));
  };

  // ---- sandbox phones ----

  pagesInit.phones = function () {
    const form = $("#phone-form");
    const sendForm = $("#phone-send");
    const box = $("#phones");
    let lastSig = ""; // what the phones showed when last drawn

    function lockScreen(p, notes) {
      const stateKind = { foreground: "good", background: "wait", killed: "muted" }[p.state] || "muted";
      const buttons = ["foreground", "background", "killed"].filter((st) => st !== p.state).map((st) => {
        const b = el("button", { type: "button", class: "small secondary", "data-state": st }, st === "killed" ? "Kill app" : "To " + st);
        b.addEventListener("click", () => run(b, async () => {
          await api("PATCH", "/v1/admin/sandbox/phones/" + encodeURIComponent(p.id), { state: st });
          await load();
        }));
        return b;
      });
      const del = el("button", { type: "button", class: "small danger" }, "Delete");
      del.addEventListener("click", () => run(del, async () => {
        await api("DELETE", "/v1/admin/sandbox/phones/" + encodeURIComponent(p.id));
        await load();
      }));
      const list = notes.slice().reverse().map((n) => {
        const meta = [n.badge !== undefined && n.badge !== null ? "badge " + n.badge : "", n.sound ? "sound " + n.sound : "",
          n.channel_id ? "channel " + n.channel_id : "", n.category ? "category " + n.category : ""].filter(Boolean).join(" · ");
        const card = el("button", { type: "button", class: "note", "data-index": n.index },
          el("span", { class: "note-app" }, vendorName(p.vendor) + " · " + when(n.received_at).slice(11)),
          el("strong", { class: "note-title" }, n.title || "(no title)"),
          el("span", { class: "note-body" }, n.body || ""),
          meta ? el("span", { class: "note-meta" }, meta) : null);
        card.addEventListener("click", () => tap(p, n, card));
        return card;
      });
      const online = (p.online_messages || []).slice(-3).reverse().map((m) =>
        el("li", {}, el("strong", {}, m.from + ": "), m.text || "(no text)"));
      return el("article", { class: "phone " + (p.platform === "iOS" ? "ios" : "android"), "data-phone": p.id },
        el("header", { class: "phone-bar" },
          el("span", {}, vendorName(p.vendor) + " · " + p.user_id),
          tag(p.kicked ? "kicked" : p.state, p.kicked ? "bad" : stateKind)),
        el("div", { class: "phone-screen" },
          el("p", { class: "phone-clock" }, when(new Date().toISOString()).slice(11, 16)),
          list.length ? el("div", { class: "notes" }, list) : el("p", { class: "phone-empty" }, "No notifications"),
          online.length ? el("div", { class: "online" }, el("p", { class: "hint" }, "In the app (online):"), el("ul", {}, online)) : null),
        el("footer", { class: "phone-actions" }, buttons, del,
          el("p", { class: "hint" }, "Certificate #" + p.certificate_id + " · device " + p.id)));
    }

    async function tap(p, n, card) {
      await run(card, async () => {
        const r = await api("POST", "/v1/admin/sandbox/phones/" + encodeURIComponent(p.id) + "/notifications/" + n.index + "/tap");
        const c = r.click || {};
        $("#tap-what").replaceChildren("Tapping “" + (n.title || "") + "” on " + vendorName(p.vendor) + " · " + p.user_id + ": ",
          c.type === "open_app" || !c.type ? "opens the app" : c.type === "open_url" ? "opens " : "opens the in-app page ",
          c.target ? el("code", {}, c.target) : "", ". The app reads this ext:");
        $("#tap-ext").textContent = r.ext || "(no ext)";
        show($("#tap-result"), true);
        $("#tap-result").scrollIntoView({ block: "nearest" });
      });
    }

    async function load() {
      const data = await api("GET", "/v1/admin/sandbox/phones");
      const phones = data.phones || [];
      const all = [];
      for (const p of phones) {
        const n = await api("GET", "/v1/admin/sandbox/phones/" + encodeURIComponent(p.id) + "/notifications");
        all.push([p, n.notifications || []]);
      }
      // Redraw only on a change: a tap or a selection survives the polling.
      const sig = JSON.stringify(all);
      if (sig === lastSig) {
        return;
      }
      lastSig = sig;
      box.replaceChildren(...all.map(([p, notes]) => lockScreen(p, notes)));
      show($("#phones-empty"), phones.length === 0);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(form.querySelector("button"), async () => {
        const p = await api("POST", "/v1/admin/sandbox/phones", {
          vendor: form.elements.vendor.value, user_id: form.elements.user.value.trim(), state: form.elements.state.value,
        });
        sendForm.elements.to.value = p.user_id;
        await load();
        flash("Added " + vendorName(p.vendor) + " phone " + p.id + " of " + p.user_id + " (" + p.state + ").");
      });
    });
    sendForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(sendForm.querySelector("button"), async () => {
        const from = sendForm.elements.from.value.trim();
        await api("POST", "/v1/admin/accounts/import", { accounts: [{ user_id: from }] });
        const body = { from: from, to: sendForm.elements.to.value.trim(), elements: [{ type: "text", text: sendForm.elements.text.value }] };
        const ext = sendForm.elements.ext.value.trim();
        if (ext) {
          body.offline_push_info = { ext: ext };
        }
        const r = await api("POST", "/v1/admin/messages", body);
        flash("Sent " + r.message.id + ": watch the phones, or see its trace.");
      });
    });

    let polling = false;
    async function poll() {
      if (polling || document.hidden) {
        return;
      }
      polling = true;
      try {
        await load();
      } catch (err) {
        showError(err);
      } finally {
        polling = false;
      }
    }
    run(null, async () => {
      try {
        await load();
      } catch (err) {
        if (err instanceof APIError && err.code === 40002) {
          show($("#phones-off"), true);
          form.hidden = true;
          sendForm.hidden = true;
          return;
        }
        throw err;
      }
      setInterval(poll, 1000); // notifications arrive live
    });
  };

  // ---- charts: inline SVG, nothing downloaded ----

  const svgNS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      e.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined) {
        e.append(c instanceof Node ? c : document.createTextNode(String(c)));
      }
    }
    return e;
  }

  const outcomeKinds = [
    ["accepted", "Accepted", "#1e7a3c"],
    ["invalid", "Invalid token", "#b42318"],
    ["failed", "Failed", "#e07b00"],
    ["pending", "Pending", "#8892a6"],
  ];

  // barChart draws one stacked bar per day: each outcome's pushes.
  function barChart(days, byDay) {
    const w = Math.max(320, days.length * 44 + 50);
    const h = 220;
    const top = 10;
    const bottom = 30;
    const left = 40;
    const max = Math.max(1, ...days.map((d) => outcomeKinds.reduce((n, [k]) => n + ((byDay.get(d) || {})[k] || 0), 0)));
    const scale = (h - top - bottom) / max;
    const parts = [];
    for (let i = 0; i <= 4; i++) {
      const v = Math.round((max * i) / 4);
      const y = h - bottom - v * scale;
      parts.push(svg("line", { x1: left, x2: w, y1: y, y2: y, class: "grid-line" }),
        svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, String(v)));
    }
    const bw = Math.min(32, (w - left) / days.length - 8);
    days.forEach((d, i) => {
      const x = left + 6 + i * ((w - left) / days.length);
      let y = h - bottom;
      const counts = byDay.get(d) || {};
      for (const [k, label, color] of outcomeKinds) {
        const n = counts[k] || 0;
        if (!n) {
          continue;
        }
        const bh = n * scale;
        y -= bh;
        parts.push(svg("rect", { x: x, y: y, width: bw, height: bh, fill: color, "data-outcome": k, "data-day": d },
          svg("title", {}, d + ": " + n + " " + label.toLowerCase())));
      }
      parts.push(svg("text", { x: x + bw / 2, y: h - bottom + 16, "text-anchor": "middle", class: "axis" }, d.slice(5)));
    });
    return svg("svg", { viewBox: "0 0 " + w + " " + h, width: "100%", role: "img", "aria-label": "Pushes per day by outcome", preserveAspectRatio: "xMinYMin meet" }, parts);
  }

  // breakdown draws horizontal bars, one per reason, longest first.
  function breakdown(items) {
    const max = Math.max(1, ...items.map((i) => i.count));
    return items.map((i) => el("div", { class: "bar-row", "data-decision": i.decision },
      el("span", { class: "bar-label" }, tag(i.decision, "muted"), " ", el("span", { class: "hint" }, decisions[i.decision] || "")),
      el("span", { class: "bar-track" }, svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "bar-svg" },
        svg("rect", { x: 0, y: 0, height: 10, width: Math.max(1, (100 * i.count) / max), fill: "#8a5a00" }))),
      el("span", { class: "bar-count num" }, String(i.count))));
  }

  // ---- start ----

  // fragmentSignin takes a sign-in from the address's fragment (the link a sandbox
  // node prints), keeps it like the sign-in form does and removes it from the address.
  function fragmentSignin() {
    if (!location.hash.includes("usersig=")) {
      return;
    }
    const f = new URLSearchParams(location.hash.slice(1));
    if (f.get("sdkappid") && f.get("identifier") && f.get("usersig")) {
      sessionStorage.setItem(storageKey, JSON.stringify({ sdkappid: f.get("sdkappid"), identifier: f.get("identifier"), usersig: f.get("usersig") }));
    }
    history.replaceState(null, "", location.pathname + location.search);
  }

  // markSandbox shows the sandbox banner and the Phones page on a sandbox node.
  async function markSandbox() {
    try {
      const res = await fetch("/healthz", { cache: "no-store", credentials: "omit" });
      const h = await res.json();
      if (h.sandbox === true) {
        show($("#sandbox-banner"), true);
        document.querySelectorAll("[data-sandbox]").forEach((e) => show(e, true));
      }
    } catch (e) {
      // Without an answer the page is shown as on a production node.
    }
  }

  function start() {
    fragmentSignin();
    markSandbox();
    const page = document.body.dataset.page;
    const s = signin();
    if (page !== "signin" && !s) {
      location.replace("./?next=" + encodeURIComponent(page));
      return;
    }
    if (s) {
      show($("#menu"), true);
      show($("#who"), true);
      $("#who-text").textContent = s.identifier + " @ " + s.sdkappid;
      $("#signout").addEventListener("click", () => {
        sessionStorage.removeItem(storageKey);
        location.assign("./");
      });
    }
    pagesInit[page]();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
