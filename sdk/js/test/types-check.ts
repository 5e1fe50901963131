// Compiled (not run) by `npm test`: the published declarations type an app's code, and
// reject what the protocol refuses. Each @ts-expect-error fails the compile if the line
// becomes valid.
import {
  Client,
  ClientStateError,
  HeraldError,
  ReceiveMessageOpt,
  createTextMessage,
  type Conversation,
  type Listener,
  type Message,
} from "../dist/index.js";

const listener: Listener = {
  onNewMessage: (m: Message) => void m.elements[0]?.text,
  onConversationChanged: (c: Conversation) => void c.unread,
  onConnectionChanged: (state, err) => void (state === "connected" || err?.message),
};

export async function app(im: Client): Promise<number> {
  im.addListener(listener);
  await im.login("alice", "sig");
  const m: Message = await im.sendMessage(createTextMessage("hi"), { groupID: "g1", priority: "high", offlinePushInfo: { iOSSound: "a.caf" } });
  await im.setC2CReceiveMessageOpt(["bob"], ReceiveMessageOpt.ReceiveNotNotifyMessage);
  await im.setOfflinePushConfig(3, "token");
  await im.doBackground(2);
  await im.doForeground({ timeoutMs: 1000 });
  // @ts-expect-error: priorities are high, normal or low
  await im.sendMessage(m, { groupID: "g1", priority: "urgent" });
  // @ts-expect-error: receive options are 0-3
  await im.setGroupReceiveMessageOpt("g1", 7);
  // @ts-expect-error: the businessID is a number
  await im.setOfflinePushConfig("3", "token");
  try {
    return (await im.getConversationList()).totalUnread;
  } catch (e) {
    if (e instanceof HeraldError) return e.code;
    if (e instanceof ClientStateError && e.state === "kicked") return -1;
    throw e;
  }
}

new Client({ url: "ws://x/v1/ws", sdkAppID: 1, platform: "iOS" });
// @ts-expect-error: an unknown platform
new Client({ url: "ws://x/v1/ws", sdkAppID: 1, platform: "Symbian" });
