package app_test

import (
	"reflect"
	"strings"
	"testing"
)

// The Push service's tag and attribute calls (trtc.io/document/60566 and siblings),
// with their sample bodies: an account that was never imported is listed in ErrorList
// and the others are served.
func TestTencent_TimPushTagsAndAttrs(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("xiaoming", "Mary")
		ctx := ctxT(t)

		a := n.v4(t, "timpush/add_tag", `{"UserTags": [{"To_Account": "xiaoming", "Tags": ["a", "b"]}, {"To_Account": "ghost", "Tags": ["a"]}]}`, 0)
		if field(a, "ErrorList", 0, "To_Account") != "ghost" || num(field(a, "ErrorList", 0, "ErrorCode")) != 70107 {
			t.Errorf("add_tag ErrorList %v", a["ErrorList"])
		}
		if tags, _ := n.Store.FindUserTags(ctx, testAppID, "xiaoming"); !reflect.DeepEqual(tags, []string{"a", "b"}) {
			t.Errorf("xiaoming's tags %v", tags)
		}
		a = n.v4(t, "timpush/get_tag", `{"To_Account": ["xiaoming", "ghost"]}`, 0)
		if !reflect.DeepEqual(field(a, "UserTags", 0, "Tags"), []any{"a", "b"}) || field(a, "ErrorList", 0, "To_Account") != "ghost" {
			t.Errorf("get_tag %v", a)
		}
		n.v4(t, "timpush/remove_tag", `{"UserTags": [{"To_Account": "xiaoming", "Tags": ["a"]}]}`, 0)
		if tags, _ := n.Store.FindUserTags(ctx, testAppID, "xiaoming"); !reflect.DeepEqual(tags, []string{"b"}) {
			t.Errorf("after remove_tag: %v", tags)
		}
		n.v4(t, "timpush/remove_all_tags", `{"To_Account": ["xiaoming"]}`, 0)
		if tags, _ := n.Store.FindUserTags(ctx, testAppID, "xiaoming"); len(tags) != 0 {
			t.Errorf("after remove_all_tags: %v", tags)
		}
		n.v4(t, "timpush/get_tag", `{"To_Account": ["ghost"]}`, 70107)

		n.v4(t, "timpush/set_attr_name", `{"AttrNames": {"0": "sex", "1": "city"}}`, 0)
		a = n.v4(t, "timpush/set_attr", `{"UserAttrs": [{"To_Account": "xiaoming", "Attrs": {"sex": "attr1", "city": "attr2"}},
			{"To_Account": "Mary", "Attrs": {"sex": "attr3", "city": "attr4"}}, {"To_Account": "ghost", "Attrs": {"sex": "x"}}]}`, 0)
		if field(a, "ErrorList", 0, "To_Account") != "ghost" {
			t.Errorf("set_attr ErrorList %v", a["ErrorList"])
		}
		n.v4(t, "timpush/set_attr", `{"UserAttrs": [{"To_Account": "xiaoming", "Attrs": {"height": "2m"}}]}`, 90033)
		// tencent-im-push.md §3.5: im_set_attr takes "Attrs{name:value≤50B}"; a longer value
		// is refused before anything is written.
		n.v4(t, "timpush/set_attr", `{"UserAttrs": [{"To_Account": "Mary", "Attrs": {"sex": "x"}}, {"To_Account": "xiaoming", "Attrs": {"city": "`+strings.Repeat("v", 51)+`"}}]}`, 10004)
		if a := n.v4(t, "timpush/get_attr", `{"To_Account": ["Mary"]}`, 0); field(a, "UserAttrs", 0, "Attrs", "sex") != "attr3" {
			t.Errorf("a refused set_attr changed Mary's attributes: %v", a["UserAttrs"])
		}
		// The case: one unknown account must not fail im_get_attr for the others.
		a = n.v4(t, "all_member_push/im_get_attr", `{"To_Account": ["xiaoming", "ghost"]}`, 0)
		if !reflect.DeepEqual(field(a, "UserAttrs", 0, "Attrs"), map[string]any{"sex": "attr1", "city": "attr2"}) {
			t.Errorf("im_get_attr UserAttrs %v", a["UserAttrs"])
		}
		if field(a, "ErrorList", 0, "To_Account") != "ghost" || num(field(a, "ErrorList", 0, "ErrorCode")) != 70107 {
			t.Errorf("im_get_attr ErrorList %v", a["ErrorList"])
		}
		// remove_attr sample.
		n.v4(t, "timpush/remove_attr", `{"UserAttrs": [{"To_Account": "Mary", "Attrs": ["sex", "city"]}, {"To_Account": "xiaoming", "Attrs": ["sex", "city"]}]}`, 0)
		a = n.v4(t, "timpush/get_attr", `{"To_Account": ["Mary"]}`, 0)
		if attrs, _ := field(a, "UserAttrs", 0, "Attrs").(map[string]any); len(attrs) != 0 {
			t.Errorf("Mary's attributes after remove_attr: %v", attrs)
		}
		n.v4(t, "timpush/get_attr", `{"To_Account": []}`, 90018)
	})
}
