package push

import (
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// Decision is the push rule that decided for one device of one recipient (DESIGN §3).
type Decision int

// Decisions, in the order the rules are tried; the first that matches decides.
const (
	Push             Decision = iota // the device gets a push
	SkipDisabled                     // the message's push info disables push
	SkipSender                       // the device belongs to the sender
	SkipNotReceive                   // the recipient does not receive this conversation
	SkipNoNotify                     // the recipient receives it without notification
	SkipNotMentioned                 // notifications only for @-mentions, and this is none
	SkipDND                          // the recipient's do-not-disturb window covers now
	SkipLoggedOut                    // the device logged out or was kicked
	SkipNoToken                      // the device has no push token bound
	SkipForeground                   // connected and in the foreground: delivered online
	SkipContent                      // a custom message without a description
)

var decisionNames = [...]string{"push", "disabled", "sender", "not_receive", "no_notify", "not_mentioned", "dnd", "logged_out", "no_token", "foreground", "custom_no_desc"}

// String returns the decision's stable name, used in push records and traces.
func (d Decision) String() string {
	if d < 0 || int(d) >= len(decisionNames) {
		return fmt.Sprintf("decision(%d)", int(d))
	}
	return decisionNames[d]
}

// MessageFacts are what the rules need to know about a message.
type MessageFacts struct {
	From         string
	PushDisabled bool // the push info says disable push
	// CustomNoDesc: the message is a custom message and neither its push info nor its
	// element carries a description, so there is nothing to show.
	CustomNoDesc bool
	// IgnoreDND: sent through the admin API without asking to honour the recipients'
	// do-not-disturb settings, as the commercial REST API does.
	IgnoreDND bool
}

// TargetFacts are what the rules need to know about one device of one recipient.
type TargetFacts struct {
	UserID    string
	Device    *store.Device
	RecvOpt   store.RecvOpt // the recipient's option for this conversation
	InDND     bool          // the recipient's do-not-disturb window covers now
	Mentioned bool          // the message @-mentions this user or @all
}

// Decide applies the push rules, in order, to one device (DESIGN §3). Online-only
// messages are never planned, so rule 1 is the caller's.
func Decide(m MessageFacts, t TargetFacts) Decision {
	switch {
	case m.PushDisabled:
		return SkipDisabled
	case t.UserID == m.From:
		return SkipSender
	case t.RecvOpt == store.NotReceive:
		return SkipNotReceive
	case t.RecvOpt == store.ReceiveNoNotify && !m.IgnoreDND:
		return SkipNoNotify
	case t.RecvOpt == store.ReceiveNoNotifyExceptAt && !t.Mentioned && !m.IgnoreDND:
		return SkipNotMentioned
	case t.InDND && !m.IgnoreDND:
		return SkipDND
	case t.Device.State == store.LoggedOut:
		return SkipLoggedOut
	case t.Device.PushToken == "" || t.Device.CertificateID == 0:
		return SkipNoToken
	case t.Device.State == store.Online && !t.Device.Background:
		return SkipForeground
	case m.CustomNoDesc:
		return SkipContent
	}
	return Push
}
