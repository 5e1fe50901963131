package client

import (
	"context"

	"github.com/herald-im/herald/protocol"
)

// SetOfflinePushConfig reports this device's vendor push token and the push certificate
// it belongs to (the console's certificate ID). Call it after every login and whenever
// the vendor SDK hands out a new token. An empty token turns offline push off for this
// device.
func (c *Client) SetOfflinePushConfig(ctx context.Context, certificateID int64, token string) error {
	return c.call(ctx, protocol.OpSetPushConfig, protocol.SetPushConfigRequest{CertificateID: certificateID, Token: token}, nil)
}

// DoBackground tells the server the app went to the background: from now on the device
// gets offline pushes even though it stays connected. unreadCount seeds the app icon
// badge, which each push then increments.
func (c *Client) DoBackground(ctx context.Context, unreadCount int) error {
	return c.call(ctx, protocol.OpBackground, protocol.BackgroundRequest{Unread: unreadCount}, nil)
}

// DoForeground tells the server the app is in the foreground again: messages arrive
// online only, and the badge resets.
func (c *Client) DoForeground(ctx context.Context) error {
	return c.call(ctx, protocol.OpForeground, nil, nil)
}
