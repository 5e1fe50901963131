// Package deploy holds no code: it is the home of Herald's deployment files (the
// systemd unit, the example config) and of the tests that keep them, the Dockerfile
// and compose.yaml true to the server they run.
package deploy
