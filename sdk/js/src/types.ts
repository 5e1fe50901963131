// The values the SDK hands to apps. They are Herald's protocol values (docs/protocol.md)
// with camelCase names; wire.ts converts them to and from the JSON the server speaks.

/** Conversation and message types. */
export type ConversationType = "c2c" | "group";

/** Element types, as docs/protocol.md names them. */
export type ElemType = "text" | "custom" | "image" | "sound" | "video" | "file" | "location" | "face" | "merged";

/**
 * Element is one part of a message. `type` says which fields apply; media are URLs and
 * metadata (Herald stores no files).
 */
export interface Element {
  type: ElemType;
  /** text */
  text?: string;
  /** custom (its payload) and face */
  data?: string;
  /** custom: the push text (a custom message without one is not pushed); location: the place's name */
  desc?: string;
  /** custom */
  ext?: string;
  /** image, sound, video, file */
  url?: string;
  /** image, video */
  thumbURL?: string;
  /** bytes: image, sound, video, file */
  size?: number;
  /** pixels: image, video */
  width?: number;
  height?: number;
  /** seconds: sound, video */
  duration?: number;
  /** file name */
  name?: string;
  /** location */
  latitude?: number;
  longitude?: number;
  /** face */
  index?: number;
  /** merged: the forwarded chat's title, abstract lines and messages */
  title?: string;
  abstracts?: string[];
  messages?: Message[];
}

/**
 * OfflinePushInfo says how a message is pushed to devices that are offline or in the
 * background. It mirrors the commercial SDK's V2TIMOfflinePushInfo.
 */
export interface OfflinePushInfo {
  disablePush?: boolean;
  title?: string;
  /** the notification body; required for custom messages */
  desc?: string;
  /** handed to the app on click; JSON is safest (OPPO) */
  ext?: string;
  /** file name with suffix; "push.no_sound" = silent */
  iOSSound?: string;
  ignoreIOSBadge?: boolean;
  /** "apns" (default) or "voip" */
  iOSPushType?: "apns" | "voip";
  iOSSubtitle?: string;
  iOSImage?: string;
  iOSMutableContent?: boolean;
  iOSInterruptionLevel?: "passive" | "active" | "time-sensitive" | "critical";
  androidSound?: string;
  fcmChannelID?: string;
  fcmImage?: string;
  xiaomiChannelID?: string;
  oppoChannelID?: string;
  oppoCategory?: string;
  oppoNotifyLevel?: number;
  oppoTemplateID?: string;
  vivoClassification?: number;
  vivoCategory?: string;
  huaweiCategory?: string;
  huaweiImportance?: string;
  huaweiImage?: string;
  honorImportance?: string;
  honorImage?: string;
  meizuNoticeMsgType?: number;
}

/** Priority is a group message's priority, as the commercial SDK names them. */
export type Priority = "" | "high" | "normal" | "low";

/** Message is a chat message. Messages to send are made by the create…Message functions. */
export interface Message {
  /** the server's message ID; empty until sent */
  id: string;
  /** the sender's ID for it, which makes a resend store nothing twice */
  clientMsgID: string;
  type?: ConversationType;
  from?: string;
  /** the recipient of a one-to-one message */
  to?: string;
  groupID?: string;
  /** position in its conversation */
  seq?: number;
  /** position in the receiving user's inbox; absent on online-only messages */
  inboxSeq?: number;
  /** server time, Unix ms */
  time?: number;
  elements: Element[];
  /** groups only, at most 30 */
  atUserIDs?: string[];
  atAll?: boolean;
  priority?: Priority;
  onlineOnly?: boolean;
  offlinePushInfo?: OfflinePushInfo;
  cloudCustomData?: string;
}

/** Conversation is one of the user's conversations. */
export interface Conversation {
  /** c2c_<peer> or group_<groupID> */
  id: string;
  type: ConversationType;
  peerID?: string;
  groupID?: string;
  lastMessage?: Message;
  lastSeq: number;
  readSeq: number;
  unread: number;
  recvOpt: ReceiveMessageOpt;
  /** Unix ms */
  updatedAt: number;
}

/** ConversationList is the user's conversations, newest first, and the total unread. */
export interface ConversationList {
  conversations: Conversation[];
  totalUnread: number;
}

/** Group roles. */
export type GroupRole = "owner" | "admin" | "member";

/** GroupMember is one member of a group. */
export interface GroupMember {
  userID: string;
  role: GroupRole;
  /** Unix ms */
  joinedAt: number;
}

/** Group describes a group; getGroupInfo fills in its members. */
export interface Group {
  id: string;
  name: string;
  faceURL?: string;
  ownerID: string;
  /** Unix ms */
  createdAt: number;
  members?: GroupMember[];
}

/** Kicked says why a session ended (the kicked event). */
export interface Kicked {
  /** 40105 */
  code: number;
  reason: string;
  /** the platform of the device that logged in */
  platform?: string;
}

/** ReceiveMessageOpt is how messages of a conversation are received (the commercial SDK's numbers). */
export const ReceiveMessageOpt = {
  /** receive and notify */
  ReceiveMessage: 0,
  /** not delivered at all */
  NotReceiveMessage: 1,
  /** delivered, no push */
  ReceiveNotNotifyMessage: 2,
  /** delivered, pushed only when @-mentioned (groups) */
  ReceiveNotNotifyMessageExceptAt: 3,
} as const;
export type ReceiveMessageOpt = (typeof ReceiveMessageOpt)[keyof typeof ReceiveMessageOpt];

/** Platform is the kind of device logging in; it decides the multi-device policy's slot and which certificates bind. */
export type Platform = "Android" | "iOS" | "iPad" | "Windows" | "Mac" | "Linux" | "Web";
