package store

import "time"

// MaxMessageSearch bounds the messages SearchMessages returns at once.
const MaxMessageSearch = 200

// MessageSearch selects recent messages of an app for the console's message list;
// every set field narrows the search.
type MessageSearch struct {
	SDKAppID int64
	// UserID keeps messages the user sent, one-to-one messages to the user and
	// messages in the user's inbox (group messages). "" keeps every user's.
	UserID string
	// Channel keeps one conversation's messages (C2CChannel, GroupChannel). "" keeps all.
	Channel string
	// Since (included) and Until (excluded) bound the messages' times; zero is unbounded.
	Since, Until time.Time
	// Limit is at most MaxMessageSearch; <= 0 means 50.
	Limit int
}

// SearchLimit returns f.Limit within its bounds.
func (f MessageSearch) SearchLimit() int {
	switch {
	case f.Limit <= 0:
		return 50
	case f.Limit > MaxMessageSearch:
		return MaxMessageSearch
	}
	return f.Limit
}

// TimeRange returns Since and Until as Unix milliseconds, an unbounded end as the
// smallest or largest value.
func (f MessageSearch) TimeRange() (since, until int64) {
	since, until = 0, 1<<62
	if !f.Since.IsZero() {
		since = f.Since.UnixMilli()
	}
	if !f.Until.IsZero() {
		until = f.Until.UnixMilli()
	}
	return since, until
}
