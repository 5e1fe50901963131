package push

import (
	"fmt"
	"io"
	"net/http"
)

// ReadAnswer sends req with client and reads at most limit bytes of the answer's body,
// which it closes. The returned response's Body must not be read; its status and header
// are there. A transport error is returned as client.Do returned it, a failed read
// wrapped as "read answer: …"; senders sort both as RetryLater.
func ReadAnswer(client *http.Client, req *http.Request, limit int64) (*http.Response, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp, b, nil
}
