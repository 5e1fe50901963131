package store

import "time"

// Profiles are the fields of accounts, groups and group memberships beyond the typed
// ones (nickname, name, face URL, role): the commercial API's portrait tags
// (Tag_Profile_IM_Gender, Tag_Profile_Custom_*…), a group's introduction and
// notification, a member's name card and mute. They are kept as tag → value maps
// owned by the im package, which knows their meaning; an empty value removes a tag.
// A profile goes with its account, group or membership.

// Recall is the recall of one stored message: it stays stored, and every reader sees it
// as recalled.
type Recall struct {
	MessageID string
	By        string // the user (or app admin) who recalled it
	At        time.Time
}
