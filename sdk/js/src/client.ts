// The Client: one device's session with a Herald server over the protocol of
// docs/protocol.md, mirroring the Go SDK (client/client.go).

import { ClientStateError, ConnectionError, ErrorCode, HeraldError, TimeoutError } from "./errors.js";
import { newClientMsgID, randomHex } from "./message.js";
import type {
  Conversation,
  ConversationList,
  Group,
  GroupRole,
  Kicked,
  Message,
  OfflinePushInfo,
  Platform,
  Priority,
  ReceiveMessageOpt,
} from "./types.js";
import { fromWire, toWire } from "./wire.js";

/** The part of the WebSocket API the client uses: the browser's, React Native's and the `ws` package's all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor, such as globalThis.WebSocket or the `ws` package's WebSocket. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** ConnState is the state of the connection, reported to Listener.onConnectionChanged. */
export type ConnState = "connecting" | "connected" | "disconnected";

/**
 * Listener receives events. Every function is optional. They are called one at a time,
 * in order; an exception thrown by one is reported to the config's logger and does not
 * stop delivery.
 */
export interface Listener {
  /** a new message from someone else, or from this user's other devices; each stored message once, in inbox order */
  onNewMessage?(message: Message): void;
  /** a conversation changed by a read on another of the user's devices */
  onConversationChanged?(conversation: Conversation): void;
  /** a login elsewhere displaced this device; the client stays logged out and does not reconnect */
  onKickedOffline?(kicked: Kicked): void;
  /** connecting, connected or disconnected (with why); a reconnect follows a disconnect unless logged out, kicked or expired */
  onConnectionChanged?(state: ConnState, error?: Error): void;
  /** a reconnect was refused because the UserSig expired: get a new one from your app server and call login again */
  onUserSigExpired?(): void;
}

/** Logger is where the client reports problems it cannot return to a caller. Default: console. */
export interface Logger {
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** Config configures a Client. */
export interface ClientConfig {
  /** the server's WebSocket endpoint, e.g. "wss://chat.example.com/v1/ws" */
  url: string;
  sdkAppID: number;
  /** identifies this installation; keep it across restarts (1–64 bytes). Default: random per client. */
  deviceID?: string;
  /** Default "Web". React Native apps pass "Android" or "iOS" (Platform.OS). */
  platform?: Platform;
  /** a first listener; more with addListener */
  listener?: Listener;
  /** the WebSocket implementation. Default globalThis.WebSocket (browsers, React Native, Node ≥ 22). */
  webSocket?: WebSocketConstructor;
  /** first wait before a reconnect, in ms, doubled per failure. Default 250. */
  minBackoffMs?: number;
  /** longest wait between reconnects, in ms. Default 30000. */
  maxBackoffMs?: number;
  /** how long a call waits for its answer, across reconnects, in ms; 0 waits until it is answered. Default 30000. */
  requestTimeoutMs?: number;
  /** how long dialling and logging in may take, in ms. Default 15000. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/** CallOptions bound one call. */
export interface CallOptions {
  /** aborts the call (it rejects with the signal's reason) */
  signal?: AbortSignal;
  /** overrides the config's requestTimeoutMs for this call */
  timeoutMs?: number;
}

/** SendOptions says where and how sendMessage sends. */
export interface SendOptions extends CallOptions {
  /** the user to send to (one-to-one); or groupID */
  receiver?: string;
  groupID?: string;
  /** group messages: high, normal or low */
  priority?: Priority;
  /** reach connected devices only and never store or push (typing indicators) */
  onlineUserOnly?: boolean;
  /** how offline devices are notified; absent: by default */
  offlinePushInfo?: OfflinePushInfo;
}

/** Defaults of ClientConfig. */
export const DefaultMinBackoffMs = 250;
export const DefaultMaxBackoffMs = 30_000;
export const DefaultRequestTimeoutMs = 30_000;
export const DefaultConnectTimeoutMs = 15_000;

// Socket readyState OPEN, the same in every implementation.
const OPEN = 1;
// How many sent client message IDs are remembered to recognise their inbox copies.
const maxSentIDs = 1024;

type SessionState = "idle" | "active" | "kicked" | "closed";

interface Frame {
  seq?: number;
  op: string;
  code?: number;
  error?: string;
  message?: string;
  data?: unknown;
}

interface Request {
  op: string;
  data?: unknown;
  seq: number; // 0 while waiting for a connection
  resolve(data: unknown): void;
  reject(err: unknown): void;
}

// One WebSocket connection and what belongs to it alone.
interface Conn {
  ws: WebSocketLike;
  gen: number; // the session generation it belongs to
  loginSeq: number;
  heartbeatMs: number;
  lastHeard: number;
  timer?: ReturnType<typeof setInterval>;
  // resolves once, with why the connection ended
  ended: Promise<Error>;
  // settles once: the login's outcome
  onLogin(err?: Error): void;
  // settles once: why the connection ended
  onEnd(err: Error): void;
}

/**
 * Client is one device's session with a Herald server. It reconnects by itself with
 * jittered exponential backoff after a network failure and resynchronises: every
 * message stored while it was away arrives, in order and once, through
 * Listener.onNewMessage. It does not reconnect after logout, a kick or an expired UserSig.
 * Calls made while it reconnects wait for the new connection (up to their timeout) and
 * are sent again; every call is safe to repeat (a send carries its client message ID).
 */
export class Client {
  private readonly cfg: Required<Omit<ClientConfig, "listener" | "webSocket">> & { webSocket?: WebSocketConstructor };
  private readonly listeners = new Set<Listener>();

  private state: SessionState = "idle";
  private userID = "";
  private userSig = "";
  // Bumped by every stop: a run loop or connection of an older generation ends itself.
  private gen = 0;
  private conn: Conn | null = null; // the logged-in connection, if any
  private dialling: WebSocketLike | null = null;
  private connState: ConnState = "disconnected";
  private nextSeq = 0;
  private waiting: Request[] = []; // not yet written on a live connection
  private inflight = new Map<number, Request>(); // written, awaiting their answer
  private lastInbox = 0; // the highest inbox sequence handed to the listeners
  private ackedInbox = 0; // the highest the server confirmed as acknowledged
  private ackTimer?: ReturnType<typeof setTimeout>;
  // Client message IDs sent recently: their inbox copies are this device's own.
  private sentIDs = new Set<string>();
  private wake?: () => void; // ends a backoff wait early (stop)

  constructor(config: ClientConfig) {
    if (!config.url) throw new TypeError("herald: config.url is required, e.g. wss://chat.example.com/v1/ws");
    if (!Number.isSafeInteger(config.sdkAppID) || config.sdkAppID <= 0) {
      throw new TypeError(`herald: config.sdkAppID must be a positive integer, got ${String(config.sdkAppID)}`);
    }
    this.cfg = {
      url: config.url,
      sdkAppID: config.sdkAppID,
      deviceID: config.deviceID || "dev-" + randomHex(8),
      platform: config.platform ?? "Web",
      webSocket: config.webSocket,
      minBackoffMs: config.minBackoffMs ?? DefaultMinBackoffMs,
      maxBackoffMs: config.maxBackoffMs ?? DefaultMaxBackoffMs,
      requestTimeoutMs: config.requestTimeoutMs ?? DefaultRequestTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs ?? DefaultConnectTimeoutMs,
      logger: config.logger ?? console,
    };
    if (config.listener) this.listeners.add(config.listener);
  }

  /** The device ID the client logs in with. */
  get deviceID(): string {
    return this.cfg.deviceID;
  }

  /** The user logged in (or logging in); "" before login. */
  get loginUser(): string {
    return this.userID;
  }

  /** The current connection state. */
  get connectionState(): ConnState {
    return this.connState;
  }

  /** addListener adds a listener; the function it returns removes it. */
  addListener(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * login connects and logs in as userID. It resolves when the first login succeeded and
   * rejects when it failed (a HeraldError such as 40102 usersig_invalid or 40103
   * usersig_expired, or a ConnectionError). Afterwards the client stays connected,
   * reconnecting as needed, until logout, close, a kick or an expired UserSig.
   */
  async login(userID: string, userSig: string): Promise<void> {
    if (this.state === "active") throw new Error("herald: already logged in; logout first");
    if (this.state === "closed") throw new ClientStateError("closed", "herald: the client is closed; make a new one");
    if (this.userID !== userID) {
      // Another user's inbox: its sequence starts anew.
      this.lastInbox = 0;
      this.ackedInbox = 0;
      this.sentIDs.clear();
    }
    this.userID = userID;
    this.userSig = userSig;
    this.state = "active";
    const gen = ++this.gen;
    await new Promise<void>((resolve, reject) => {
      void this.run(gen, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * logout logs the device out: the server stops delivering to it and it gets no
   * offline push until it logs in again. The client can log in again afterwards.
   */
  async logout(options?: CallOptions): Promise<void> {
    try {
      await this.call("logout", undefined, options);
    } finally {
      this.stop("idle");
    }
  }

  /**
   * close ends the session without logging out: the device stays logged in and gets
   * offline pushes, as when an app is killed. It first acknowledges what the listeners
   * have seen, so that the next login does not deliver it again. The client cannot be
   * used afterwards.
   */
  async close(): Promise<void> {
    await this.flushAck();
    this.stop("closed");
  }

  // run keeps the session connected until the generation ends; first gets the outcome
  // of the first login.
  private async run(gen: number, first?: (err?: Error) => void): Promise<void> {
    let backoff = this.cfg.minBackoffMs;
    for (;;) {
      this.setConnState("connecting");
      let err: Error;
      try {
        const c = await this.connect(gen);
        first?.();
        first = undefined;
        backoff = this.cfg.minBackoffMs;
        err = await this.serve(c);
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
        if (first) {
          if (gen === this.gen) this.stop("idle", err);
          first(err);
          return;
        }
      }
      if (gen !== this.gen) return; // stopped: stop reported the disconnect
      if (err instanceof HeraldError && err.code === ErrorCode.UserSigExpired) {
        this.stop("idle", err);
        this.emit((l) => l.onUserSigExpired?.());
        return;
      }
      this.setConnState("disconnected", err);
      // Exponential backoff with full jitter, so that a server restart is not met by
      // every client at once.
      const wait = Math.random() * backoff;
      backoff = Math.min(backoff * 2, this.cfg.maxBackoffMs);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
      if (gen !== this.gen) return;
    }
  }

  // connect dials and logs in; it resolves with the logged-in connection.
  private connect(gen: number): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const WS = this.cfg.webSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!WS) {
        reject(new Error("herald: no WebSocket in this platform: pass config.webSocket (in Node < 22, the ws package's WebSocket)"));
        return;
      }
      let ws: WebSocketLike;
      try {
        ws = new WS(this.cfg.url);
      } catch (e) {
        reject(new ConnectionError(`herald: dial ${this.cfg.url}: ${String(e)}`));
        return;
      }
      this.dialling = ws;
      let loginDone = false;
      let ended = false;
      let endResolve: (err: Error) => void = () => {};
      const timer = setTimeout(() => {
        c.onEnd(new ConnectionError(`herald: no login answer within ${this.cfg.connectTimeoutMs} ms`));
      }, this.cfg.connectTimeoutMs);
      const c: Conn = {
        ws,
        gen,
        loginSeq: ++this.nextSeq,
        heartbeatMs: 15_000,
        lastHeard: Date.now(),
        ended: new Promise<Error>((r) => (endResolve = r)),
        onLogin: (err) => {
          if (loginDone) return;
          loginDone = true;
          clearTimeout(timer);
          if (this.dialling === ws) this.dialling = null;
          if (err) {
            try {
              ws.close(1000);
            } catch {
              // already closing
            }
            reject(err);
            return;
          }
          resolve(c);
        },
        onEnd: (err) => {
          if (ended) return;
          ended = true;
          c.onLogin(err);
          endResolve(err);
        },
      };
      ws.onopen = () => {
        if (gen !== this.gen) {
          c.onEnd(new ConnectionError("herald: stopped"));
          return;
        }
        this.write(ws, {
          seq: c.loginSeq,
          op: "login",
          data: {
            sdk_app_id: this.cfg.sdkAppID,
            user_id: this.userID,
            user_sig: this.userSig,
            platform: this.cfg.platform,
            device_id: this.cfg.deviceID,
            acked_seq: this.lastInbox || undefined,
          },
        });
      };
      ws.onmessage = (ev) => this.onFrame(c, ev.data);
      ws.onerror = () => {
        // The close event that follows says why.
      };
      ws.onclose = (ev) => {
        const reason = ev.reason ? `: ${ev.reason}` : "";
        c.onEnd(new ConnectionError(`herald: connection closed (${ev.code}${reason})`, ev.code));
      };
    });
  }

  // serve makes c the live connection until it ends, and resolves with why it ended.
  private async serve(c: Conn): Promise<Error> {
    if (c.gen !== this.gen) {
      // Stopped between the login answer and now.
      c.ws.close(1000);
      return new ConnectionError("herald: stopped");
    }
    this.conn = c;
    this.setConnState("connected");
    // Calls made while disconnected, and those cut off by the last disconnect, go now.
    const reqs = this.waiting;
    this.waiting = [];
    for (const r of reqs) this.dispatch(r);
    c.lastHeard = Date.now();
    c.timer = setInterval(() => {
      if (Date.now() - c.lastHeard > 3 * c.heartbeatMs) {
        // Nothing heard for two beats: the network is gone though no close came.
        c.ws.close(4001, "heartbeat timeout");
        c.onEnd(new ConnectionError("herald: no answer from the server", 4001));
        return;
      }
      this.write(c.ws, { seq: ++this.nextSeq, op: "heartbeat" });
    }, c.heartbeatMs);
    const err = await c.ended;
    clearInterval(c.timer);
    if (this.conn === c) {
      // Still this session's connection (stop has not dropped it): unanswered calls
      // go again on the next connection, in their order.
      this.conn = null;
      const cut = [...this.inflight.values()].sort((a, b) => a.seq - b.seq);
      this.inflight.clear();
      for (const r of cut) {
        r.seq = 0;
        this.waiting.push(r);
      }
    }
    return err;
  }

  private onFrame(c: Conn, raw: unknown): void {
    // Frames still buffered on a connection of an ended session (after logout, a kick or
    // close) are not this session's.
    if (c.gen !== this.gen) return;
    c.lastHeard = Date.now();
    let f: Frame;
    try {
      f = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw as ArrayBuffer)) as Frame;
    } catch (e) {
      this.cfg.logger.warn("herald: undecodable frame", e);
      return;
    }
    if (f.seq) {
      if (f.seq === c.loginSeq) {
        if (f.code) {
          c.onLogin(new HeraldError(f.code, f.error ?? "", f.message ?? ""));
        } else {
          const hb = (f.data as { heartbeat_interval?: number } | undefined)?.heartbeat_interval;
          if (hb && hb > 0) c.heartbeatMs = Math.max(500, (hb * 1000) / 2);
          c.onLogin();
        }
        return;
      }
      const r = this.inflight.get(f.seq);
      if (!r) return; // a heartbeat's answer, or a call given up
      this.inflight.delete(f.seq);
      if (f.code) r.reject(new HeraldError(f.code, f.error ?? "", f.message ?? ""));
      else r.resolve(f.data);
      return;
    }
    this.onEvent(c, f);
  }

  private onEvent(c: Conn, f: Frame): void {
    switch (f.op) {
      case "message": {
        const m = fromWire.message(f.data);
        if (m.inboxSeq) {
          if (m.inboxSeq <= this.lastInbox) return; // a duplicate
          this.lastInbox = m.inboxSeq;
          if (m.from === this.userID && this.sentIDs.has(m.clientMsgID)) {
            // This device's own message: the sender has it from sendMessage.
            this.scheduleAck();
            return;
          }
        }
        this.emit((l) => l.onNewMessage?.(m));
        if (m.inboxSeq) this.scheduleAck();
        return;
      }
      case "conversation": {
        const conv = fromWire.conversation(f.data);
        this.emit((l) => l.onConversationChanged?.(conv));
        return;
      }
      case "kicked": {
        const k = fromWire.kicked(f.data);
        const err = new ClientStateError("kicked", `herald: kicked offline: ${k.reason}`);
        this.stop("kicked", err);
        c.onEnd(err);
        this.emit((l) => l.onKickedOffline?.(k));
        return;
      }
    }
  }

  private emit(f: (l: Listener) => void): void {
    for (const l of [...this.listeners]) {
      try {
        f(l);
      } catch (e) {
        this.cfg.logger.error("herald: a listener threw", e);
      }
    }
  }

  private setConnState(s: ConnState, err?: Error): void {
    if (s === this.connState) return;
    this.connState = s;
    this.emit((l) => l.onConnectionChanged?.(s, err));
  }

  // stop ends the session's generation: no more reconnects; waiting calls fail.
  private stop(to: SessionState, why?: Error): void {
    if (this.state !== "closed") this.state = to;
    this.gen++;
    this.wake?.();
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    for (const ws of [this.dialling, this.conn?.ws]) {
      try {
        ws?.close(1000);
      } catch {
        // already closed
      }
    }
    this.dialling = null;
    this.conn = null;
    this.failAll(this.stateError());
    this.setConnState("disconnected", why);
  }

  private stateError(): ClientStateError {
    switch (this.state) {
      case "kicked":
        return new ClientStateError("kicked", "herald: kicked offline by a login elsewhere");
      case "closed":
        return new ClientStateError("closed", "herald: the client is closed; make a new one");
      default:
        return new ClientStateError("not_logged_in", "herald: not logged in; call login first");
    }
  }

  private failAll(err: Error): void {
    const all = [...this.waiting, ...this.inflight.values()];
    this.waiting = [];
    this.inflight.clear();
    for (const r of all) r.reject(err);
  }

  private write(ws: WebSocketLike, f: Frame): boolean {
    if (ws.readyState !== OPEN) return false;
    try {
      ws.send(JSON.stringify(f));
      return true;
    } catch (e) {
      this.cfg.logger.warn("herald: write failed", e);
      return false;
    }
  }

  // dispatch writes r on the live connection, or keeps it for the next one.
  private dispatch(r: Request): void {
    const c = this.conn;
    if (c) {
      r.seq = ++this.nextSeq;
      this.inflight.set(r.seq, r);
      if (this.write(c.ws, { seq: r.seq, op: r.op, data: r.data })) return;
      this.inflight.delete(r.seq);
    }
    r.seq = 0;
    this.waiting.push(r);
  }

  /**
   * call sends a request and resolves with its answer's data. While the client is
   * reconnecting it waits for the next connection; a request cut off by a disconnect is
   * sent again.
   */
  private call(op: string, data?: unknown, options?: CallOptions): Promise<unknown> {
    if (this.state !== "active") return Promise.reject(this.stateError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeoutMs = options?.timeoutMs ?? this.cfg.requestTimeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const forget = () => {
        if (r.seq) this.inflight.delete(r.seq);
        else this.waiting = this.waiting.filter((w) => w !== r);
      };
      const onAbort = () => {
        forget();
        done();
        reject(signal!.reason);
      };
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const r: Request = {
        op,
        data,
        seq: 0,
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          forget();
          done();
          reject(new TimeoutError(`herald: no answer to ${op} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      signal?.addEventListener("abort", onAbort);
      this.dispatch(r);
    });
  }

  // scheduleAck acknowledges received messages shortly, batching a burst into one ack.
  private scheduleAck(): void {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (!this.conn) return; // the next login carries lastInbox instead
      const seq = this.lastInbox;
      this.call("ack", { inbox_seq: seq }, { timeoutMs: 10_000 }).then(
        () => (this.ackedInbox = Math.max(this.ackedInbox, seq)),
        () => {}, // the next login carries lastInbox
      );
    }, 50);
  }

  private async flushAck(): Promise<void> {
    const seq = this.lastInbox;
    if (seq <= this.ackedInbox || !this.conn || this.state !== "active") return;
    try {
      await this.call("ack", { inbox_seq: seq }, { timeoutMs: 5_000 });
      this.ackedInbox = Math.max(this.ackedInbox, seq);
    } catch {
      // The device's next login carries nothing better; the server resends.
    }
  }

  // Messages

  /**
   * sendMessage sends message to a user (receiver) or a group (groupID) and resolves
   * with it as the server stored it. onlineUserOnly messages reach connected devices only
   * and are never stored or pushed. A send cut off by a disconnect is sent again after
   * the reconnect and stored once (message.clientMsgID deduplicates).
   */
  async sendMessage(message: Message, options: SendOptions): Promise<Message> {
    if (!message.clientMsgID) message.clientMsgID = newClientMsgID();
    const req = {
      to: options.receiver || undefined,
      group_id: options.groupID || undefined,
      client_msg_id: message.clientMsgID,
      elements: toWire.elements(message.elements ?? []),
      at_user_ids: message.atUserIDs?.length ? message.atUserIDs : undefined,
      at_all: message.atAll || undefined,
      priority: options.priority || undefined,
      online_only: options.onlineUserOnly || undefined,
      offline_push_info: toWire.pushInfo(options.offlinePushInfo),
      cloud_custom_data: message.cloudCustomData || undefined,
    };
    if (!options.onlineUserOnly) {
      // Known before the send: the inbox copy may arrive before the answer does.
      this.rememberSent(message.clientMsgID);
    }
    const res = (await this.call("send", req, options)) as { message?: unknown } | undefined;
    const sent = fromWire.message(res?.message ?? {});
    if (!options.onlineUserOnly && sent.inboxSeq === this.lastInbox + 1) {
      // Its own inbox copy, when it comes, is then a duplicate.
      this.lastInbox = sent.inboxSeq;
    }
    return sent;
  }

  private rememberSent(id: string): void {
    if (this.sentIDs.has(id)) return;
    this.sentIDs.add(id);
    if (this.sentIDs.size > maxSentIDs) {
      // A Set iterates in insertion order: drop the oldest.
      this.sentIDs.delete(this.sentIDs.values().next().value as string);
    }
  }

  /** getC2CHistoryMessageList resolves with up to count messages with userID, newest first, older than lastMsg (absent: from the newest). */
  getC2CHistoryMessageList(userID: string, count = 20, lastMsg?: Message, options?: CallOptions): Promise<Message[]> {
    return this.history("c2c_" + userID, count, lastMsg, options);
  }

  /** getGroupHistoryMessageList resolves with up to count messages of groupID, newest first, older than lastMsg (absent: from the newest). */
  getGroupHistoryMessageList(groupID: string, count = 20, lastMsg?: Message, options?: CallOptions): Promise<Message[]> {
    return this.history("group_" + groupID, count, lastMsg, options);
  }

  private async history(conversationID: string, count: number, lastMsg: Message | undefined, options?: CallOptions): Promise<Message[]> {
    const res = (await this.call(
      "history",
      { conversation_id: conversationID, before_seq: lastMsg?.seq || undefined, count },
      options,
    )) as { messages?: unknown } | undefined;
    return fromWire.messages(res?.messages);
  }

  // Conversations

  /** getConversationList resolves with the user's conversations, newest first, and the total unread. */
  async getConversationList(options?: CallOptions): Promise<ConversationList> {
    return fromWire.conversationList(await this.call("conversations", undefined, options));
  }

  /** markC2CMessageAsRead marks the conversation with userID read; the user's other devices get onConversationChanged. */
  markC2CMessageAsRead(userID: string, options?: CallOptions): Promise<Conversation> {
    return this.markRead("c2c_" + userID, options);
  }

  /** markGroupMessageAsRead marks the group's conversation read. */
  markGroupMessageAsRead(groupID: string, options?: CallOptions): Promise<Conversation> {
    return this.markRead("group_" + groupID, options);
  }

  private async markRead(conversationID: string, options?: CallOptions): Promise<Conversation> {
    return fromWire.conversation(await this.call("mark_read", { conversation_id: conversationID }, options));
  }

  // Receive options and profile

  /** setC2CReceiveMessageOpt sets how messages from up to 30 users are received. */
  async setC2CReceiveMessageOpt(userIDs: string[], opt: ReceiveMessageOpt, options?: CallOptions): Promise<void> {
    await this.call("set_c2c_recv_opt", { user_ids: userIDs, opt }, options);
  }

  /** getC2CReceiveMessageOpt resolves with the option set for each user (0 when none was set). */
  async getC2CReceiveMessageOpt(userIDs: string[], options?: CallOptions): Promise<Record<string, ReceiveMessageOpt>> {
    const res = (await this.call("get_c2c_recv_opt", { user_ids: userIDs }, options)) as { opts?: Record<string, ReceiveMessageOpt> } | undefined;
    return res?.opts ?? {};
  }

  /** setGroupReceiveMessageOpt sets how the group's messages are received. */
  async setGroupReceiveMessageOpt(groupID: string, opt: ReceiveMessageOpt, options?: CallOptions): Promise<void> {
    await this.call("set_group_recv_opt", { group_id: groupID, opt }, options);
  }

  /**
   * setAllReceiveMessageOpt sets a daily do-not-disturb window starting at the given UTC
   * time of day and lasting duration seconds (at most 86400; 0 turns it off).
   */
  async setAllReceiveMessageOpt(startHour: number, startMinute: number, startSecond: number, duration: number, options?: CallOptions): Promise<void> {
    const start = startHour * 3600 + startMinute * 60 + startSecond;
    await this.call("set_dnd", { start, duration }, options);
  }

  /** setSelfInfo changes the user's nickname or face URL (an absent one is unchanged). */
  async setSelfInfo(info: { nickname?: string; faceURL?: string }, options?: CallOptions): Promise<void> {
    await this.call("set_profile", { nickname: info.nickname, face_url: info.faceURL }, options);
  }

  // Groups

  /** createGroup creates a group owned by the user, with members; an empty groupID lets the server pick one. */
  async createGroup(groupID: string, name: string, memberIDs: string[] = [], options?: CallOptions): Promise<Group> {
    const req = { group_id: groupID || undefined, name, member_ids: memberIDs.length ? memberIDs : undefined };
    return fromWire.group(await this.call("create_group", req, options));
  }

  /** getGroupInfo resolves with a group the user belongs to, with its members. */
  async getGroupInfo(groupID: string, options?: CallOptions): Promise<Group> {
    return fromWire.group(await this.call("get_group", { group_id: groupID }, options));
  }

  /** inviteUserToGroup adds users to a group (owner or admin) and resolves with those added. */
  async inviteUserToGroup(groupID: string, userIDs: string[], options?: CallOptions): Promise<string[]> {
    return this.members("add_members", groupID, userIDs, options);
  }

  /** kickGroupMember removes users from a group (owner or admin) and resolves with those removed. */
  async kickGroupMember(groupID: string, userIDs: string[], options?: CallOptions): Promise<string[]> {
    return this.members("remove_members", groupID, userIDs, options);
  }

  /** quitGroup leaves a group. */
  async quitGroup(groupID: string, options?: CallOptions): Promise<void> {
    await this.members("remove_members", groupID, [this.userID], options);
  }

  private async members(op: string, groupID: string, userIDs: string[], options?: CallOptions): Promise<string[]> {
    const res = (await this.call(op, { group_id: groupID, user_ids: userIDs }, options)) as { user_ids?: string[] } | undefined;
    return res?.user_ids ?? [];
  }

  /** setGroupMemberRole makes a member an admin or a plain member; only the group's owner may. */
  async setGroupMemberRole(groupID: string, userID: string, role: Exclude<GroupRole, "owner">, options?: CallOptions): Promise<void> {
    await this.call("set_member_role", { group_id: groupID, user_id: userID, role }, options);
  }

  // Offline push, with the commercial SDK's names (TIMPush / V2TIMOfflinePushConfig).

  /**
   * setOfflinePushConfig reports this device's vendor push token and the push
   * certificate it belongs to (businessID: the certificate ID shown in the console).
   * Call it after every login and whenever the vendor SDK hands out a new token. An empty
   * token turns offline push off for this device.
   */
  async setOfflinePushConfig(businessID: number, token: string, options?: CallOptions): Promise<void> {
    await this.call("set_push_config", { certificate_id: businessID, token }, options);
  }

  /**
   * doBackground tells the server the app left the screen: from now on the device gets
   * offline pushes even while connected. unreadCount seeds the app icon badge, which each
   * push then increments.
   */
  async doBackground(unreadCount = 0, options?: CallOptions): Promise<void> {
    await this.call("background", { unread: unreadCount }, options);
  }

  /** doForeground tells the server the app is on screen again: messages arrive online only, and the badge resets. */
  async doForeground(options?: CallOptions): Promise<void> {
    await this.call("foreground", undefined, options);
  }
}
