// Errors the SDK rejects with.

/** HeraldError is an error answer from the server: a code from docs/protocol.md, its stable name and what to do. */
export class HeraldError extends Error {
  /** the numeric code, e.g. 40401 */
  readonly code: number;
  /** the code's stable name, e.g. "user_not_found" */
  readonly error: string;

  constructor(code: number, error: string, message: string) {
    super(`herald ${code} ${error}: ${message}`);
    this.name = "HeraldError";
    this.code = code;
    this.error = error;
  }
}

/** Why a ClientStateError was raised: the call came before login or after logout, a kick or close. */
export type ClientState = "not_logged_in" | "kicked" | "closed";

/**
 * ClientStateError rejects calls the client cannot make in its state: before login or
 * after logout or an expired UserSig ("not_logged_in"), after a kick ("kicked", log in
 * again only on the user's request), after close ("closed", make a new client).
 */
export class ClientStateError extends Error {
  readonly state: ClientState;

  constructor(state: ClientState, message: string) {
    super(message);
    this.name = "ClientStateError";
    this.state = state;
  }
}

/** TimeoutError rejects a call that got no answer within its timeout (requestTimeoutMs, or the call's timeoutMs). */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** ConnectionError says why a connection ended or could not be made; closeCode is the WebSocket close code, if any. */
export class ConnectionError extends Error {
  readonly closeCode?: number;

  constructor(message: string, closeCode?: number) {
    super(message);
    this.name = "ConnectionError";
    this.closeCode = closeCode;
  }
}

/** Error codes of the protocol the SDK acts on. */
export const ErrorCode = {
  NotLoggedIn: 40101,
  UserSigInvalid: 40102,
  UserSigExpired: 40103,
  UnknownApp: 40104,
  KickedOffline: 40105,
} as const;
