package app_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push/pipeline"
)

// exampleConfig is the commented example config shipped for operators.
const exampleConfig = "../../deploy/herald.example.yaml"

// commentedKey matches a key the example shows commented out: "#key: value".
var commentedKey = regexp.MustCompile(`(?m)^#([a-z_]+):`)

// configKeys returns the YAML keys app.Config accepts.
// flagOnly are the settings deliberately kept out of the config file: the sandbox is
// turned on only by a flag, so that no copied config turns it on in production.
var flagOnly = map[string]bool{"Sandbox": true, "SandboxAllowExternal": true}

func configKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	typ := reflect.TypeFor[app.Config]()
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if tag == "-" && flagOnly[typ.Field(i).Name] {
			continue
		}
		if tag == "" || tag == "-" {
			t.Fatalf("Config.%s has no yaml key: name it, so the config file can set it", typ.Field(i).Name)
		}
		keys = append(keys, tag)
	}
	return keys
}

// TestExampleConfig_Keys fails when the example config and app.Config drift apart:
// a key Herald accepts is missing from the example, or the example names one it does
// not accept.
func TestExampleConfig_Keys(t *testing.T) {
	data, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", exampleConfig, err)
	}
	inExample := map[string]string{}
	for k := range doc {
		inExample[k] = "set"
	}
	for _, m := range commentedKey.FindAllSubmatch(data, -1) {
		k := string(m[1])
		if inExample[k] != "" {
			t.Errorf("%s names %s twice", exampleConfig, k)
		}
		inExample[k] = "commented"
	}
	accepted := configKeys(t)
	for _, k := range accepted {
		if inExample[k] == "" {
			t.Errorf("config key %s is missing from %s: add it, commented, with its default", k, exampleConfig)
		}
	}
	for k := range inExample {
		if !slices.Contains(accepted, k) {
			t.Errorf("%s names %s, which app.Config does not accept", exampleConfig, k)
		}
	}
}

// TestExampleConfig_Load loads the example as written (its values must be the
// defaults) and with every commented key set (each must parse and validate).
func TestExampleConfig_Load(t *testing.T) {
	data, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }

	got, err := app.LoadConfig([]string{"--config", exampleConfig}, noEnv)
	if err != nil {
		t.Fatalf("load %s: %v", exampleConfig, err)
	}
	want := app.DefaultConfig()
	// The example spells out what 0 means for these two.
	want.PushTTL, want.BodyReadTimeout = pipeline.DefaultTTL, app.DefaultBodyReadTimeout
	if got != want {
		t.Errorf("the example's values are not the defaults:\n got %+v\nwant %+v", got, want)
	}

	all := filepath.Join(t.TempDir(), "herald.yaml")
	os.WriteFile(all, commentedKey.ReplaceAll(data, []byte("$1:")), 0o600)
	full, err := app.LoadConfig([]string{"--config", all}, noEnv)
	if err != nil {
		t.Fatalf("load the example with every key set: %v", err)
	}
	// Every commented key moved its field off the default.
	fv, dv := reflect.ValueOf(full), reflect.ValueOf(app.DefaultConfig())
	typ := fv.Type()
	for _, m := range commentedKey.FindAllSubmatch(data, -1) {
		for i := range typ.NumField() {
			if typ.Field(i).Tag.Get("yaml") == string(m[1]) && fv.Field(i).Equal(dv.Field(i)) {
				t.Errorf("commented key %s: its example value leaves Config.%s at the default", m[1], typ.Field(i).Name)
			}
		}
	}
}
