package im_test

import (
	"testing"
	"time"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

func TestInDND(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, time.UTC) }
	night := &store.Account{DNDStart: 22 * time.Hour, DNDDuration: 8 * time.Hour} // 22:00–06:00 UTC
	lunch := &store.Account{DNDStart: 12 * time.Hour, DNDDuration: time.Hour}
	off := &store.Account{}
	tests := []struct {
		name string
		a    *store.Account
		t    time.Time
		want bool
	}{
		{"NightStart", night, at(22, 0), true},
		{"NightAfterMidnight", night, at(3, 30), true},
		{"NightEnd", night, at(6, 0), false},
		{"NightDay", night, at(15, 0), false},
		{"LunchIn", lunch, at(12, 59), true},
		{"LunchBefore", lunch, at(11, 59), false},
		{"Off", off, at(23, 0), false},
		{"OtherZone", night, time.Date(2026, 11, 25, 7, 0, 0, 0, time.FixedZone("CST", 8*3600)), true}, // 23:00 UTC
	}
	for _, tt := range tests {
		if got := im.InDND(tt.a, tt.t); got != tt.want {
			t.Errorf("%s: InDND(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}
