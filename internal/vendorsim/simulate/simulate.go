// Package simulate runs every vendor simulator of internal/vendorsim on local ports, each
// with one demo app, and writes the certificates a Herald operator would enter for them.
// It is what `herald sim` runs, and what end-to-end tests of the senders start.
package simulate

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
	simapns "github.com/herald-im/herald/internal/vendorsim/apns"
	simfcm "github.com/herald-im/herald/internal/vendorsim/fcm"
	simhonor "github.com/herald-im/herald/internal/vendorsim/honor"
	simhuawei "github.com/herald-im/herald/internal/vendorsim/huawei"
	simmeizu "github.com/herald-im/herald/internal/vendorsim/meizu"
	simoppo "github.com/herald-im/herald/internal/vendorsim/oppo"
	simvivo "github.com/herald-im/herald/internal/vendorsim/vivo"
	simxiaomi "github.com/herald-im/herald/internal/vendorsim/xiaomi"
)

// Defaults of a Servers made by NewServers.
const (
	DefaultAddr = "127.0.0.1"
	DefaultPort = 9000
	DefaultDir  = "herald-sim"
)

// The demo app every simulator gets.
const (
	// DemoPackage is the Android package name and the iOS bundle ID of the demo apps.
	DemoPackage = "com.example.chat"
	// DemoProject is the Firebase project ID of the FCM demo app.
	DemoProject = "herald-sim"
)

// Names of the files Open writes in Dir.
const (
	CertificatesFile      = "certificates.json"        // Certificates, secrets included
	APNsCAFile            = "apns-ca.pem"              // the APNs simulator's CA, to trust its TLS server
	FCMServiceAccountFile = "fcm-service-account.json" // the FCM demo app's service account
	APNsKeyFile           = "apns-authkey.p8"          // the APNs demo app's token-auth key
)

// A Vendor is one running simulator and its demo app.
type Vendor struct {
	Vendor push.Vendor `json:"vendor"`
	// ID and Name are the certificate's, which its JSON form leaves out.
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// URL is the simulator's base URL: https for APNs, http for the others.
	URL string `json:"url"`
	// App is the app identity a phone registers with ({"app": App} to /_sim/phones):
	// the FCM project ID, the APNs bundle ID, the Xiaomi and OPPO package name, or the
	// Huawei, Honor, vivo and Meizu app ID.
	App string `json:"app"`
	// Certificate holds the fields an operator enters in Herald for the demo app, with
	// Endpoint pointing at the simulator and the recommended chat defaults set. In the
	// file it has the JSON form of Herald's config and API; ReadCertificates restores its
	// ID, Vendor and Name from the fields above.
	Certificate *push.Certificate `json:"certificate"`
	// Sim is the running simulator's phones, faults and counters; nil when read from a
	// file.
	Sim *vendorsim.Sim `json:"-"`
}

// PhonesURL is where a phone is registered: POST {"app": App} answers {"token": …}.
func (v *Vendor) PhonesURL() string { return v.URL + vendorsim.AdminPrefix + "phones" }

// InboxURL is where the notifications token's phone received are listed.
func (v *Vendor) InboxURL(token string) string {
	return v.PhonesURL() + "/" + url.PathEscape(token) + "/inbox"
}

// Certificates is the content of CertificatesFile.
type Certificates struct {
	// APNsCAFile is the absolute path of the PEM CA that signs the APNs simulator's TLS
	// certificate.
	APNsCAFile string    `json:"apns_ca_file"`
	Vendors    []*Vendor `json:"vendors"` // in the order of push.Vendors
}

// ReadCertificates reads a CertificatesFile written by Servers.Open.
func ReadCertificates(path string) (*Certificates, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read certificates: %w", err)
	}
	var c Certificates
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	for _, v := range c.Vendors {
		if v.Certificate == nil {
			return nil, fmt.Errorf("decode %s: %s has no certificate", path, v.Vendor)
		}
		v.Certificate.ID, v.Certificate.Vendor, v.Certificate.Name = v.ID, v.Vendor, v.Name
	}
	return &c, nil
}

// Servers runs the eight simulators. Set its fields before Open; Close stops them.
type Servers struct {
	// Addr is the IP address the simulators listen on. Default: DefaultAddr.
	Addr string
	// Port is the first simulator's port; the simulator of push.Vendors[i] listens on
	// Port+i (fcm, apns, huawei, honor, xiaomi, oppo, vivo, meizu). Default: DefaultPort.
	// 0 gives every simulator a free port of its own.
	Port int
	// Dir is where Open writes CertificatesFile, the APNs CA and the key files; it is
	// created if missing. Default: DefaultDir.
	Dir string
	// Now stamps the certificates' CreatedAt and UpdatedAt. Default: time.Now.
	Now func() time.Time
	// Logger receives a line if a simulator stops serving on its own. Default:
	// slog.Default().
	Logger *slog.Logger

	dir     string // Dir made absolute by Open
	vendors []*Vendor
	files   map[push.Vendor]string // the file holding a vendor's key material
	caFile  string
	servers []*http.Server
	wg      sync.WaitGroup
}

// NewServers returns Servers with the defaults above.
func NewServers() *Servers {
	return &Servers{Addr: DefaultAddr, Port: DefaultPort, Dir: DefaultDir, Now: time.Now, Logger: slog.Default()}
}

// Open starts every simulator, creates its demo app and writes the files in Dir. An
// address already in use fails Open, which then stops what it started.
func (s *Servers) Open() (err error) {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("create dir: %w", err)
	}
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return fmt.Errorf("dir: %w", err)
	}
	s.dir = dir
	s.files = map[push.Vendor]string{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	now := s.Now()
	for i, v := range push.Vendors {
		port := 0
		if s.Port != 0 {
			port = s.Port + i
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(s.Addr, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("listen for %s: %w", v, err)
		}
		sv, h, tlsConf, err := s.newVendor(v, ln.Addr().(*net.TCPAddr), dir)
		if err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", v, err)
		}
		c := sv.Certificate
		c.ID, c.Vendor, c.Name = int64(i+1), v, "herald sim "+v.String()
		c.CreatedAt, c.UpdatedAt = now, now
		sv.ID, sv.Name = c.ID, c.Name
		s.vendors = append(s.vendors, sv)
		s.serve(v, ln, h, tlsConf)
	}
	b, err := json.MarshalIndent(Certificates{APNsCAFile: s.caFile, Vendors: s.vendors}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode certificates: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CertificatesFile), b, 0o600); err != nil {
		return fmt.Errorf("write certificates: %w", err)
	}
	return nil
}

func (s *Servers) serve(v push.Vendor, ln net.Listener, h http.Handler, tlsConf *tls.Config) {
	srv := &http.Server{Handler: h, TLSConfig: tlsConf, ReadHeaderTimeout: 10 * time.Second}
	if v == push.FCM {
		// The real FCM speaks HTTP/2; the plain-HTTP simulator serves it as h2c (prior
		// knowledge) beside HTTP/1.1, so HTTP/2 clients and Herald's sender both work.
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var err error
		if tlsConf != nil {
			err = srv.ServeTLS(ln, "", "") // the certificate is in tlsConf
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.logger().Error("simulator stopped", "vendor", v.String(), "err", err)
		}
	}()
}

func (s *Servers) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// newVendor builds the simulator of v reachable at addr with its demo app. It returns
// the TLS configuration to serve it with, or nil for plain HTTP.
func (s *Servers) newVendor(v push.Vendor, addr *net.TCPAddr, dir string) (*Vendor, http.Handler, *tls.Config, error) {
	host := addr.IP
	if host.IsUnspecified() {
		host = net.IPv4(127, 0, 0, 1) // the APNs server certificate names 127.0.0.1 and ::1
	}
	base := "http://" + net.JoinHostPort(host.String(), strconv.Itoa(addr.Port))
	// The recommended chat defaults (docs/vendors.md) go on every certificate, so that
	// the simulators check them too.
	switch v {
	case push.FCM:
		sim := simfcm.New()
		sim.BaseURL = base
		app, err := sim.CreateApp(DemoProject)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := s.writeFile(v, filepath.Join(dir, FCMServiceAccountFile), app.ServiceAccount); err != nil {
			return nil, nil, nil, err
		}
		c := &push.Certificate{PackageName: DemoPackage, ServiceAccount: app.ServiceAccount, Endpoint: push.Endpoint{SendURL: base}, ChannelID: "chat"}
		return &Vendor{Vendor: v, URL: base, App: app.ProjectID, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	case push.APNs:
		base = "https" + base[len("http"):]
		sim := simapns.New()
		team := simapns.NewID()
		app := sim.CreateApp(DemoPackage, team)
		key, err := sim.CreateKey(team)
		if err != nil {
			return nil, nil, nil, err
		}
		s.caFile = filepath.Join(dir, APNsCAFile)
		if err := os.WriteFile(s.caFile, sim.CACertPEM(), 0o644); err != nil {
			return nil, nil, nil, fmt.Errorf("write CA: %w", err)
		}
		if err := s.writeFile(v, filepath.Join(dir, APNsKeyFile), key.P8); err != nil {
			return nil, nil, nil, err
		}
		c := &push.Certificate{BundleID: app.BundleID, KeyP8: key.P8, KeyID: key.KeyID, TeamID: key.TeamID, Endpoint: push.Endpoint{SendURL: base}}
		return &Vendor{Vendor: v, URL: base, App: app.BundleID, Certificate: c, Sim: sim.Sim}, sim, sim.TLSConfig(), nil
	case push.Huawei:
		sim := simhuawei.New()
		creds := sim.CreateApp()
		c := creds.Certificate(base)
		c.PackageName, c.Category, c.Importance = DemoPackage, "IM", "NORMAL"
		return &Vendor{Vendor: v, URL: base, App: creds.AppID, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	case push.Honor:
		sim := simhonor.New()
		creds := sim.CreateApp()
		c := creds.Certificate(base)
		c.PackageName, c.Importance = DemoPackage, "NORMAL"
		return &Vendor{Vendor: v, URL: base, App: creds.AppID, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	case push.Xiaomi:
		sim := simxiaomi.New()
		app := sim.CreateApp(DemoPackage)
		c := app.Certificate(base)
		c.ChannelID = "chat"
		return &Vendor{Vendor: v, URL: base, App: app.PackageName, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	case push.OPPO:
		sim := simoppo.New()
		app := sim.CreateApp(DemoPackage)
		c := app.Certificate(base)
		c.ChannelID, c.Category, c.NotifyLevel = "chat", "IM", 2
		return &Vendor{Vendor: v, URL: base, App: app.PackageName, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	case push.Vivo:
		sim := simvivo.New()
		app := sim.CreateApp(DemoPackage)
		c := app.Certificate(base)
		c.Classification, c.Category = 1, "IM"
		return &Vendor{Vendor: v, URL: base, App: app.AppID, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	case push.Meizu:
		sim := simmeizu.New()
		app := sim.CreateApp(DemoPackage)
		c := app.Certificate(base)
		c.NoticeMsgType = 1
		return &Vendor{Vendor: v, URL: base, App: app.AppID, Certificate: c, Sim: sim.Sim}, sim, nil, nil
	}
	return nil, nil, nil, fmt.Errorf("%w %q", push.ErrUnknownVendor, v)
}

// writeFile writes v's key material to path, readable only by its owner.
func (s *Servers) writeFile(v push.Vendor, path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	s.files[v] = path
	return nil
}

// Vendors returns the running simulators in the order of push.Vendors. The slice is
// the Servers' own; do not change it.
func (s *Servers) Vendors() []*Vendor { return s.vendors }

// CAFile returns the path of the APNs simulator's CA in PEM.
func (s *Servers) CAFile() string { return s.caFile }

// CertificatesPath returns the path of the CertificatesFile Open wrote.
func (s *Servers) CertificatesPath() string { return filepath.Join(s.dir, CertificatesFile) }

// Close stops every simulator at once, dropping requests in flight, and waits for them.
// Vendors is empty afterwards.
func (s *Servers) Close() error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.wg.Wait()
	s.servers, s.vendors = nil, nil
	return errors.Join(errs...)
}
