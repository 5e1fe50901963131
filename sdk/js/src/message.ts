// Messages to send, made with the commercial SDK's create…Message names.

import type { Element, Message } from "./types.js";

/** randomHex returns n random bytes as hex, from crypto.getRandomValues when the platform has it. */
export function randomHex(n: number): string {
  const b = new Uint8Array(n);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) {
    c.getRandomValues(b);
  } else {
    // React Native without a crypto polyfill: IDs need only be unique, not secret.
    for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** newClientMsgID returns a fresh client message ID (24 hex digits). */
export function newClientMsgID(): string {
  return randomHex(12);
}

function newMessage(e: Element): Message {
  return { id: "", clientMsgID: newClientMsgID(), elements: [e] };
}

/** createTextMessage returns a text message to send. */
export function createTextMessage(text: string): Message {
  return newMessage({ type: "text", text });
}

/** createCustomMessage returns a custom message; desc is its push text (without it, a custom message is not pushed). */
export function createCustomMessage(data: string, desc = "", ext = ""): Message {
  return newMessage({ type: "custom", data, desc: desc || undefined, ext: ext || undefined });
}

/** createImageMessage returns an image message pointing at url. */
export function createImageMessage(url: string, width = 0, height = 0, size = 0, thumbURL = ""): Message {
  return newMessage({ type: "image", url, thumbURL: thumbURL || undefined, width, height, size });
}

/** createSoundMessage returns a voice message of duration seconds. */
export function createSoundMessage(url: string, duration: number, size = 0): Message {
  return newMessage({ type: "sound", url, duration, size });
}

/** createVideoMessage returns a video message of duration seconds. */
export function createVideoMessage(url: string, thumbURL: string, duration: number, size = 0): Message {
  return newMessage({ type: "video", url, thumbURL, duration, size });
}

/** createFileMessage returns a file message. */
export function createFileMessage(url: string, name: string, size = 0): Message {
  return newMessage({ type: "file", url, name, size });
}

/** createLocationMessage returns a location message; desc names the place. */
export function createLocationMessage(desc: string, latitude: number, longitude: number): Message {
  return newMessage({ type: "location", desc, latitude, longitude });
}

/** createFaceMessage returns a sticker message. */
export function createFaceMessage(index: number, data = ""): Message {
  return newMessage({ type: "face", index, data: data || undefined });
}

/** createMergerMessage returns a message forwarding messages as one chat-history element. */
export function createMergerMessage(messages: Message[], title: string, abstracts: string[]): Message {
  return newMessage({ type: "merged", title, abstracts, messages });
}

/** createTextAtMessage returns a group text message mentioning users, or everyone with atAll (at most 30 mentions). */
export function createTextAtMessage(text: string, atUserIDs: string[], atAll = false): Message {
  const m = createTextMessage(text);
  m.atUserIDs = atUserIDs;
  m.atAll = atAll || undefined;
  return m;
}
