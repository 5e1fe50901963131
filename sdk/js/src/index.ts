// @herald-im/client: Herald's client SDK for web and React Native apps. The names mirror
// the commercial IM SDK and Herald's Go SDK (client/); the protocol is docs/protocol.md.

export { Client, DefaultConnectTimeoutMs, DefaultMaxBackoffMs, DefaultMinBackoffMs, DefaultRequestTimeoutMs } from "./client.js";
export type { CallOptions, ClientConfig, ConnState, Listener, Logger, SendOptions, WebSocketConstructor, WebSocketLike } from "./client.js";
export { ClientStateError, ConnectionError, ErrorCode, HeraldError, TimeoutError } from "./errors.js";
export type { ClientState } from "./errors.js";
export {
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
  newClientMsgID,
} from "./message.js";
export { ReceiveMessageOpt } from "./types.js";
export type {
  Conversation,
  ConversationList,
  ConversationType,
  ElemType,
  Element,
  Group,
  GroupMember,
  GroupRole,
  Kicked,
  Message,
  OfflinePushInfo,
  Platform,
  Priority,
} from "./types.js";
