package tencent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// Profile error codes (cloud.tencent.com/document/product/269/1500 "Error codes").
const (
	CodeProfileParam     = 40001 // a request field is wrong
	CodeProfileNoAccount = 40003 // the account does not exist
)

// Portrait tags (standard profile fields, cloud.tencent.com/document/product/269/1500).
const (
	tagNick   = "Tag_Profile_IM_Nick"
	tagImage  = "Tag_Profile_IM_Image"
	tagCustom = "Tag_Profile_Custom_"
)

// portraitTags maps the standard tags Herald keeps to im profile fields, with the JSON
// kind of each value.
var portraitTags = map[string]struct {
	field   string
	numeric bool
	values  []string // the allowed values of an enumerated string
}{
	"Tag_Profile_IM_Gender":        {im.ProfileGender, false, []string{"Gender_Type_Unknown", "Gender_Type_Female", "Gender_Type_Male"}},
	"Tag_Profile_IM_BirthDay":      {im.ProfileBirthday, true, nil},
	"Tag_Profile_IM_Location":      {im.ProfileLocation, false, nil},
	"Tag_Profile_IM_SelfSignature": {im.ProfileSignature, false, nil},
	"Tag_Profile_IM_AllowType":     {im.ProfileAllowType, false, []string{"AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny", "AllowType_Type_DenyAny"}},
	"Tag_Profile_IM_Language":      {im.ProfileLanguage, true, nil},
	"Tag_Profile_IM_Level":         {im.ProfileLevel, true, nil},
	"Tag_Profile_IM_Role":          {im.ProfileRole, true, nil},
}

// ProfileItem is one Tag and its Value.
type ProfileItem struct {
	Tag   string
	Value json.RawMessage
}

// PortraitSetRequest is the body of profile/portrait_set
// (cloud.tencent.com/document/product/269/1640).
type PortraitSetRequest struct {
	FromAccount string `json:"From_Account"`
	ProfileItem []ProfileItem
}

// profileField returns the im profile field of a Tencent tag, or "".
func profileField(tag string) (field string, numeric bool, values []string) {
	if t, ok := portraitTags[tag]; ok {
		return t.field, t.numeric, t.values
	}
	if name, ok := strings.CutPrefix(tag, tagCustom); ok {
		return im.ProfileCustomPrefix + name, false, nil
	}
	return "", false, nil
}

func (s *Server) portraitSet(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req PortraitSetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("From_Account", req.FromAccount); err != nil {
		return nil, err
	}
	if len(req.ProfileItem) == 0 {
		return nil, &Error{Code: CodeProfileParam, Info: "ProfileItem needs at least one Tag and Value"}
	}
	var c im.ProfileChange
	c.Items = map[string]string{}
	for i, it := range req.ProfileItem {
		bad := func(format string, args ...any) error {
			return &Error{Code: CodeProfileParam, Info: fmt.Sprintf("ProfileItem[%d] (%s): ", i, it.Tag) + fmt.Sprintf(format, args...)}
		}
		switch it.Tag {
		case tagNick, tagImage:
			var v string
			if err := json.Unmarshal(it.Value, &v); err != nil {
				return nil, bad("Value must be a string")
			}
			if it.Tag == tagNick {
				if len(v) > MaxNickBytes {
					return nil, bad("Value is over %d bytes", MaxNickBytes)
				}
				c.Nickname = &v
			} else {
				if v != "" && !validURL(v) {
					return nil, bad("Value must be an absolute http or https URL")
				}
				c.FaceURL = &v
			}
			continue
		}
		field, numeric, values := profileField(it.Tag)
		if field == "" || !im.ValidProfileKey(field) {
			return nil, bad("not a standard tag Herald keeps, nor Tag_Profile_Custom_ with a name of 1-8 letters, digits or _")
		}
		raw := bytes.TrimSpace(it.Value)
		var str string
		var num json.Number
		switch {
		case numeric && json.Unmarshal(raw, &num) == nil:
		case numeric:
			return nil, bad("Value must be a number")
		case json.Unmarshal(raw, &str) == nil:
			if values != nil && str != "" && !slices.Contains(values, str) {
				return nil, bad("Value %q: use one of %s", str, strings.Join(values, ", "))
			}
		case json.Unmarshal(raw, &num) == nil:
			// A custom field may hold an integer.
		default:
			return nil, bad("Value must be a string or a number")
		}
		if len(raw) > im.MaxProfileValueBytes {
			return nil, bad("Value is over %d bytes", im.MaxProfileValueBytes)
		}
		// The value is kept as its JSON, so that portrait_get answers the same type.
		c.Items[field] = string(raw)
		if str == "" && raw[0] == '"' {
			c.Items[field] = "" // an empty string removes the field
		}
	}
	if err := s.IM.SetProfileItems(ctx, app.SDKAppID, req.FromAccount, c); err != nil {
		if code, _, _ := codeOf(err); code == CodeNoAccount {
			return nil, &Error{Code: CodeProfileNoAccount, Info: fmt.Sprintf("account %q was never imported", req.FromAccount), Err: err}
		}
		return nil, err
	}
	return statusOK, nil
}

// PortraitGetRequest is the body of profile/portrait_get
// (cloud.tencent.com/document/product/269/1639).
type PortraitGetRequest struct {
	ToAccount []string `json:"To_Account"`
	TagList   []string
}

// UserProfile is one account's answer in UserProfileItem.
type UserProfile struct {
	ToAccount   string `json:"To_Account"`
	ProfileItem []ProfileItem
	ResultCode  int
	ResultInfo  string
}

func (s *Server) portraitGet(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req PortraitGetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.ToAccount) == 0 || len(req.ToAccount) > im.MaxProfileUsers {
		return nil, &Error{Code: CodeProfileParam, Info: fmt.Sprintf("To_Account must name 1-%d accounts", im.MaxProfileUsers)}
	}
	if len(req.TagList) == 0 {
		return nil, &Error{Code: CodeProfileParam, Info: "TagList needs at least one tag"}
	}
	for _, tag := range req.TagList {
		if field, _, _ := profileField(tag); tag != tagNick && tag != tagImage && (field == "" || !im.ValidProfileKey(field)) {
			return nil, &Error{Code: CodeProfileParam, Info: fmt.Sprintf("TagList: %q is not a standard tag Herald keeps, nor a Tag_Profile_Custom_ tag", tag)}
		}
	}
	ps, err := s.IM.Profiles(ctx, app.SDKAppID, req.ToAccount)
	if err != nil {
		return nil, err
	}
	out := make([]UserProfile, 0, len(req.ToAccount))
	var fail []string
	for _, u := range req.ToAccount {
		p := ps[u]
		if p == nil {
			out = append(out, UserProfile{ToAccount: u, ProfileItem: []ProfileItem{}, ResultCode: CodeProfileNoAccount,
				ResultInfo: fmt.Sprintf("account %q was never imported", u)})
			fail = append(fail, u)
			continue
		}
		up := UserProfile{ToAccount: u, ProfileItem: []ProfileItem{}}
		for _, tag := range req.TagList {
			var v json.RawMessage
			switch tag {
			case tagNick:
				v, _ = json.Marshal(p.Nickname)
			case tagImage:
				v, _ = json.Marshal(p.FaceURL)
			default:
				field, numeric, _ := profileField(tag)
				if raw, ok := p.Items[field]; ok {
					v = json.RawMessage(raw)
				} else if numeric {
					v = json.RawMessage("0")
				} else {
					v = json.RawMessage(`""`)
				}
			}
			up.ProfileItem = append(up.ProfileItem, ProfileItem{Tag: tag, Value: v})
		}
		out = append(out, up)
	}
	if len(fail) == len(req.ToAccount) {
		return nil, &Error{Code: CodeProfileNoAccount, Info: "none of To_Account was ever imported"}
	}
	return struct {
		Status
		UserProfileItem []UserProfile
		FailAccount     []string `json:",omitempty"`
	}{statusOK, out, fail}, nil
}
