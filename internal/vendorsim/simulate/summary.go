package simulate

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
)

// WriteSummary writes what a person needs to use the running simulators: per vendor its
// URL, the certificate fields to enter in Herald (secrets in full: it is a simulator),
// and curl lines to register a phone and read its inbox.
func (s *Servers) WriteSummary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Herald vendor simulators: %d running.\n", len(s.vendors))
	fmt.Fprintf(tw, "Every certificate, secrets included: %s\n", s.CertificatesPath())
	fmt.Fprintf(tw, "APNs serves TLS with HTTP/2 under its own CA: %s\n", s.caFile)
	fmt.Fprintf(tw, "(herald serve trusts it with --push-ca-file %s --push-allow-private-endpoints; curl with --cacert)\n", s.caFile)
	for _, v := range s.vendors {
		fmt.Fprintf(tw, "\n%s\t%s\n", v.Vendor, v.URL)
		fmt.Fprintf(tw, "  certificate fields:\n")
		for _, f := range s.fields(v) {
			fmt.Fprintf(tw, "    %s\t%s\n", f[0], f[1])
		}
		curl := "curl -s"
		if strings.HasPrefix(v.URL, "https:") {
			curl += " --cacert " + shellQuote(s.caFile)
		}
		fmt.Fprintf(tw, "  register a phone:\t%s -X POST %s -d '{\"app\":\"%s\"}'\n", curl, v.PhonesURL(), v.App)
		// curl encodes the token: Huawei and most Xiaomi tokens contain '/'.
		fmt.Fprintf(tw, "  read its inbox:\t%s -G %s --data-urlencode 'token=TOKEN'\n", curl, v.URL+vendorsim.AdminPrefix+"inbox")
	}
	return tw.Flush()
}

// fields lists the certificate fields of v that are set, named as push.Certificate names
// them; key material is shown as the file that holds it.
func (s *Servers) fields(v *Vendor) [][2]string {
	c := v.Certificate
	var fs [][2]string
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, [2]string{name, value})
		}
	}
	add("PackageName", c.PackageName)
	add("BundleID", c.BundleID)
	add("AppID", c.AppID)
	add("AppKey", c.AppKey)
	add("AppSecret", c.AppSecret)
	add("MasterSecret", c.MasterSecret)
	add("ClientID", c.ClientID)
	add("ClientSecret", c.ClientSecret)
	if len(c.ServiceAccount) > 0 {
		add("ServiceAccount", "the content of "+s.files[v.Vendor])
	}
	if len(c.KeyP8) > 0 {
		add("KeyP8", "the content of "+s.files[v.Vendor])
	}
	add("KeyID", c.KeyID)
	add("TeamID", c.TeamID)
	add("Endpoint.SendURL", c.Endpoint.SendURL)
	add("Endpoint.AuthURL", c.Endpoint.AuthURL)
	add("ChannelID", c.ChannelID)
	add("Category", c.Category)
	add("Importance", c.Importance)
	if c.Vendor == push.Vivo {
		add("Classification", strconv.Itoa(c.Classification))
	}
	if c.NotifyLevel != 0 {
		add("NotifyLevel", strconv.Itoa(c.NotifyLevel))
	}
	if c.Vendor == push.Meizu {
		add("NoticeMsgType", strconv.Itoa(c.NoticeMsgType))
	}
	return fs
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	if strings.ContainsAny(p, " '\"$`\\!*?[]{}()<>|&;#~") {
		return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
	}
	return p
}
