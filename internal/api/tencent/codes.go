package tencent

import (
	"errors"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
)

// Tencent error codes the adapter answers with. Sources: Tencent Cloud IM "Error Codes"
// (cloud.tencent.com/document/product/269/1671, intl.cloud.tencent.com/document/product/1047/34348)
// with its "REST API common error codes" (60000-79999) and account error codes; the group
// codes 100xx as listed there and in the Web SDK's tim-error-message table; the push REST
// error table (trtc.io/document/74196) for 90001 and 90009; the sendmsg page
// (cloud.tencent.com/document/product/269/2282) for 93000. Tencent's codes differ by
// service (openim answers a bad parameter with 900xx, groups with 10004, accounts with
// 70402); Herald answers one code per failure for every service, as the table below and
// docs/tencent-api.md say.
const (
	CodeOK = 0

	CodeBadHTTP        = 60002 // HTTP parse error: not a POST, unreadable body
	CodeUnknownCommand = 60009 // "request resource error, check the URL": no such command
	CodeNotAdmin       = 60010 // the request needs App admin permission
	CodeRateLimited    = 60007 // REST call rate over the limit
	CodeNoAppID        = 60012 // the REST call needs an SDKAppID

	CodeSigExpired    = 70001 // UserSig expired
	CodeSigMalformed  = 70003 // UserSig could not be parsed
	CodeSigMismatch   = 70009 // UserSig does not verify (another key)
	CodeSigIdentifier = 70013 // UserSig made for another UserID
	CodeSigAppID      = 70014 // UserSig made for another SDKAppID
	CodeUnknownApp    = 70020 // SDKAppID does not exist
	CodeNoAccount     = 70107 // the account was never imported

	CodeBadJSON        = 90001 // JSON parse failure
	CodeMessageTooLong = 93000 // the message body is over the limit (12 KB)

	CodeInternal      = 10002 // server internal error; retry
	CodeInvalidParam  = 10004 // an invalid parameter
	CodeNoPermission  = 10007 // not allowed, e.g. not a group member
	CodeGroupNotFound = 10010 // the group does not exist (or was dismissed)
	CodeGroupIDInUse  = 10021 // the group ID is taken
)

// codes maps Herald's error codes (internal/errcode) to Tencent's. A Herald code missing
// here (a newer one) answers CodeInvalidParam for a 4xx and CodeInternal otherwise.
var codes = map[errcode.Code]int{
	errcode.InvalidRequest:       CodeInvalidParam,
	errcode.UnknownOp:            CodeUnknownCommand,
	errcode.MessageTooLarge:      CodeMessageTooLong,
	errcode.InvalidUserID:        CodeInvalidParam,
	errcode.RateLimited:          CodeRateLimited,
	errcode.NotLoggedIn:          CodeSigMalformed,
	errcode.UserSigInvalid:       CodeSigMismatch,
	errcode.UserSigExpired:       CodeSigExpired,
	errcode.UnknownApp:           CodeUnknownApp,
	errcode.KickedOffline:        CodeSigMalformed,
	errcode.PermissionDenied:     CodeNoPermission,
	errcode.UserNotFound:         CodeNoAccount,
	errcode.GroupNotFound:        CodeGroupNotFound,
	errcode.ConversationNotFound: CodeInvalidParam,
	errcode.MessageNotFound:      CodeInvalidParam,
	errcode.Conflict:             CodeGroupIDInUse,
	errcode.Internal:             CodeInternal,
	errcode.Unavailable:          CodeInternal,
}

// sigCodes maps UserSig verification errors (internal/auth) to Tencent's account codes,
// first match wins.
var sigCodes = []struct {
	err  error
	code int
	info string
}{
	{auth.ErrSigExpired, CodeSigExpired, "the UserSig has expired; generate a new one"},
	{auth.ErrSigMalformed, CodeSigMalformed, "the UserSig could not be parsed"},
	{auth.ErrSigIdentifier, CodeSigIdentifier, "the UserSig was generated for another identifier"},
	{auth.ErrSigAppID, CodeSigAppID, "the UserSig was generated for another SDKAppID"},
}

// Error is a failure answered with a Tencent code the adapter chose itself (not mapped
// from a Herald code): a body that is not JSON, an unknown command, a bad UserSig.
type Error struct {
	Code int    // the Tencent error code
	Info string // the ErrorInfo the caller sees
	Err  error  // the internal cause, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Info + ": " + e.Err.Error()
	}
	return e.Info
}

func (e *Error) Unwrap() error { return e.Err }

// sigError turns a UserSig verification error into an *Error.
func sigError(err error) *Error {
	for _, c := range sigCodes {
		if errors.Is(err, c.err) {
			return &Error{Code: c.code, Info: c.info, Err: err}
		}
	}
	return &Error{Code: CodeSigMismatch, Info: "the UserSig does not verify with this app's secret key", Err: err}
}

// codeOf returns the Tencent code and ErrorInfo for err, and whether it is an internal
// error (to be logged; the caller sees "internal error").
func codeOf(err error) (code int, info string, internal bool) {
	var te *Error
	if errors.As(err, &te) {
		return te.Code, te.Info, false
	}
	c, msg := errcode.Of(err)
	return tencentCode(c), msg, c == errcode.Internal
}

// tencentCode maps one Herald code.
func tencentCode(c errcode.Code) int {
	if t, ok := codes[c]; ok {
		return t
	}
	if s := c.HTTPStatus(); s >= 400 && s < 500 {
		return CodeInvalidParam
	}
	return CodeInternal
}
