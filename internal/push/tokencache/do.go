package tokencache

import (
	"context"
	"time"
)

// Do makes one vendor request with a token for key and refreshes the token at most once.
// It gets a token from c with Get (ctx, key, now and fetch as there) and calls send with
// it. send makes the request and reports whether the vendor refused the token. After a
// refusal Do invalidates the token, gets one again (a new fetch, shared with every caller
// refused with the same token) and calls send once more. It returns the answer of the
// last send as it is, with refused true if the vendor refused that token too (which Do
// then has invalidated as well).
//
// If a Get fails, Do returns the zero T, refused false and the error of Get, without
// calling send again. Do is safe for concurrent use with the other methods of c.
func Do[T any](ctx context.Context, c *Cache, key string, now time.Time, fetch func(context.Context) (string, time.Time, error), send func(token string) (T, bool)) (result T, refused bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		var tok string
		tok, err = c.Get(ctx, key, now, fetch)
		if err != nil {
			var zero T
			return zero, false, err
		}
		if result, refused = send(tok); !refused {
			return result, false, nil
		}
		c.Invalidate(key, tok)
	}
	return result, true, nil
}
