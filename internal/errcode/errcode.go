// Package errcode holds the error codes Herald answers with, on the WebSocket protocol and
// the REST API alike, and the Error type that carries one beside its internal cause.
//
// A code is a number a client can branch on, a stable name for logs and humans, and an
// HTTP status for the REST API. The message says what to do; the cause stays inside.
package errcode

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a machine-readable error code.
type Code int

// The codes. Their numbers and names are part of the API (docs/protocol.md, docs/api.md).
const (
	OK Code = 0

	InvalidRequest  Code = 40001 // malformed frame or JSON, a missing or bad field
	UnknownOp       Code = 40002 // the op or path does not exist
	MessageTooLarge Code = 40003 // a message over the size limit
	InvalidUserID   Code = 40004 // a user ID that is empty, too long or has bad characters
	RateLimited     Code = 40005 // too many requests

	NotLoggedIn      Code = 40101 // the connection has not logged in
	UserSigInvalid   Code = 40102 // the UserSig does not verify
	UserSigExpired   Code = 40103 // the UserSig has expired
	UnknownApp       Code = 40104 // no app with that SDKAppID
	KickedOffline    Code = 40105 // the session was ended by a login elsewhere
	PermissionDenied Code = 40301 // not allowed: not a member, not an admin, not your device

	UserNotFound         Code = 40401 // an unknown account
	GroupNotFound        Code = 40402 // an unknown group
	ConversationNotFound Code = 40403
	MessageNotFound      Code = 40404
	Conflict             Code = 40901 // the thing already exists

	Internal    Code = 50001 // a bug or an outage; the log has the cause
	Unavailable Code = 50301 // the server is shutting down or a dependency is down
)

var info = map[Code]struct {
	name   string
	status int
}{
	OK:                   {"ok", http.StatusOK},
	InvalidRequest:       {"invalid_request", http.StatusBadRequest},
	UnknownOp:            {"unknown_op", http.StatusNotFound},
	MessageTooLarge:      {"message_too_large", http.StatusRequestEntityTooLarge},
	InvalidUserID:        {"invalid_user_id", http.StatusBadRequest},
	RateLimited:          {"rate_limited", http.StatusTooManyRequests},
	NotLoggedIn:          {"not_logged_in", http.StatusUnauthorized},
	UserSigInvalid:       {"usersig_invalid", http.StatusUnauthorized},
	UserSigExpired:       {"usersig_expired", http.StatusUnauthorized},
	UnknownApp:           {"unknown_app", http.StatusUnauthorized},
	KickedOffline:        {"kicked_offline", http.StatusUnauthorized},
	PermissionDenied:     {"permission_denied", http.StatusForbidden},
	UserNotFound:         {"user_not_found", http.StatusNotFound},
	GroupNotFound:        {"group_not_found", http.StatusNotFound},
	ConversationNotFound: {"conversation_not_found", http.StatusNotFound},
	MessageNotFound:      {"message_not_found", http.StatusNotFound},
	Conflict:             {"conflict", http.StatusConflict},
	Internal:             {"internal", http.StatusInternalServerError},
	Unavailable:          {"unavailable", http.StatusServiceUnavailable},
}

// Name returns the code's stable name, e.g. "user_not_found".
func (c Code) Name() string {
	if i, ok := info[c]; ok {
		return i.name
	}
	return fmt.Sprintf("code_%d", int(c))
}

// HTTPStatus returns the HTTP status the REST API answers the code with.
func (c Code) HTTPStatus() int {
	if i, ok := info[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// Codes returns every defined code, for documentation tests.
func Codes() []Code {
	cs := make([]Code, 0, len(info))
	for c := range info {
		cs = append(cs, c)
	}
	return cs
}

// Error is an error a user sees: a code, a message saying what to do, and the internal
// cause (never shown to the user).
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code.Name(), e.Message, e.Err)
	}
	return e.Code.Name() + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code c and a formatted message.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code c, message msg and cause err.
func Wrap(c Code, err error, msg string) *Error {
	return &Error{Code: c, Message: msg, Err: err}
}

// Of returns the code and user-facing message of err: those of the first *Error in its
// chain, or Internal and "internal error" for anything else (nil gives OK).
func Of(err error) (Code, string) {
	if err == nil {
		return OK, ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Message
	}
	return Internal, "internal error"
}
