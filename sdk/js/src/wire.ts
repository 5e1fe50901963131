// Conversion between the SDK's camelCase values (types.ts) and the protocol's snake_case
// JSON (docs/protocol.md, the Go protocol package). Each value has a table of its fields;
// a wire field the table does not know is kept under a camelCase name, so that a newer
// server's additions reach the app instead of vanishing.

import type { Conversation, ConversationList, Element, Group, Kicked, Message, OfflinePushInfo } from "./types.js";

type Json = Record<string, unknown>;

/** A field: its SDK name, its wire name and, for nested values, their schema (an array of them when in brackets). */
type Field = readonly [sdk: string, wire: string, nested?: Schema | readonly [Schema]];

interface Schema {
  fields: readonly Field[];
  bySDK?: Map<string, Field>;
  byWire?: Map<string, Field>;
}

function schema(fields: readonly Field[]): Schema {
  return { fields };
}

const pushInfo = schema([
  ["disablePush", "disable_push"],
  ["title", "title"],
  ["desc", "desc"],
  ["ext", "ext"],
  ["iOSSound", "ios_sound"],
  ["ignoreIOSBadge", "ignore_ios_badge"],
  ["iOSPushType", "ios_push_type"],
  ["iOSSubtitle", "ios_subtitle"],
  ["iOSImage", "ios_image"],
  ["iOSMutableContent", "ios_mutable_content"],
  ["iOSInterruptionLevel", "ios_interruption_level"],
  ["androidSound", "android_sound"],
  ["fcmChannelID", "fcm_channel_id"],
  ["fcmImage", "fcm_image"],
  ["xiaomiChannelID", "xiaomi_channel_id"],
  ["oppoChannelID", "oppo_channel_id"],
  ["oppoCategory", "oppo_category"],
  ["oppoNotifyLevel", "oppo_notify_level"],
  ["oppoTemplateID", "oppo_template_id"],
  ["vivoClassification", "vivo_classification"],
  ["vivoCategory", "vivo_category"],
  ["huaweiCategory", "huawei_category"],
  ["huaweiImportance", "huawei_importance"],
  ["huaweiImage", "huawei_image"],
  ["honorImportance", "honor_importance"],
  ["honorImage", "honor_image"],
  ["meizuNoticeMsgType", "meizu_notice_msg_type"],
]);

// Message and Element refer to each other (merged elements carry messages).
const message: Schema = { fields: [] };
const element = schema([
  ["type", "type"],
  ["text", "text"],
  ["data", "data"],
  ["desc", "desc"],
  ["ext", "ext"],
  ["url", "url"],
  ["thumbURL", "thumb_url"],
  ["size", "size"],
  ["width", "width"],
  ["height", "height"],
  ["duration", "duration"],
  ["name", "name"],
  ["latitude", "latitude"],
  ["longitude", "longitude"],
  ["index", "index"],
  ["title", "title"],
  ["abstracts", "abstracts"],
  ["messages", "messages", [message]],
]);
message.fields = [
  ["id", "id"],
  ["clientMsgID", "client_msg_id"],
  ["type", "type"],
  ["from", "from"],
  ["to", "to"],
  ["groupID", "group_id"],
  ["seq", "seq"],
  ["inboxSeq", "inbox_seq"],
  ["time", "time"],
  ["elements", "elements", [element]],
  ["atUserIDs", "at_user_ids"],
  ["atAll", "at_all"],
  ["priority", "priority"],
  ["onlineOnly", "online_only"],
  ["offlinePushInfo", "offline_push_info", pushInfo],
  ["cloudCustomData", "cloud_custom_data"],
];

const conversation = schema([
  ["id", "id"],
  ["type", "type"],
  ["peerID", "peer_id"],
  ["groupID", "group_id"],
  ["lastMessage", "last_message", message],
  ["lastSeq", "last_seq"],
  ["readSeq", "read_seq"],
  ["unread", "unread"],
  ["recvOpt", "recv_opt"],
  ["updatedAt", "updated_at"],
]);

const conversationList = schema([
  ["conversations", "conversations", [conversation]],
  ["totalUnread", "total_unread"],
]);

const groupMember = schema([
  ["userID", "user_id"],
  ["role", "role"],
  ["joinedAt", "joined_at"],
]);

const group = schema([
  ["id", "id"],
  ["name", "name"],
  ["faceURL", "face_url"],
  ["ownerID", "owner_id"],
  ["createdAt", "created_at"],
  ["members", "members", [groupMember]],
]);

const kicked = schema([
  ["code", "code"],
  ["reason", "reason"],
  ["platform", "platform"],
]);

function index(s: Schema): Schema {
  if (!s.bySDK) {
    s.bySDK = new Map(s.fields.map((f) => [f[0], f]));
    s.byWire = new Map(s.fields.map((f) => [f[1], f]));
  }
  return s;
}

function camel(wire: string): string {
  return wire.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function convert(s: Schema, v: unknown, toWire: boolean): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const { bySDK, byWire } = index(s);
  const out: Json = {};
  for (const [k, val] of Object.entries(v as Json)) {
    if (val === undefined) continue;
    const f = (toWire ? bySDK : byWire)!.get(k);
    if (!f) {
      // Unknown to this SDK version: pass it on as is (to the server), camelCased (to the app).
      out[toWire ? k : camel(k)] = val;
      continue;
    }
    const key = toWire ? f[1] : f[0];
    const nested = f[2];
    if (nested === undefined) {
      out[key] = val;
    } else if (Array.isArray(nested)) {
      out[key] = Array.isArray(val) ? val.map((x) => convert(nested[0], x, toWire)) : val;
    } else {
      out[key] = convert(nested as Schema, val, toWire);
    }
  }
  return out;
}

export const fromWire = {
  message: (v: unknown) => convert(message, v, false) as Message,
  messages: (v: unknown) => (Array.isArray(v) ? v.map((m) => convert(message, m, false) as Message) : []),
  conversation: (v: unknown) => convert(conversation, v, false) as Conversation,
  conversationList: (v: unknown) => {
    const l = convert(conversationList, v, false) as ConversationList;
    l.conversations ??= [];
    l.totalUnread ??= 0;
    return l;
  },
  group: (v: unknown) => convert(group, v, false) as Group,
  kicked: (v: unknown) => convert(kicked, v, false) as Kicked,
};

export const toWire = {
  elements: (v: Element[]) => v.map((e) => convert(element, e, true)),
  pushInfo: (v: OfflinePushInfo | undefined) => (v === undefined ? undefined : convert(pushInfo, v, true)),
};
