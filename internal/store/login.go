package store

import (
	"slices"
	"strings"
	"time"
)

// Login is one device logging in, for Store.LoginDevices.
type Login struct {
	SDKAppID int64
	UserID   string
	DeviceID string
	Platform Platform
	// Session names the connection, as "node/session"; it becomes the device's NodeID.
	Session string
	// At is the login time: the device's LoginAt and LastSeen, and the CreatedAt of an
	// account the login creates.
	At time.Time
	// Policy is the app's multi-device policy: which of the user's other devices the
	// login ends.
	Policy DevicePolicy
}

// LoginResult is what one login did.
type LoginResult struct {
	// Device is the device as stored right after this login (a later login in the same
	// call may change it again).
	Device *Device
	// Kicked are the user's other devices this login logged out, as they were before.
	Kicked []*Device
	// Replaces is the session ("node/session") the device was online on before this
	// login, which it replaces: that connection, wherever it is, is to end. Empty when
	// the device was offline, logged out or new: it has no other session to end.
	Replaces string
	// InboxSeq is the last sequence of the user's inbox when the login was written (0:
	// none yet): a session starting at or above it has nothing to catch up on, and
	// anything stored later is routed to it.
	InboxSeq int64
}

// LoginUser names one user of a list of logins.
type LoginUser struct {
	SDKAppID int64
	UserID   string
}

// Displaces reports whether, under p, a login on platform ends a session on other.
func (p DevicePolicy) Displaces(platform, other Platform) bool {
	switch p {
	case Unlimited:
		return false
	case OneDevice:
		return true
	default:
		return platform == other
	}
}

// LoginPlan is the outcome of a list of logins applied in order to the devices their
// users had (PlanLogins): what each login did, and what to write.
type LoginPlan struct {
	Results []*LoginResult
	// Accounts are the logins' users, each once, in (SDKAppID, UserID) order, with the
	// time of their first login in the list: created if missing.
	Accounts []*Account
	// Devices is the final state of every device the logins changed, each once, in
	// (SDKAppID, UserID, DeviceID) order: written over the stored row, except that
	// sequence marks never move back and Badge is kept.
	Devices []*Device
}

// LoginUsers returns the users of logins, each once, in (SDKAppID, UserID) order:
// the users whose devices and inboxes PlanLogins needs.
func LoginUsers(logins []*Login) []LoginUser {
	users := make([]LoginUser, 0, len(logins))
	for _, l := range logins {
		users = append(users, LoginUser{l.SDKAppID, l.UserID})
	}
	slices.SortFunc(users, func(a, b LoginUser) int { return compareUser(a.SDKAppID, a.UserID, b.SDKAppID, b.UserID) })
	return slices.Compact(users)
}

// LoginAccounts returns the accounts of logins' users, each once, in (SDKAppID,
// UserID) order, created at the user's first login in the list: LoginPlan.Accounts,
// which needs no stored state.
func LoginAccounts(logins []*Login) []*Account {
	seen := map[LoginUser]bool{}
	var as []*Account
	for _, l := range logins {
		k := LoginUser{l.SDKAppID, l.UserID}
		if seen[k] {
			continue
		}
		seen[k] = true
		as = append(as, &Account{SDKAppID: l.SDKAppID, UserID: l.UserID, CreatedAt: l.At.UTC().Truncate(time.Millisecond)})
	}
	slices.SortFunc(as, func(a, b *Account) int { return compareUser(a.SDKAppID, a.UserID, b.SDKAppID, b.UserID) })
	return as
}

// PlanLogins applies logins, in order, to existing: every stored device of the
// logins' users, read in the same transaction as the plan is written; inboxSeqs holds
// the last sequence of each user's inbox that has one. A login logs
// out (state LoggedOut, push binding dropped) each other device of its user that is
// not logged out and that its policy displaces, then records its own device online
// on its session, in the foreground, keeping its sequence marks and push binding
// (the session it was online on before, if any, is the result's Replaces).
// existing is not modified.
func PlanLogins(logins []*Login, existing []*Device, inboxSeqs map[LoginUser]int64) *LoginPlan {
	devices := map[LoginUser][]*Device{} // each user's devices, by device ID
	for _, d := range existing {
		k := LoginUser{d.SDKAppID, d.UserID}
		cp := *d
		devices[k] = append(devices[k], &cp)
	}
	for _, ds := range devices {
		slices.SortFunc(ds, func(a, b *Device) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	}
	plan := &LoginPlan{Results: make([]*LoginResult, len(logins))}
	changed := map[*Device]bool{}
	for i, l := range logins {
		k := LoginUser{l.SDKAppID, l.UserID}
		at := l.At.UTC().Truncate(time.Millisecond) // as stores keep times
		res := &LoginResult{InboxSeq: inboxSeqs[k]}
		var own *Device
		for _, d := range devices[k] {
			if d.DeviceID == l.DeviceID {
				own = d
				continue
			}
			if d.State == LoggedOut || !l.Policy.Displaces(l.Platform, d.Platform) {
				continue
			}
			before := *d
			res.Kicked = append(res.Kicked, &before)
			d.State, d.PushToken, d.CertificateID = LoggedOut, "", 0
			changed[d] = true
		}
		if own != nil && own.State == Online {
			res.Replaces = own.NodeID
		}
		if own == nil {
			own = &Device{SDKAppID: l.SDKAppID, UserID: l.UserID, DeviceID: l.DeviceID}
			ds := append(devices[k], own)
			slices.SortFunc(ds, func(a, b *Device) int { return strings.Compare(a.DeviceID, b.DeviceID) })
			devices[k] = ds
		}
		own.Platform, own.State, own.NodeID, own.Background = l.Platform, Online, l.Session, false
		own.LoginAt, own.LastSeen = at, at
		changed[own] = true
		cp := *own
		res.Device = &cp
		plan.Results[i] = res
	}
	for d := range changed {
		plan.Devices = append(plan.Devices, d)
	}
	slices.SortFunc(plan.Devices, func(a, b *Device) int {
		if c := compareUser(a.SDKAppID, a.UserID, b.SDKAppID, b.UserID); c != 0 {
			return c
		}
		return strings.Compare(a.DeviceID, b.DeviceID)
	})
	plan.Accounts = LoginAccounts(logins)
	return plan
}

func compareUser(appA int64, userA string, appB int64, userB string) int {
	if appA != appB {
		if appA < appB {
			return -1
		}
		return 1
	}
	return strings.Compare(userA, userB)
}

// Disconnect is the end of one connection of a device, for Store.DisconnectDevices.
type Disconnect struct {
	SDKAppID int64
	UserID   string
	DeviceID string
	// Session names the connection that ended, as "node/session".
	Session string
	// DeliveredSeq is the highest inbox sequence sent to the device on it.
	DeliveredSeq int64
	// At is when it ended: the device's LastSeen.
	At time.Time
}

// PlanDisconnects applies ds, in order, to existing (the stored devices ds name, read
// in the same transaction as the plan is written). Each sets the device's LastSeen and
// raises its DeliveredSeq and, if the device is online on the session that ended,
// takes it offline and to the foreground; a device logged out, or online on another
// session, stays so. It returns each disconnect's device as it was before it (nil when
// the device does not exist) and the final state of the devices changed, in key order.
func PlanDisconnects(ds []*Disconnect, existing []*Device) (before, changed []*Device) {
	type deviceKey struct {
		app          int64
		user, device string
	}
	devices := map[deviceKey]*Device{}
	for _, d := range existing {
		cp := *d
		devices[deviceKey{d.SDKAppID, d.UserID, d.DeviceID}] = &cp
	}
	before = make([]*Device, len(ds))
	touched := map[*Device]bool{}
	for i, x := range ds {
		d := devices[deviceKey{x.SDKAppID, x.UserID, x.DeviceID}]
		if d == nil {
			continue
		}
		cp := *d
		before[i] = &cp
		d.LastSeen = x.At.UTC().Truncate(time.Millisecond) // as stores keep times
		d.DeliveredSeq = max(d.DeliveredSeq, x.DeliveredSeq)
		if d.State == Online && d.NodeID == x.Session {
			d.State, d.Background = Offline, false
		}
		touched[d] = true
	}
	for d := range touched {
		changed = append(changed, d)
	}
	slices.SortFunc(changed, func(a, b *Device) int {
		if c := compareUser(a.SDKAppID, a.UserID, b.SDKAppID, b.UserID); c != 0 {
			return c
		}
		return strings.Compare(a.DeviceID, b.DeviceID)
	})
	return before, changed
}
