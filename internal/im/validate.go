package im

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/protocol"
)

// Limits of what a message may carry.
const (
	MaxClientMsgIDBytes = 64
	MaxAtUsers          = 30
	MaxElements         = 20
	MaxBatchRecipients  = 500
	MaxRecvOptUsers     = 30
)

func checkUserID(id, field string) error {
	if err := auth.ValidUserID(id); err != nil {
		return &errcode.Error{Code: errcode.InvalidUserID, Message: fmt.Sprintf("%s %q: user IDs are 1-32 bytes of A-Z a-z 0-9 _ -", field, id), Err: err}
	}
	return nil
}

// checkGroupID applies the user-ID rules to group IDs too: they travel in the same
// places (conversation IDs, subjects).
func checkGroupID(id string) error {
	if err := auth.ValidUserID(id); err != nil {
		return &errcode.Error{Code: errcode.InvalidRequest, Message: fmt.Sprintf("group_id %q: group IDs are 1-32 bytes of A-Z a-z 0-9 _ -", id), Err: err}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return errcode.Errorf(errcode.InvalidRequest, format, args...)
}

// validateSend checks a send request's shape and size; it returns the elements and push
// info as the JSON to store.
func (s *Service) validateSend(req *protocol.SendRequest) (elems, pushInfo []byte, err error) {
	switch {
	case req.To == "" && req.GroupID == "":
		return nil, nil, invalid("set to (a user) or group_id")
	case req.To != "" && req.GroupID != "":
		return nil, nil, invalid("set either to or group_id, not both")
	case req.To != "":
		if err := checkUserID(req.To, "to"); err != nil {
			return nil, nil, err
		}
		if len(req.AtUserIDs) > 0 || req.AtAll {
			return nil, nil, invalid("@-mentions are for group messages")
		}
	default:
		if err := checkGroupID(req.GroupID); err != nil {
			return nil, nil, err
		}
	}
	if len(req.ClientMsgID) > MaxClientMsgIDBytes {
		return nil, nil, invalid("client_msg_id is %d bytes; at most %d", len(req.ClientMsgID), MaxClientMsgIDBytes)
	}
	if len(req.AtUserIDs) > MaxAtUsers {
		return nil, nil, invalid("at_user_ids has %d users; at most %d", len(req.AtUserIDs), MaxAtUsers)
	}
	for _, u := range req.AtUserIDs {
		if err := checkUserID(u, "at_user_ids"); err != nil {
			return nil, nil, err
		}
	}
	switch req.Priority {
	case "", "high", "normal", "low":
	default:
		return nil, nil, invalid("priority %q: use high, normal or low", req.Priority)
	}
	if len(req.Elements) == 0 {
		return nil, nil, invalid("a message needs at least one element")
	}
	if len(req.Elements) > MaxElements {
		return nil, nil, invalid("a message has at most %d elements", MaxElements)
	}
	for i := range req.Elements {
		if err := validateElement(&req.Elements[i], 0); err != nil {
			return nil, nil, invalid("elements[%d]: %v", i, err)
		}
	}
	elems, err = json.Marshal(req.Elements)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal elements: %w", err)
	}
	if pi := req.OfflinePushInfo; pi != nil {
		if err := validatePushInfo(pi); err != nil {
			return nil, nil, err
		}
		if pushInfo, err = json.Marshal(pi); err != nil {
			return nil, nil, fmt.Errorf("marshal push info: %w", err)
		}
	}
	if size := len(elems) + len(pushInfo) + len(req.CloudCustomData); size > s.MaxMessageBytes {
		return nil, nil, errcode.Errorf(errcode.MessageTooLarge, "the message is %d bytes; at most %d (elements, offline push info and cloud custom data as JSON)", size, s.MaxMessageBytes)
	}
	return elems, pushInfo, nil
}

// validateElement checks the fields each element type needs. depth bounds merged
// messages inside merged messages.
// ValidateElement checks one message element as Send does, for adapters that name the
// element in their own terms; the error says what is wrong without naming the element.
func ValidateElement(e *protocol.Element) error { return validateElement(e, 0) }

func validateElement(e *protocol.Element, depth int) error {
	switch e.Type {
	case protocol.ElemText:
		if e.Text == "" {
			return fmt.Errorf("a text element needs text")
		}
	case protocol.ElemCustom:
		if e.Data == "" && e.Desc == "" && e.Ext == "" {
			return fmt.Errorf("a custom element needs data, desc or ext")
		}
	case protocol.ElemImage, protocol.ElemSound, protocol.ElemVideo, protocol.ElemFile:
		if err := checkURL(e.URL); err != nil {
			return fmt.Errorf("a %s element needs a url: %w", e.Type, err)
		}
		if e.ThumbURL != "" {
			if err := checkURL(e.ThumbURL); err != nil {
				return fmt.Errorf("thumb_url: %w", err)
			}
		}
		if e.Size < 0 || e.Width < 0 || e.Height < 0 || e.Duration < 0 {
			return fmt.Errorf("size, width, height and duration cannot be negative")
		}
	case protocol.ElemLocation:
		if e.Latitude < -90 || e.Latitude > 90 || e.Longitude < -180 || e.Longitude > 180 {
			return fmt.Errorf("latitude must be within ±90 and longitude within ±180")
		}
	case protocol.ElemFace:
		if e.Index < 0 {
			return fmt.Errorf("a face index cannot be negative")
		}
	case protocol.ElemMerged:
		if depth > 2 {
			return fmt.Errorf("merged messages nest at most 3 deep")
		}
		if e.Title == "" || len(e.Messages) == 0 {
			return fmt.Errorf("a merged element needs a title and messages")
		}
		for _, m := range e.Messages {
			for i := range m.Elements {
				if err := validateElement(&m.Elements[i], depth+1); err != nil {
					return fmt.Errorf("merged message: %w", err)
				}
			}
		}
	case "":
		return fmt.Errorf("type is missing")
	default:
		return fmt.Errorf("unknown type %q (text, custom, image, sound, video, file, location, face, merged)", e.Type)
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	return nil
}

// Push info limits.
const (
	MaxPushTTL         = 7 * 24 * 3600 // seconds
	MaxCollapseIDBytes = 64            // APNs' limit on apns-collapse-id
)

func validatePushInfo(pi *protocol.OfflinePushInfo) error {
	if pi.TTL < 0 || pi.TTL > MaxPushTTL {
		return invalid("offline_push_info.ttl must be 0-%d seconds", MaxPushTTL)
	}
	if len(pi.CollapseID) > MaxCollapseIDBytes {
		return invalid("offline_push_info.collapse_id is over %d bytes", MaxCollapseIDBytes)
	}
	switch pi.PushPriority {
	case "", "high", "normal":
	default:
		return invalid("offline_push_info.push_priority %q: use high or normal", pi.PushPriority)
	}
	return nil
}
