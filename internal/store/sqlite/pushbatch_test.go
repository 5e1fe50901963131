package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

// The set-based push statements must find each row by its key: a plan that searches
// an index on sdk_app_id alone scans every record (or device) of the app per batch.
func TestPushBatchQueries_Plan(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	appScan := regexp.MustCompile(`USING (COVERING )?INDEX \S+ \(sdk_app_id=\?\)$`)
	for _, q := range pushBatchQueries {
		n := strings.Count(q, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = "[]"
		}
		plan := queryPlan(t, db.write, q, args...)
		for _, d := range plan {
			if appScan.MatchString(d) || strings.HasPrefix(d, "SCAN push_records") || strings.HasPrefix(d, "SCAN devices") || strings.HasPrefix(d, "SCAN d") || strings.HasPrefix(d, "SCAN r") {
				t.Errorf("plan of %s\n%s\nscans the app's rows", q, strings.Join(plan, "\n"))
			}
		}
	}
}

// FindDevices by push token or by users looks the few matching devices up; it does not
// walk the app's devices (each push-token bind asks who else holds the token).
func TestFindDevicesQuery_Plan(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	token, user := "tok", "bob"
	appScan := regexp.MustCompile(`USING (COVERING )?INDEX \S+ \(sdk_app_id=\?\)$|^SCAN devices`)
	for name, f := range map[string]store.DeviceFilter{
		"token":       {SDKAppID: 1, PushToken: &token},
		"user":        {SDKAppID: 1, UserID: &user},
		"users":       {SDKAppID: 1, UserIDs: []string{"a", "b"}},
		"user, token": {SDKAppID: 1, UserID: &user, PushToken: &token},
	} {
		q, args := findDevicesQuery(f)
		plan := queryPlan(t, db.read, q, args...)
		for _, d := range plan {
			if appScan.MatchString(d) {
				t.Errorf("%s: plan\n%s\nwalks the app's devices", name, strings.Join(plan, "\n"))
			}
		}
	}
}

// queryPlan returns the details of SQLite's plan for q, one line a step.
func queryPlan(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}
