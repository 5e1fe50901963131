package meizu

import (
	"encoding/json"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// ResultsOf sorts a Meizu answer body for tokens, for table tests.
func ResultsOf(body string, tokens []string, now time.Time) []push.Result {
	resp := &response{}
	if err := json.Unmarshal([]byte(body), resp); err != nil {
		panic(err)
	}
	return resp.results(tokens, now)
}

// MessageJSON exposes messageJSON.
var MessageJSON = messageJSON
