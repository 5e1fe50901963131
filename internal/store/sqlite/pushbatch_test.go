package sqlite

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
		rows, err := db.write.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, d := range plan {
			if appScan.MatchString(d) || strings.HasPrefix(d, "SCAN push_records") || strings.HasPrefix(d, "SCAN devices") || strings.HasPrefix(d, "SCAN d") || strings.HasPrefix(d, "SCAN r") {
				t.Errorf("plan of %s\n%s\nscans the app's rows", q, strings.Join(plan, "\n"))
			}
		}
	}
}
