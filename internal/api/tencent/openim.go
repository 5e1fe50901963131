package tencent

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// Msg holds the fields openim/sendmsg and openim/batchsendmsg share
// (cloud.tencent.com/document/product/269/2282 and …/1612).
type Msg struct {
	// SyncOtherMachine: 1 (or absent) stores a copy for the sender's devices, 2 does not.
	SyncOtherMachine int
	// FromAccount is the sender; absent means the app admin, whose account must exist.
	FromAccount string `json:"From_Account"`
	// MsgLifeTime in seconds: 0 = online users only, not stored and not pushed. Any
	// other value stores the message for the app's retention.
	MsgLifeTime *int
	// MsgRandom deduplicates: a resend with the same sender, recipient and MsgRandom
	// answers the first message and stores nothing. 0 = no deduplication.
	MsgRandom uint32
	// SendMsgControl: only WithMuteNotifications has an effect in Herald.
	SendMsgControl  []string
	MsgBody         []MsgElem
	CloudCustomData string
	OfflinePushInfo *OfflinePushInfo
}

// SendMsgRequest is the body of openim/sendmsg.
type SendMsgRequest struct {
	Msg
	ToAccount string `json:"To_Account"`
}

// SendMsgResponse answers openim/sendmsg. MsgKey is Herald's message ID.
type SendMsgResponse struct {
	Status
	MsgTime int64 // Unix seconds
	MsgKey  string
}

// BatchSendMsgRequest is the body of openim/batchsendmsg.
type BatchSendMsgRequest struct {
	Msg
	ToAccount []string `json:"To_Account"`
}

// AccountError is one account a call failed for.
type AccountError struct {
	ToAccount string `json:"To_Account"`
	ErrorCode int
}

// BatchSendMsgResponse answers openim/batchsendmsg: each recipient gets its own
// message; MsgKey is the first one's ID, and ErrorList names the recipients that failed.
// When every recipient failed, the call fails with the first one's error.
type BatchSendMsgResponse struct {
	Status
	MsgKey    string
	ErrorList []AccountError
}

// sendControl is SendMsgControl's one value Herald acts on.
const sendControlWithMute = "WithMuteNotifications"

// params turns the shared fields into im.SendParams for recipient to, or group gid.
func (m *Msg) params(app *store.App) (im.SendParams, error) {
	elems, info, err := convert(m.MsgBody, m.OfflinePushInfo)
	if err != nil {
		return im.SendParams{}, err
	}
	from := m.FromAccount
	if from == "" {
		from = app.AdminUserID
	} else if err := checkAccount("From_Account", from); err != nil {
		return im.SendParams{}, err
	}
	var noSync bool
	switch m.SyncOtherMachine {
	case 0, 1:
	case 2:
		noSync = true
	default:
		return im.SendParams{}, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("SyncOtherMachine %d: use 1 or 2", m.SyncOtherMachine)}
	}
	online := false
	if m.MsgLifeTime != nil {
		if *m.MsgLifeTime < 0 {
			return im.SendParams{}, &Error{Code: CodeInvalidParam, Info: "MsgLifeTime cannot be negative"}
		}
		online = *m.MsgLifeTime == 0
		// The offline lifetime also bounds how long the vendors keep the push.
		if *m.MsgLifeTime > 0 {
			if info == nil {
				info = &protocol.OfflinePushInfo{}
			}
			info.TTL = min(*m.MsgLifeTime, im.MaxPushTTL)
		}
	}
	return im.SendParams{
		SDKAppID: app.SDKAppID,
		From:     from,
		Request: protocol.SendRequest{
			Elements:        elems,
			OnlineOnly:      online,
			OfflinePushInfo: info,
			CloudCustomData: m.CloudCustomData,
		},
		ByAdmin:               true,
		NoSenderSync:          noSync,
		WithMuteNotifications: slices.Contains(m.SendMsgControl, sendControlWithMute),
	}, nil
}

// clientMsgID is the Herald client message ID for a Tencent MsgRandom: scoped to the
// recipient (a user or a group), since Tencent deduplicates per conversation.
func clientMsgID(scope, to string, random uint32) string {
	if random == 0 {
		return ""
	}
	return "tim:" + scope + ":" + to + ":" + strconv.FormatUint(uint64(random), 10)
}

func (s *Server) sendMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req SendMsgRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("To_Account", req.ToAccount); err != nil {
		return nil, err
	}
	p, err := req.params(app)
	if err != nil {
		return nil, err
	}
	if p.From == req.ToAccount {
		return nil, &Error{Code: CodeInvalidParam, Info: "From_Account and To_Account are the same account"}
	}
	p.Request.To = req.ToAccount
	p.Request.ClientMsgID = clientMsgID("c2c", req.ToAccount, req.MsgRandom)
	m, err := s.IM.Send(ctx, p)
	if err != nil {
		return nil, err
	}
	return SendMsgResponse{Status: statusOK, MsgTime: m.Time / 1000, MsgKey: m.ID}, nil
}

func (s *Server) batchSendMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req BatchSendMsgRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.ToAccount) == 0 || len(req.ToAccount) > im.MaxBatchRecipients {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("To_Account must name 1-%d accounts", im.MaxBatchRecipients)}
	}
	p, err := req.params(app)
	if err != nil {
		return nil, err
	}
	res := BatchSendMsgResponse{Status: statusOK, ErrorList: []AccountError{}}
	var firstErr error
	for _, to := range req.ToAccount {
		one := p
		one.Request.To = to
		one.Request.ClientMsgID = clientMsgID("c2c", to, req.MsgRandom)
		m, err := s.IM.Send(ctx, one)
		if err != nil {
			code, _, internal := codeOf(err)
			if internal {
				s.Logger.Error("tencent batchsendmsg", "to", to, "err", err)
			}
			res.ErrorList = append(res.ErrorList, AccountError{ToAccount: to, ErrorCode: code})
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if res.MsgKey == "" {
			res.MsgKey = m.ID
		}
	}
	if len(res.ErrorList) == len(req.ToAccount) {
		// Nothing was sent (a message too long fails for everyone): the call fails.
		return nil, firstErr
	}
	return res, nil
}

// QueryStateRequest is the body of openim/querystate
// (cloud.tencent.com/document/product/269/2566).
type QueryStateRequest struct {
	IsNeedDetail int      // 1 = list each device in Detail
	ToAccount    []string `json:"To_Account"`
}

// QueryStateResponse answers openim/querystate.
type QueryStateResponse struct {
	Status
	QueryResult []AccountState
	ErrorList   []AccountError
}

// AccountState is one account's state: the best of its devices' states.
type AccountState struct {
	ToAccount string `json:"To_Account"`
	Status    string
	Detail    []DeviceState `json:",omitempty"`
}

// DeviceState is one device's state.
type DeviceState struct {
	Platform string
	Status   string
}

// Tencent's states, best first: connected; logged in but not connected or in the
// background (reachable by push); logged out.
const (
	StateOnline     = "Online"
	StatePushOnline = "PushOnline"
	StateOffline    = "Offline"
)

// MaxQueryStateAccounts bounds one querystate call (Tencent's limit).
const MaxQueryStateAccounts = 500

// OnlineStatusResponse answers openim/query_online_status
// (cloud.tencent.com/document/product/269/2566): as querystate, with each account's
// state in State (the legacy querystate says Status); Detail keeps Status.
type OnlineStatusResponse struct {
	Status
	QueryResult []OnlineState
	ErrorList   []AccountError
}

// OnlineState is one account's state in query_online_status.
type OnlineState struct {
	ToAccount string        `json:"To_Account"`
	State     string        `json:"State"`
	Detail    []DeviceState `json:",omitempty"`
}

func (s *Server) queryOnlineStatus(ctx context.Context, app *store.App, body []byte) (any, error) {
	res, err := s.queryState(ctx, app, body)
	if err != nil {
		return nil, err
	}
	legacy := res.(QueryStateResponse)
	out := OnlineStatusResponse{Status: legacy.Status, QueryResult: make([]OnlineState, 0, len(legacy.QueryResult)), ErrorList: legacy.ErrorList}
	for _, r := range legacy.QueryResult {
		out.QueryResult = append(out.QueryResult, OnlineState{ToAccount: r.ToAccount, State: r.Status, Detail: r.Detail})
	}
	return out, nil
}

func (s *Server) queryState(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req QueryStateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.ToAccount) == 0 || len(req.ToAccount) > MaxQueryStateAccounts {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("To_Account must name 1-%d accounts", MaxQueryStateAccounts)}
	}
	accts, err := s.Store.FindAccounts(ctx, app.SDKAppID, req.ToAccount)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	exists := make(map[string]bool, len(accts))
	for _, a := range accts {
		exists[a.UserID] = true
	}
	devs, err := s.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: app.SDKAppID, UserIDs: req.ToAccount})
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	byUser := map[string][]*store.Device{}
	for _, d := range devs {
		byUser[d.UserID] = append(byUser[d.UserID], d)
	}
	res := QueryStateResponse{Status: statusOK, QueryResult: []AccountState{}, ErrorList: []AccountError{}}
	for _, u := range req.ToAccount {
		if !exists[u] {
			res.ErrorList = append(res.ErrorList, AccountError{ToAccount: u, ErrorCode: CodeNoAccount})
			continue
		}
		st := AccountState{ToAccount: u, Status: StateOffline}
		for _, d := range byUser[u] {
			ds := deviceState(d)
			if rank(ds) < rank(st.Status) {
				st.Status = ds
			}
			if req.IsNeedDetail == 1 && ds != StateOffline {
				st.Detail = append(st.Detail, DeviceState{Platform: platformName(d.Platform), Status: ds})
			}
		}
		res.QueryResult = append(res.QueryResult, st)
	}
	return res, nil
}

func deviceState(d *store.Device) string {
	switch {
	case d.State == store.Online && !d.Background:
		return StateOnline
	case d.State == store.Online, d.State == store.Offline:
		return StatePushOnline
	default:
		return StateOffline
	}
}

func rank(state string) int {
	return slices.Index([]string{StateOnline, StatePushOnline, StateOffline}, state)
}

// platformName is Tencent's name of a platform in querystate's Detail.
func platformName(p store.Platform) string {
	switch p {
	case store.IOS:
		return "iPhone"
	case store.Windows:
		return "PC"
	default:
		return string(p)
	}
}
