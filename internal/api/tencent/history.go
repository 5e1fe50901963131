package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// Recall and history error codes. Sources: the admin_msgwithdraw page
// (cloud.tencent.com/document/product/269/38980) for 20022/20023 and group_msg_recall
// (…/12341) for 10030/10031 as Herald reads them: no such message; recalled already.
const (
	CodeMsgNotFound     = 20022
	CodeMsgRecalled     = 20023
	CodeGroupMsgMissing = 10030
	CodeGroupMsgDone    = 10031
)

// msgBody turns Herald elements back into a commercial MsgBody.
func msgBody(es []protocol.Element) []MsgElem {
	out := make([]MsgElem, 0, len(es))
	for _, e := range es {
		var typ string
		var c any
		switch e.Type {
		case protocol.ElemText:
			typ, c = TIMTextElem, TextElem{Text: e.Text}
		case protocol.ElemCustom:
			typ, c = TIMCustomElem, CustomElem{Data: e.Data, Desc: e.Desc, Ext: e.Ext}
		case protocol.ElemImage:
			infos := []ImageInfo{{Type: imageOriginal, Size: e.Size, Width: e.Width, Height: e.Height, URL: e.URL}}
			if e.ThumbURL != "" {
				infos = append(infos, ImageInfo{Type: imageThumb, URL: e.ThumbURL})
			}
			typ, c = TIMImageElem, ImageElem{ImageInfoArray: infos}
		case protocol.ElemSound:
			typ, c = TIMSoundElem, SoundElem{URL: e.URL, Size: e.Size, Second: e.Duration}
		case protocol.ElemVideo:
			typ, c = TIMVideoFileElem, VideoFileElem{VideoURL: e.URL, VideoSize: e.Size, VideoSecond: e.Duration, ThumbURL: e.ThumbURL, ThumbWidth: e.Width, ThumbHeight: e.Height}
		case protocol.ElemFile:
			typ, c = TIMFileElem, FileElem{URL: e.URL, FileSize: e.Size, FileName: e.Name}
		case protocol.ElemLocation:
			typ, c = TIMLocationElem, LocationElem{Desc: e.Desc, Latitude: e.Latitude, Longitude: e.Longitude}
		case protocol.ElemFace:
			typ, c = TIMFaceElem, FaceElem{Index: e.Index, Data: e.Data}
		default:
			continue // a merged message has no commercial element here
		}
		raw, _ := json.Marshal(c)
		out = append(out, MsgElem{MsgType: typ, MsgContent: raw})
	}
	return out
}

// MsgFlagBits values in admin_getroammsg.
const (
	msgFlagNormal   = 0
	msgFlagRecalled = 2
)

// RoamMsg is one message in admin_getroammsg's MsgList.
type RoamMsg struct {
	FromAccount     string `json:"From_Account"`
	ToAccount       string `json:"To_Account"`
	MsgSeq          int64
	MsgRandom       uint32
	MsgTimeStamp    int64
	MsgFlagBits     int
	IsPeerRead      int
	MsgKey          string
	MsgBody         []MsgElem
	CloudCustomData string
}

// GetRoamMsgRequest is the body of openim/admin_getroammsg
// (cloud.tencent.com/document/product/269/42794).
type GetRoamMsgRequest struct {
	OperatorAccount string `json:"Operator_Account"`
	PeerAccount     string `json:"Peer_Account"`
	MaxCnt          int
	MinTime         int64 // Unix seconds
	MaxTime         int64
	LastMsgKey      string // continue before this message (the previous answer's LastMsgKey)
}

// adminGetRoamMsg answers newest first: with Complete 0, call again with MaxTime =
// LastMsgTime and LastMsgKey.
func (s *Server) adminGetRoamMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req GetRoamMsgRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("Operator_Account", req.OperatorAccount); err != nil {
		return nil, err
	}
	if err := checkAccount("Peer_Account", req.PeerAccount); err != nil {
		return nil, err
	}
	if req.MaxCnt <= 0 || req.MaxCnt > im.MaxHistoryPage {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MaxCnt must be 1-%d", im.MaxHistoryPage)}
	}
	if req.MinTime < 0 || req.MaxTime <= 0 || req.MinTime > req.MaxTime {
		return nil, &Error{Code: CodeInvalidParam, Info: "MinTime and MaxTime are Unix seconds with MinTime <= MaxTime"}
	}
	q := im.MessageQuery{
		SDKAppID: app.SDKAppID, Channel: store.C2CChannel(req.OperatorAccount, req.PeerAccount),
		From: time.Unix(req.MinTime, 0), To: time.Unix(req.MaxTime, 0).Add(time.Second - time.Millisecond), Limit: req.MaxCnt,
	}
	if req.LastMsgKey != "" {
		m, err := s.IM.Store.FindMessageByID(ctx, app.SDKAppID, req.LastMsgKey)
		if err != nil || m.Channel() != q.Channel {
			return nil, &Error{Code: CodeInvalidParam, Info: "LastMsgKey is not a message of this conversation"}
		}
		q.BeforeSeq = m.Seq
	}
	ms, more, err := s.IM.Messages(ctx, q)
	if err != nil {
		return nil, err
	}
	res := struct {
		Status
		Complete    int
		MsgCnt      int
		LastMsgTime int64
		LastMsgKey  string
		MsgList     []RoamMsg
	}{Status: statusOK, Complete: 1, MsgList: []RoamMsg{}}
	if more {
		res.Complete = 0
	}
	for _, m := range ms {
		r := RoamMsg{FromAccount: m.From, ToAccount: m.To, MsgSeq: m.Seq, MsgRandom: msgRandom(m.ClientMsgID), MsgTimeStamp: m.Time / 1000,
			MsgKey: m.ID, MsgBody: msgBody(m.Elements), CloudCustomData: m.CloudCustomData}
		if m.Recalled {
			r.MsgFlagBits = msgFlagRecalled
		}
		res.MsgList = append(res.MsgList, r)
	}
	res.MsgCnt = len(res.MsgList)
	if n := len(ms); n > 0 {
		res.LastMsgTime, res.LastMsgKey = ms[n-1].Time/1000, ms[n-1].ID
	}
	return res, nil
}

// msgRandom recovers the MsgRandom a message was sent with through this API (see
// clientMsgID), or 0.
func msgRandom(clientMsgID string) uint32 {
	rest, ok := strings.CutPrefix(clientMsgID, "tim:")
	if !ok {
		return 0
	}
	r, _ := strconv.ParseUint(rest[strings.LastIndexByte(rest, ':')+1:], 10, 32)
	return uint32(r)
}

// ImportMsgRequest is the body of openim/importmsg
// (cloud.tencent.com/document/product/269/2568).
type ImportMsgRequest struct {
	// SyncFromOldSystem: 1 a live import (counts as unread), 2 history (does not).
	SyncFromOldSystem int
	FromAccount       string `json:"From_Account"`
	ToAccount         string `json:"To_Account"`
	MsgRandom         uint32
	MsgTimeStamp      int64 // Unix seconds
	MsgBody           []MsgElem
	CloudCustomData   string
}

// importMsg stores a message with its own time; it is not delivered online nor pushed.
func (s *Server) importMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req ImportMsgRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.SyncFromOldSystem != 1 && req.SyncFromOldSystem != 2 {
		return nil, &Error{Code: CodeInvalidParam, Info: "SyncFromOldSystem must be 1 (live, counts as unread) or 2 (history)"}
	}
	if err := checkAccount("From_Account", req.FromAccount); err != nil {
		return nil, err
	}
	if err := checkAccount("To_Account", req.ToAccount); err != nil {
		return nil, err
	}
	if req.MsgTimeStamp <= 0 || time.Unix(req.MsgTimeStamp, 0).After(s.Now()) {
		return nil, &Error{Code: CodeInvalidParam, Info: "MsgTimeStamp must be a Unix time in seconds, not in the future"}
	}
	elems, _, err := convert(req.MsgBody, nil)
	if err != nil {
		return nil, err
	}
	m, err := s.IM.Import(ctx, im.ImportParams{
		SDKAppID: app.SDKAppID, From: req.FromAccount, Time: time.Unix(req.MsgTimeStamp, 0), Unread: req.SyncFromOldSystem == 1,
		Request: protocol.SendRequest{To: req.ToAccount, Elements: elems, CloudCustomData: req.CloudCustomData,
			ClientMsgID: clientMsgID("c2c", req.ToAccount, req.MsgRandom)},
	})
	if err != nil {
		return nil, err
	}
	return SendMsgResponse{Status: statusOK, MsgTime: m.Time / 1000, MsgKey: m.ID}, nil
}

// adminMsgWithdraw answers openim/admin_msgwithdraw
// (cloud.tencent.com/document/product/269/38980): the one-to-one message MsgKey
// (sendmsg's answer) is recalled for both sides' devices.
func (s *Server) adminMsgWithdraw(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		FromAccount string `json:"From_Account"`
		ToAccount   string `json:"To_Account"`
		MsgKey      string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("From_Account", req.FromAccount); err != nil {
		return nil, err
	}
	if err := checkAccount("To_Account", req.ToAccount); err != nil {
		return nil, err
	}
	if req.MsgKey == "" {
		return nil, &Error{Code: CodeInvalidParam, Info: "MsgKey is required: the MsgKey sendmsg answered"}
	}
	m, err := s.IM.Store.FindMessageByID(ctx, app.SDKAppID, req.MsgKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (m.Type != store.TypeC2C || m.From != req.FromAccount || m.To != req.ToAccount)) {
		return nil, &Error{Code: CodeMsgNotFound, Info: fmt.Sprintf("no message %q from %s to %s (or it expired)", req.MsgKey, req.FromAccount, req.ToAccount)}
	}
	if err != nil {
		return nil, fmt.Errorf("find message: %w", err)
	}
	if _, err := s.IM.Recall(ctx, im.RecallParams{SDKAppID: app.SDKAppID, By: app.AdminUserID, MessageID: m.ID, ByAdmin: true}); err != nil {
		if c, _ := errcode.Of(err); c == errcode.Conflict {
			return nil, &Error{Code: CodeMsgRecalled, Info: fmt.Sprintf("message %q was recalled already", m.ID), Err: err}
		}
		return nil, err
	}
	return statusOK, nil
}

// GroupMsg is one message in group_msg_get_simple's RspMsgList.
type GroupMsg struct {
	FromAccount  string `json:"From_Account"`
	IsPlaceMsg   int    // 1: the content is gone (recalled)
	MsgBody      []MsgElem
	MsgPriority  int
	MsgRandom    uint32
	MsgSeq       int64
	MsgTimeStamp int64
	// IsRecalled is 1 for a recalled message (its MsgBody is empty).
	IsRecalled      int `json:",omitempty"`
	CloudCustomData string
}

// MaxGroupMsgPage bounds one group_msg_get_simple (the commercial limit).
const MaxGroupMsgPage = 20

var priorityNumbers = map[string]int{"high": 1, "": 2, "normal": 2, "low": 3}

// groupMsgGetSimple answers group_open_http_svc/group_msg_get_simple
// (cloud.tencent.com/document/product/269/2738): up to ReqMsgNumber messages with
// MsgSeq <= ReqMsgSeq (absent: from the newest), newest first.
func (s *Server) groupMsgGetSimple(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupID      string `json:"GroupId"`
		ReqMsgSeq    int64
		ReqMsgNumber int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if req.ReqMsgNumber <= 0 || req.ReqMsgNumber > MaxGroupMsgPage || req.ReqMsgSeq < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("ReqMsgNumber must be 1-%d and ReqMsgSeq not negative", MaxGroupMsgPage)}
	}
	if _, err := s.IM.GroupInfo(ctx, app.SDKAppID, req.GroupID); err != nil {
		return nil, err
	}
	q := im.MessageQuery{SDKAppID: app.SDKAppID, Channel: store.GroupChannel(req.GroupID), Limit: req.ReqMsgNumber}
	if req.ReqMsgSeq > 0 {
		q.BeforeSeq = req.ReqMsgSeq + 1
	}
	ms, more, err := s.IM.Messages(ctx, q)
	if err != nil {
		return nil, err
	}
	res := struct {
		Status
		GroupID    string `json:"GroupId"`
		IsFinished int
		RspMsgList []GroupMsg
	}{Status: statusOK, GroupID: req.GroupID, IsFinished: 1, RspMsgList: []GroupMsg{}}
	if more {
		res.IsFinished = 0
	}
	for _, m := range ms {
		g := GroupMsg{FromAccount: m.From, MsgBody: msgBody(m.Elements), MsgPriority: priorityNumbers[m.Priority],
			MsgRandom: msgRandom(m.ClientMsgID), MsgSeq: m.Seq, MsgTimeStamp: m.Time / 1000, CloudCustomData: m.CloudCustomData}
		if m.Recalled {
			g.IsPlaceMsg, g.IsRecalled = 1, 1
		}
		res.RspMsgList = append(res.RspMsgList, g)
	}
	return res, nil
}

// ImportGroupMsgRequest is the body of group_open_http_svc/import_group_msg
// (cloud.tencent.com/document/product/269/1635). RecentContactFlag is accepted; the
// members' conversations show the imported messages either way.
type ImportGroupMsgRequest struct {
	GroupID           string `json:"GroupId"`
	RecentContactFlag int
	MsgList           []struct {
		FromAccount string `json:"From_Account"`
		SendTime    int64
		Random      uint32
		MsgBody     []MsgElem
	}
}

// ImportResult is one message's outcome: Result 0 imported, 1 failed, 2 a duplicate.
type ImportResult struct {
	MsgSeq  int64
	MsgTime int64
	Result  int
}

// MaxImportGroupMsgs bounds one import_group_msg (the commercial limit).
const MaxImportGroupMsgs = 7

func (s *Server) importGroupMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req ImportGroupMsgRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if len(req.MsgList) == 0 || len(req.MsgList) > MaxImportGroupMsgs {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgList must hold 1-%d messages", MaxImportGroupMsgs)}
	}
	if _, err := s.IM.GroupInfo(ctx, app.SDKAppID, req.GroupID); err != nil {
		return nil, err
	}
	res := make([]ImportResult, 0, len(req.MsgList))
	for i, in := range req.MsgList {
		if err := checkAccount(fmt.Sprintf("MsgList[%d].From_Account", i), in.FromAccount); err != nil {
			return nil, err
		}
		if in.SendTime <= 0 || time.Unix(in.SendTime, 0).After(s.Now()) {
			return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgList[%d].SendTime must be a Unix time in seconds, not in the future", i)}
		}
		elems, _, err := convert(in.MsgBody, nil)
		if err != nil {
			return nil, err
		}
		cid := clientMsgID("group", req.GroupID, in.Random)
		dup := false
		if cid != "" {
			_, ferr := s.IM.Store.FindMessageByClientID(ctx, app.SDKAppID, in.FromAccount, cid)
			dup = ferr == nil
		}
		m, err := s.IM.Import(ctx, im.ImportParams{
			SDKAppID: app.SDKAppID, From: in.FromAccount, Time: time.Unix(in.SendTime, 0),
			Request: protocol.SendRequest{GroupID: req.GroupID, Elements: elems, ClientMsgID: cid},
		})
		r := ImportResult{MsgTime: in.SendTime}
		switch {
		case err != nil:
			if _, _, internal := codeOf(err); internal {
				return nil, err
			}
			r.Result = 1
		case dup:
			r.Result, r.MsgSeq = 2, m.Seq
		default:
			r.MsgSeq = m.Seq
		}
		res = append(res, r)
	}
	return struct {
		Status
		ImportMsgResult []ImportResult
	}{statusOK, res}, nil
}

// groupMsgRecall answers group_open_http_svc/group_msg_recall
// (cloud.tencent.com/document/product/269/12341): each MsgSeq gets a RetCode, 0 when
// recalled. Reason is accepted; devices see who recalled, not why.
func (s *Server) groupMsgRecall(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupID    string `json:"GroupId"`
		MsgSeqList []struct{ MsgSeq int64 }
		Reason     string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if len(req.MsgSeqList) == 0 || len(req.MsgSeqList) > MaxGroupMsgPage {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgSeqList must name 1-%d messages", MaxGroupMsgPage)}
	}
	if _, err := s.IM.GroupInfo(ctx, app.SDKAppID, req.GroupID); err != nil {
		return nil, err
	}
	type ret struct {
		MsgSeq  int64
		RetCode int
	}
	out := make([]ret, 0, len(req.MsgSeqList))
	for _, q := range req.MsgSeqList {
		r := ret{MsgSeq: q.MsgSeq}
		m, err := s.IM.FindGroupMessage(ctx, app.SDKAppID, req.GroupID, q.MsgSeq)
		if err == nil {
			_, err = s.IM.Recall(ctx, im.RecallParams{SDKAppID: app.SDKAppID, By: app.AdminUserID, MessageID: m.ID, ByAdmin: true})
		}
		switch c, _ := errcode.Of(err); {
		case err == nil:
		case c == errcode.MessageNotFound:
			r.RetCode = CodeGroupMsgMissing
		case c == errcode.Conflict:
			r.RetCode = CodeGroupMsgDone
		default:
			return nil, err
		}
		out = append(out, r)
	}
	return struct {
		Status
		RecallRetList []ret
	}{statusOK, out}, nil
}
