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
	// PushCAFile, when set, names a PEM file of CA certificates trusted for every vendor's hosts
	// besides the system's: a private gateway, or `herald sim`'s CA.
	PushCAFile string `yaml:"push_ca_file"`
	// PushWorkers is how many vendor requests a node makes at once. Default 16.
	PushWorkers int `yaml:"push_workers"`
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
		PushWorkers: 16,
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
	if c.Heartbeat < time.Second {
		return &ConfigError{"heartbeat", c.Heartbeat.String(), errors.New("at least 1s")}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{"log_level", c.LogLevel, errors.New("use debug, info, warn or error")}
	}
	return nil
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
	pushCA := fs.String("push-ca-file", "", "PEM CAs trusted for vendor hosts besides the system's")
	pushPrivate := fs.Bool("push-allow-private-endpoints", false, "let certificate endpoints reach loopback/private addresses (simulators)")
	pushWorkers := fs.Int("push-workers", 0, "vendor requests a node makes at once (default 16)")
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
		case "push-ca-file":
			c.PushCAFile = *pushCA
		case "push-workers":
			c.PushWorkers = *pushWorkers
		case "push-allow-private-endpoints":
			c.PushAllowPrivateEndpoints = *pushPrivate
		}
	})
	return c, c.Validate()
}

func (c *Config) applyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"HERALD_LISTEN": &c.Listen, "HERALD_DATA": &c.DataDir, "HERALD_POSTGRES": &c.Postgres,
		"HERALD_NATS": &c.NATS, "HERALD_SECRET_KEY": &c.SecretKey, "HERALD_ADMIN": &c.AdminUserID,
		"HERALD_NODE_ID": &c.NodeID, "HERALD_LOG_LEVEL": &c.LogLevel, "HERALD_PUSH_CA_FILE": &c.PushCAFile,
		"HERALD_MASTER_KEY": &c.MasterKey,
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
	if v := getenv("HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &ConfigError{"HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS", v, err}
		}
		c.PushAllowPrivateEndpoints = b
	}
	return nil
}
