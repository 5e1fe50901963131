package deploy_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/herald-im/herald/internal/app"
)

// composeFile is the part of compose.yaml the checks read.
type composeFile struct {
	Services map[string]struct {
		Build       any               `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

var heraldNodes = []string{"herald-1", "herald-2"}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("parse compose.yaml: %v", err)
	}
	return c
}

// TestCompose_Cluster checks that the two nodes of compose.yaml form one cluster:
// the same image, PostgreSQL, NATS and master key, their own node IDs, ports and
// volumes, and an environment Herald reads as meant.
func TestCompose_Cluster(t *testing.T) {
	c := readCompose(t)
	for _, name := range append([]string{"postgres", "nats"}, heraldNodes...) {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
	}
	if cmd := c.Services["nats"].Command; !slices.Contains(cmd, "--jetstream") && !slices.Contains(cmd, "-js") {
		t.Errorf("nats runs %v: Herald needs JetStream (--jetstream)", cmd)
	}

	first := c.Services[heraldNodes[0]]
	seen := map[string]string{}
	for _, name := range heraldNodes {
		s := c.Services[name]
		env := s.Environment
		for _, k := range []string{"HERALD_POSTGRES", "HERALD_NATS", "HERALD_MASTER_KEY"} {
			if env[k] == "" || env[k] != first.Environment[k] {
				t.Errorf("%s: %s=%q, %s has %q: the nodes must share it", name, k, env[k], heraldNodes[0], first.Environment[k])
			}
		}
		if !strings.HasPrefix(env["HERALD_MASTER_KEY"], "${HERALD_MASTER_KEY:?") {
			t.Errorf("%s: HERALD_MASTER_KEY=%q: take it from the environment, required, never written in the file", name, env["HERALD_MASTER_KEY"])
		}
		if s.Image != first.Image || !reflect.DeepEqual(s.Build, first.Build) || s.Build == nil {
			t.Errorf("%s: image %q build %v; both nodes must run the image built from the Dockerfile", name, s.Image, s.Build)
		}
		if !slices.Contains(s.Healthcheck.Test, "health") {
			t.Errorf("%s: health check %v does not run herald health", name, s.Healthcheck.Test)
		}
		for what, v := range map[string]string{"node ID": env["HERALD_NODE_ID"], "port": strings.Join(s.Ports, ","), "volume": strings.Join(s.Volumes, ",")} {
			if v == "" || seen[what+v] != "" {
				t.Errorf("%s: %s %q is empty or that of %s: each node needs its own", name, what, v, seen[what+v])
			}
			seen[what+v] = name
		}

		// The hosts are the compose services, and PostgreSQL's credentials match.
		pg, err := url.Parse(env["HERALD_POSTGRES"])
		if err != nil {
			t.Fatalf("%s: HERALD_POSTGRES: %v", name, err)
		}
		pgEnv := c.Services["postgres"].Environment
		if pass, _ := pg.User.Password(); pg.Hostname() != "postgres" || pg.User.Username() != pgEnv["POSTGRES_USER"] || pass != pgEnv["POSTGRES_PASSWORD"] || strings.TrimPrefix(pg.Path, "/") != pgEnv["POSTGRES_DB"] {
			t.Errorf("%s: HERALD_POSTGRES %s does not match the postgres service %v", name, env["HERALD_POSTGRES"], pgEnv)
		}
		if u, err := url.Parse(env["HERALD_NATS"]); err != nil || u.Hostname() != "nats" {
			t.Errorf("%s: HERALD_NATS %q is not the nats service", name, env["HERALD_NATS"])
		}
		if _, ok := s.DependsOn["postgres"]; !ok && name == heraldNodes[0] {
			t.Errorf("%s starts before postgres", name)
		}

		// Herald reads every variable given, and the config validates.
		getenv := func(k string) string {
			if k == "HERALD_MASTER_KEY" {
				return "base64-of-32-bytes"
			}
			return env[k]
		}
		cfg, err := app.LoadConfig(nil, getenv)
		if err != nil {
			t.Errorf("%s: its environment does not load: %v", name, err)
			continue
		}
		for k := range env {
			one := func(key string) string {
				if key == k {
					return getenv(key)
				}
				return ""
			}
			alone, err := app.LoadConfig(nil, one)
			if err == nil && alone == app.DefaultConfig() {
				t.Errorf("%s: Herald does not read %s", name, k)
			}
		}
		if cfg.Listen != "0.0.0.0:8080" || cfg.DataDir != "/data" && cfg.DataDir != app.DefaultConfig().DataDir {
			t.Errorf("%s: listen %s data %s", name, cfg.Listen, cfg.DataDir)
		}
	}
	if d := c.Services["herald-2"].DependsOn["herald-1"]; d.Condition != "service_healthy" {
		t.Errorf("herald-2 depends on herald-1 %q: it must wait until herald-1 is healthy (first-start app and schema)", d.Condition)
	}
}

// TestCompose_Config runs `docker compose config` (or docker-compose) when one is
// installed: the file must be valid and refuse to start without HERALD_MASTER_KEY.
func TestCompose_Config(t *testing.T) {
	var argv []string
	if out, err := exec.Command("docker", "compose", "version").CombinedOutput(); err == nil && bytes.Contains(out, []byte("version")) {
		argv = []string{"docker", "compose"}
	} else if _, err := exec.LookPath("docker-compose"); err == nil {
		argv = []string{"docker-compose"}
	} else {
		t.Skip("neither docker compose nor docker-compose is installed")
	}
	run := func(masterKey string) ([]byte, error) {
		cmd := exec.Command(argv[0], append(argv[1:], "-f", "../compose.yaml", "config")...)
		cmd.Env = append(os.Environ(), "HERALD_MASTER_KEY="+masterKey)
		return cmd.CombinedOutput()
	}
	out, err := run("dGhpcnR5LXR3by1ieXRlcy1vZi1tYXN0ZXIta2V5ISE=")
	if err != nil {
		t.Fatalf("%v config: %v\n%s", argv, err, out)
	}
	if n := bytes.Count(out, []byte("HERALD_MASTER_KEY: dGhpcnR5LXR3by1ieXRlcy1vZi1tYXN0ZXIta2V5ISE=")); n != 2 {
		t.Errorf("the master key reaches %d nodes, want 2:\n%s", n, out)
	}
	if out, err := run(""); err == nil || !bytes.Contains(out, []byte("set HERALD_MASTER_KEY")) {
		t.Errorf("config without HERALD_MASTER_KEY: %v\n%s", err, out)
	}
}

// dockerfile returns the Dockerfile's instructions, continuation lines joined.
func dockerfile(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		lines = append(lines, cur+l)
		cur = ""
	}
	return lines
}

// TestDockerfile checks the image's promises: multi-stage on the Go of go.mod, a
// static binary, a non-root user, the data volume and a health check on /healthz.
func TestDockerfile(t *testing.T) {
	lines := dockerfile(t)
	has := func(prefix, sub string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) && strings.Contains(l, sub) })
	}
	var froms []string
	for _, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			froms = append(froms, l)
		}
	}
	gomod, _ := os.ReadFile("../go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if len(froms) < 2 || goVersion == nil || !strings.HasPrefix(froms[0], "FROM golang:"+string(goVersion[1])+" ") || froms[len(froms)-1] != "FROM scratch" {
		t.Errorf("stages %q: want a golang:%s build stage and a scratch image", froms, goVersion[1])
	}
	for _, c := range []struct{ prefix, sub, why string }{
		{"RUN ", "CGO_ENABLED=0 go build", "a static binary"},
		{"USER ", "65532", "a non-root user"},
		{"VOLUME ", "/data", "the data volume"},
		{"ENV ", "HERALD_DATA=/data", "the data directory in the volume"},
		{"ENV ", "HERALD_LISTEN=0.0.0.0:", "listening beyond the container's loopback"},
		{"HEALTHCHECK ", `"health"`, "a health check (herald health GETs /healthz)"},
		{"COPY ", "ca-certificates.crt", "the CA roots for the vendors' TLS"},
		{"COPY ", "--chown=65532:65532 /out/data /data", "a data directory the user owns"},
	} {
		if !has(c.prefix, c.sub) {
			t.Errorf("the Dockerfile has no %s%s…: %s", c.prefix, c.sub, c.why)
		}
	}
}

// TestDockerfile_StaticBuild builds herald as the Dockerfile does and checks that the
// binary needs no dynamic loader (it runs on scratch).
func TestDockerfile_StaticBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "herald")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "../cmd/herald")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary has a dynamic loader (PT_INTERP): it would not run on scratch")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary links %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "herald ") {
		t.Fatalf("herald version: %v %s", err, out)
	}
}

// unit returns the systemd unit's settings, key to values.
func unit(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile("herald.service")
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string][]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			kv[k] = append(kv[k], v)
		}
	}
	return kv
}

// TestSystemdUnit checks the unit's user, state directory and hardening, and has
// systemd-analyze verify it where systemd is installed.
func TestSystemdUnit(t *testing.T) {
	kv := unit(t)
	for k, want := range map[string]string{
		"User": "herald", "Group": "herald", "StateDirectory": "herald", "StateDirectoryMode": "0700",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"CapabilityBoundingSet": "", "Environment": "HERALD_DATA=/var/lib/herald", "UMask": "0077",
		"ExecStart": "/usr/local/bin/herald serve --config /etc/herald/herald.yaml",
	} {
		if !slices.Contains(kv[k], want) {
			t.Errorf("herald.service %s=%q, want %q", k, kv[k], want)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	// verify wants the ExecStart binary to exist: point it at this test binary.
	exe, _ := os.Executable()
	data, _ := os.ReadFile("herald.service")
	path := filepath.Join(t.TempDir(), "herald.service")
	os.WriteFile(path, bytes.ReplaceAll(data, []byte("/usr/local/bin/herald"), []byte(exe)), 0o644)
	out, err := exec.Command(analyze, "verify", "--man=no", "--generators=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v):\n%s", err, out)
	}
}
