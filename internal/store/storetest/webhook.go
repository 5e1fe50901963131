package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

func testWebhookDeliveries(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for i, r := range []string{"delivered", "retry", "given_up"} {
		d := &store.WebhookDelivery{SDKAppID: appA, Command: "Push.OfflinePush", Events: i + 1, Result: r, HTTPStatus: 500, Error: "status 500", Duration: 1500 * time.Millisecond, CreatedAt: at(i)}
		must(t, "CreateWebhookDelivery", s.CreateWebhookDelivery(ctx, d))
		if d.ID == 0 {
			t.Fatal("CreateWebhookDelivery assigned no ID")
		}
	}
	must(t, "CreateWebhookDelivery", s.CreateWebhookDelivery(ctx, &store.WebhookDelivery{SDKAppID: appB, Command: "x", Result: "delivered", CreatedAt: at(5)}))
	got, err := s.FindWebhookDeliveries(ctx, appA, 2)
	must(t, "FindWebhookDeliveries", err)
	if len(got) != 2 || got[0].Result != "given_up" || got[1].Result != "retry" || got[0].Events != 3 ||
		got[0].HTTPStatus != 500 || got[0].Duration != 1500*time.Millisecond || !got[0].CreatedAt.Equal(at(2)) || got[0].Command != "Push.OfflinePush" {
		t.Fatalf("FindWebhookDeliveries: %s", dump(got))
	}
	n, err := s.DeleteWebhookDeliveriesBefore(ctx, at(2))
	must(t, "DeleteWebhookDeliveriesBefore", err)
	assertEqual(t, "deleted", n, 2)
	got, _ = s.FindWebhookDeliveries(ctx, appA, 0)
	assertEqual(t, "left", len(got), 1)
}
