package app

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/push/pipeline"
)

// Config is everything `herald serve` can be told. It is read from defaults, then the
// config file, then HERALD_* environment variables, then flags: each overrides the one
// before.
type Config struct {
	// Listen is the HTTP address. Default "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// DataDir holds the SQLite database and the embedded NATS store. Default "./herald-data".
	DataDir string `yaml:"data"`
	// Postgres, when set, is a PostgreSQL URL used instead of SQLite.
	Postgres string `yaml:"postgres"`
	// NATS, when set, is the URL of an external NATS (with JetStream) used instead of
	// the embedded server.
	NATS string `yaml:"nats"`
	// SDKAppID and SecretKey, when set, make sure that app exists with that key. With
	// neither, the first start creates an app and prints its ID and key.
	SDKAppID  int64  `yaml:"sdkappid"`
	SecretKey string `yaml:"secret_key"`
	// AdminUserID is the admin identifier of an app created at start. Default "administrator".
	AdminUserID string `yaml:"admin"`
	// Heartbeat is the client heartbeat period; silent connections are dropped after
	// two. Default 30s.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// NodeID names this node in a cluster. Default: the host name.
	NodeID string `yaml:"node_id"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text (log/slog's key=value lines) or json (one JSON object a line,
	// for log collectors). Default text.
	LogFormat string `yaml:"log_format"`
	// PushCAFile, when set, names a PEM file of CA certificates trusted for every vendor's hosts
	// besides the system's: a private gateway, or `herald sim`'s CA.
	PushCAFile string `yaml:"push_ca_file"`
	// PushWorkers is how many vendor requests a node makes at once. Default 16.
	PushWorkers int `yaml:"push_workers"`
	// DeploymentID names this deployment's subjects and streams on NATS, so that
	// deployments sharing one NATS never take each other's jobs. Default: an ID
	// generated once and kept in the database, the same for every node of it.
	DeploymentID string `yaml:"deployment_id"`
	// PushTTL is how long a push is tried when its message sets no TTL. Default 24h.
	PushTTL time.Duration `yaml:"push_ttl"`
	// PushAckTimeout is how long a connected device has to acknowledge a stored message
	// before it is pushed as if offline (a half-open connection); 0 turns that off.
	// Default 5s.
	PushAckTimeout time.Duration `yaml:"push_ack_timeout"`
	// LoginTimeout is how long a WebSocket has to log in before it is closed; 0 turns
	// the deadline off. Default 10s.
	LoginTimeout time.Duration `yaml:"login_timeout"`
	// MaxUnauthPerAddr bounds a source IP's WebSockets that have not logged in yet;
	// 0: no bound. Default 256.
	MaxUnauthPerAddr int `yaml:"max_unauthenticated_per_address"`
	// PushAllowPrivateEndpoints lets senders dial loopback, link-local and private
	// addresses (certificate endpoint overrides to simulators or a private gateway).
	// Default false: a tenant's endpoint cannot reach the node's internal network.
	PushAllowPrivateEndpoints bool `yaml:"push_allow_private_endpoints"`
	// BodyReadTimeout bounds reading a whole admin-API or /v4/ request, body included.
	// Default 10s (DefaultBodyReadTimeout).
	BodyReadTimeout time.Duration `yaml:"body_read_timeout"`
	// MasterKey (HERALD_MASTER_KEY, base64 or hex of 32 bytes) seals secrets at rest.
	// Default: the key file master.key in the data dir, generated on first start. Nodes
	// sharing a PostgreSQL store need the same key.
	MasterKey string `yaml:"master_key"`

	// Sandbox (--sandbox only: no config key, no environment variable, so that it is
	// never on by accident) runs the vendor simulators in the node with a sandbox
	// certificate each, and simulated phones (docs/sandbox.md). It is refused with
	// Postgres, NATS or a non-loopback Listen unless SandboxAllowExternal.
	Sandbox bool `yaml:"-"`
	// SandboxAllowExternal (--sandbox-allow-external) lets a sandbox use an external
	// PostgreSQL or NATS and listen beyond loopback.
	SandboxAllowExternal bool `yaml:"-"`
	// Gateway picks the WebSocket network layer: "event" (default: an epoll loop, no
	// goroutine per idle connection) or "classic" (a goroutine per connection; kept for
	// one release to compare).
	Gateway string `yaml:"gateway"`
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	if host == "" {
		host = "local"
	}
	return Config{
		Listen:      "127.0.0.1:8080",
		DataDir:     "./herald-data",
		AdminUserID: "administrator",
		Heartbeat:   30 * time.Second,
		NodeID:      host,
		LogLevel:    "info",
		LogFormat:   "text",
		PushWorkers: 16,

		PushAckTimeout: 5 * time.Second,

		LoginTimeout:     10 * time.Second,
		MaxUnauthPerAddr: 256,

		Gateway: "event",
	}
}

// ConfigError names the config field that is wrong and why.
type ConfigError struct {
	Field string
	Value string
	Err   error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config %s=%q: %v", e.Field, e.Value, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Validate checks the config.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return &ConfigError{"listen", c.Listen, err}
	}
	if c.Postgres == "" && c.DataDir == "" {
		return &ConfigError{"data", c.DataDir, errors.New("a data directory is needed without --postgres")}
	}
	if c.Postgres != "" && !strings.HasPrefix(c.Postgres, "postgres://") && !strings.HasPrefix(c.Postgres, "postgresql://") {
		return &ConfigError{"postgres", "…", errors.New("use a postgres:// URL")}
	}
	if c.NATS == "" && c.DataDir == "" {
		return &ConfigError{"data", c.DataDir, errors.New("a data directory is needed for the embedded NATS")}
	}
	if (c.SDKAppID == 0) != (c.SecretKey == "") {
		return &ConfigError{"sdkappid", strconv.FormatInt(c.SDKAppID, 10), errors.New("set both the SDKAppID and the secret key, or neither")}
	}
	if c.SDKAppID < 0 {
		return &ConfigError{"sdkappid", strconv.FormatInt(c.SDKAppID, 10), errors.New("must be positive")}
	}
	if c.PushWorkers < 1 || c.PushWorkers > 1024 {
		return &ConfigError{"push_workers", strconv.Itoa(c.PushWorkers), errors.New("1-1024")}
	}
	if c.DeploymentID != "" {
		if err := bus.CheckNamespace(c.DeploymentID); err != nil {
			return &ConfigError{"deployment_id", c.DeploymentID, errors.New("use 1-32 letters, digits, _ or -")}
		}
	}
	if c.PushTTL != 0 && (c.PushTTL < time.Minute || c.PushTTL > pipeline.MaxTTL) {
		return &ConfigError{"push_ttl", c.PushTTL.String(), errors.New("1m to 168h")}
	}
	if c.PushAckTimeout != 0 && (c.PushAckTimeout < 100*time.Millisecond || c.PushAckTimeout > 10*time.Minute) {
		return &ConfigError{"push_ack_timeout", c.PushAckTimeout.String(), errors.New("100ms-10m, or 0 to turn it off")}
	}
	if c.LoginTimeout != 0 && (c.LoginTimeout < 100*time.Millisecond || c.LoginTimeout > 10*time.Minute) {
		return &ConfigError{"login_timeout", c.LoginTimeout.String(), errors.New("100ms-10m, or 0 to turn it off")}
	}
	if c.MaxUnauthPerAddr < 0 {
		return &ConfigError{"max_unauthenticated_per_address", strconv.Itoa(c.MaxUnauthPerAddr), errors.New("0 (no bound) or more")}
	}
	if c.Heartbeat < time.Second {
		return &ConfigError{"heartbeat", c.Heartbeat.String(), errors.New("at least 1s")}
	}
	switch c.Gateway {
	case "", "event", "classic":
	default:
		return &ConfigError{"gateway", c.Gateway, errors.New("use event or classic")}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{"log_level", c.LogLevel, errors.New("use debug, info, warn or error")}
	}
	if c.LogFormat != LogFormatText && c.LogFormat != LogFormatJSON {
		return &ConfigError{"log_format", c.LogFormat, errors.New("use text or json")}
	}
	return c.checkSandbox()
}

// LoadConfig builds the config from defaults, the file named by --config (or
// HERALD_CONFIG), the environment and args.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("herald serve", flag.ContinueOnError)
	configPath := fs.String("config", getenv("HERALD_CONFIG"), "a YAML config file")
	listen := fs.String("listen", "", "HTTP address (default 127.0.0.1:8080)")
	data := fs.String("data", "", "data directory (default ./herald-data)")
	pg := fs.String("postgres", "", "PostgreSQL URL instead of SQLite")
	nats := fs.String("nats", "", "external NATS URL instead of the embedded one")
	appID := fs.Int64("sdkappid", 0, "make sure this app exists (with --secret-key)")
	key := fs.String("secret-key", "", "the app's secret key")
	admin := fs.String("admin", "", "admin identifier of a created app (default administrator)")
	heartbeat := fs.Duration("heartbeat", 0, "client heartbeat period (default 30s)")
	node := fs.String("node-id", "", "this node's name (default the host name)")
	level := fs.String("log-level", "", "debug, info, warn or error")
	logFormat := fs.String("log-format", "", "text or json (default text)")
	pushCA := fs.String("push-ca-file", "", "PEM CAs trusted for vendor hosts besides the system's")
	pushPrivate := fs.Bool("push-allow-private-endpoints", false, "let certificate endpoints reach loopback/private addresses (simulators)")
	pushWorkers := fs.Int("push-workers", 0, "vendor requests a node makes at once (default 16)")
	deployment := fs.String("deployment-id", "", "names this deployment's queues on a shared NATS (default: generated, kept in the database)")
	pushTTL := fs.Duration("push-ttl", 0, "how long a push is tried when its message sets no TTL (default 24h)")
	loginTimeout := fs.Duration("login-timeout", 0, "close a WebSocket that has not logged in within this (default 10s; 0 turns it off)")
	maxUnauth := fs.Int("max-unauthenticated-per-address", 0, "WebSockets of one IP not logged in yet (default 256; 0 no bound)")
	gw := fs.String("gateway", "", "WebSocket layer: event (default) or classic")
	pushAck := fs.Duration("push-ack-timeout", 0, "push a delivered message not acknowledged within this (default 5s; 0 turns it off)")
	sandbox := fs.Bool("sandbox", false, "run the vendor simulators and simulated phones in this node (docs/sandbox.md); never in production")
	sandboxExternal := fs.Bool("sandbox-allow-external", false, "let --sandbox use --postgres, --nats or a non-loopback --listen")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *configPath != "" {
		data, err := os.ReadFile(*configPath)
		if err != nil {
			return c, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("parse config %s: %w", *configPath, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			c.Listen = *listen
		case "data":
			c.DataDir = *data
		case "postgres":
			c.Postgres = *pg
		case "nats":
			c.NATS = *nats
		case "sdkappid":
			c.SDKAppID = *appID
		case "secret-key":
			c.SecretKey = *key
		case "admin":
			c.AdminUserID = *admin
		case "heartbeat":
			c.Heartbeat = *heartbeat
		case "node-id":
			c.NodeID = *node
		case "log-level":
			c.LogLevel = *level
		case "log-format":
			c.LogFormat = *logFormat
		case "push-ca-file":
			c.PushCAFile = *pushCA
		case "push-workers":
			c.PushWorkers = *pushWorkers
		case "deployment-id":
			c.DeploymentID = *deployment
		case "push-ttl":
			c.PushTTL = *pushTTL
		case "push-ack-timeout":
			c.PushAckTimeout = *pushAck
		case "login-timeout":
			c.LoginTimeout = *loginTimeout
		case "max-unauthenticated-per-address":
			c.MaxUnauthPerAddr = *maxUnauth
		case "gateway":
			c.Gateway = *gw
		case "push-allow-private-endpoints":
			c.PushAllowPrivateEndpoints = *pushPrivate
		case "sandbox":
			c.Sandbox = *sandbox
		case "sandbox-allow-external":
			c.SandboxAllowExternal = *sandboxExternal
		}
	})
	return c, c.Validate()
}

func (c *Config) applyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"HERALD_LISTEN": &c.Listen, "HERALD_DATA": &c.DataDir, "HERALD_POSTGRES": &c.Postgres,
		"HERALD_NATS": &c.NATS, "HERALD_SECRET_KEY": &c.SecretKey, "HERALD_ADMIN": &c.AdminUserID,
		"HERALD_NODE_ID": &c.NodeID, "HERALD_LOG_LEVEL": &c.LogLevel, "HERALD_PUSH_CA_FILE": &c.PushCAFile,
		"HERALD_LOG_FORMAT":    &c.LogFormat,
		"HERALD_DEPLOYMENT_ID": &c.DeploymentID,
		"HERALD_MASTER_KEY":    &c.MasterKey,
		"HERALD_GATEWAY":       &c.Gateway,
	}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("HERALD_SDKAPPID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return &ConfigError{"HERALD_SDKAPPID", v, err}
		}
		c.SDKAppID = n
	}
	if v := getenv("HERALD_HEARTBEAT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return &ConfigError{"HERALD_HEARTBEAT", v, err}
		}
		c.Heartbeat = d
	}
	if v := getenv("HERALD_PUSH_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return &ConfigError{"HERALD_PUSH_TTL", v, err}
		}
		c.PushTTL = d
	}
	if v := getenv("HERALD_MAX_UNAUTHENTICATED_PER_ADDRESS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return &ConfigError{"HERALD_MAX_UNAUTHENTICATED_PER_ADDRESS", v, err}
		}
		c.MaxUnauthPerAddr = n
	}
	if v := getenv("HERALD_LOGIN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return &ConfigError{"HERALD_LOGIN_TIMEOUT", v, err}
		}
		c.LoginTimeout = d
	}
	if v := getenv("HERALD_PUSH_ACK_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return &ConfigError{"HERALD_PUSH_ACK_TIMEOUT", v, err}
		}
		c.PushAckTimeout = d
	}
	if v := getenv("HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &ConfigError{"HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS", v, err}
		}
		c.PushAllowPrivateEndpoints = b
	}
	return nil
}
