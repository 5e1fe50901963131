// Package protocol defines Herald's client protocol: the JSON frames exchanged over the
// WebSocket at /v1/ws and the values they carry. The server's gateway and the Go client
// SDK both use it; docs/protocol.md describes it for other languages.
//
// Every request frame carries a client-chosen Seq and an Op and gets exactly one reply
// frame with the same Seq and Op: Code 0 and the result in Data, or an error Code, its
// Error name and a Message. Frames the server sends on its own (events) have Seq 0.
package protocol

import "encoding/json"

// Frame is one WebSocket text message.
type Frame struct {
	Seq     uint64          `json:"seq,omitempty"`
	Op      string          `json:"op"`
	Code    int             `json:"code,omitempty"`
	Error   string          `json:"error,omitempty"`   // the code's name, on error replies
	Message string          `json:"message,omitempty"` // what went wrong and what to do, on error replies
	Data    json.RawMessage `json:"data,omitempty"`
}

// Request ops (client → server). Each is answered by a frame with the same op and seq.
const (
	OpLogin         = "login"            // LoginRequest → LoginResponse
	OpLogout        = "logout"           // no data → no data; the connection then closes
	OpHeartbeat     = "heartbeat"        // no data → HeartbeatResponse
	OpSend          = "send"             // SendRequest → SendResponse
	OpAck           = "ack"              // AckRequest → no data
	OpSync          = "sync"             // SyncRequest → SyncResponse (pull missed messages)
	OpHistory       = "history"          // HistoryRequest → HistoryResponse
	OpConversations = "conversations"    // no data → ConversationsResponse
	OpMarkRead      = "mark_read"        // MarkReadRequest → Conversation
	OpSetC2CRecvOpt = "set_c2c_recv_opt" // SetC2CRecvOptRequest → no data
	OpGetC2CRecvOpt = "get_c2c_recv_opt" // GetC2CRecvOptRequest → GetC2CRecvOptResponse
	OpSetGroupRecv  = "set_group_recv_opt"
	OpSetDND        = "set_dnd"      // SetDNDRequest → no data
	OpCreateGroup   = "create_group" // CreateGroupRequest → Group
	OpAddMembers    = "add_members"  // MembersRequest → MembersResponse
	OpRemoveMembers = "remove_members"
	OpGetGroup      = "get_group"       // GetGroupRequest → Group
	OpSetMemberRole = "set_member_role" // SetMemberRoleRequest → no data
	OpSetProfile    = "set_profile"     // SetProfileRequest → no data
	OpSetPushConfig = "set_push_config" // SetPushConfigRequest → no data
	OpBackground    = "background"      // BackgroundRequest → no data
	OpForeground    = "foreground"      // no data → no data
	OpRevokeMessage = "revoke_message"  // RevokeMessageRequest → Message (as recalled)
)

// Event ops (server → client, Seq 0).
const (
	EvMessage      = "message"      // Message: a new message (stored ones carry InboxSeq)
	EvConversation = "conversation" // Conversation: changed by a read on another device
	EvKicked       = "kicked"       // Kicked: this session ended; do not reconnect
)

// LoginRequest logs a connection in as one device of a user.
type LoginRequest struct {
	SDKAppID int64  `json:"sdk_app_id"`
	UserID   string `json:"user_id"`
	UserSig  string `json:"user_sig"`
	Platform string `json:"platform"`  // Android, iOS, iPad, Windows, Mac, Linux or Web
	DeviceID string `json:"device_id"` // chosen by the client, stable across restarts, ≤ 64 bytes
	// AckedSeq is the highest inbox sequence the client has processed, if it knows one;
	// the server resends everything after max(AckedSeq, what the device last acknowledged).
	AckedSeq int64 `json:"acked_seq,omitempty"`
}

// LoginResponse answers a login.
type LoginResponse struct {
	ServerTime        int64 `json:"server_time"`        // Unix ms
	HeartbeatInterval int   `json:"heartbeat_interval"` // seconds; the server drops a connection silent for two
	InboxSeq          int64 `json:"inbox_seq"`          // where the device's sync starts from
}

// HeartbeatResponse answers a heartbeat.
type HeartbeatResponse struct {
	ServerTime int64 `json:"server_time"` // Unix ms
}

// Kicked says why a session ended.
type Kicked struct {
	Code     int    `json:"code"`
	Reason   string `json:"reason"`
	Platform string `json:"platform,omitempty"` // the platform of the device that logged in
}

// AckRequest acknowledges every message up to InboxSeq.
type AckRequest struct {
	InboxSeq int64 `json:"inbox_seq"`
}

// SyncRequest asks for stored messages after AfterSeq in the user's inbox.
type SyncRequest struct {
	AfterSeq int64 `json:"after_seq"`
	Limit    int   `json:"limit,omitempty"` // at most 100
}

// SyncResponse carries messages oldest first; More says another page waits.
type SyncResponse struct {
	Messages []*Message `json:"messages"`
	More     bool       `json:"more"`
}

// SetPushConfigRequest binds this device's vendor push token to a push certificate of the
// app (the console's certificate ID, Tencent's businessID). An empty token unbinds.
type SetPushConfigRequest struct {
	CertificateID int64  `json:"certificate_id"`
	Token         string `json:"token"`
}

// BackgroundRequest says the app went to the background; Unread seeds the badge.
type BackgroundRequest struct {
	Unread int `json:"unread"`
}
