package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cunjie/cunjie"
)

// Config is everything the program reads from flags and the environment.
// Each flag has an environment variable; a flag given wins over it.
type Config struct {
	Addr            string
	DataDir         string
	MongoURI        string
	DB              string
	AdminPassword   string
	LogFormat       string
	LogLevel        string
	Demo            bool
	IndexVillages   int
	SnapshotEvery   time.Duration
	TileURL         string
	TileGCJ02       bool
	TileAttribution string
	TileSubdomains  string
	MetricsAddr     string
	TLSCert         string
	TLSKey          string
	TrustedProxies  []string
}

// configVar describes one setting: flag name, environment name, default.
type configVar struct {
	flag, env, def, usage string
	secret                bool
}

var configVars = []configVar{
	{"addr", "CUNJIE_ADDR", ":8080", "address to listen on", false},
	{"data-dir", "CUNJIE_DATA_DIR", "./data", "directory of the embedded store (used when MONGODB_URI is empty)", false},
	{"mongodb-uri", "MONGODB_URI", "", "MongoDB URI; empty runs the embedded store", true},
	{"db", "CUNJIE_DB", "cunjie", "database name", false},
	{"admin-password", "CUNJIE_ADMIN_PASSWORD", "", "password of the first admin; empty generates one", true},
	{"log-format", "CUNJIE_LOG_FORMAT", "text", "log format: text or json", false},
	{"log-level", "CUNJIE_LOG_LEVEL", "info", "log level: debug, info, warn, error", false},
	{"demo", "CUNJIE_DEMO", "false", "load the demo town into an empty store at start", false},
	{"tls-cert", "CUNJIE_TLS_CERT", "", "certificate file (PEM) to serve HTTPS directly", false},
	{"tls-key", "CUNJIE_TLS_KEY", "", "private key file (PEM) for --tls-cert", false},
	{"trusted-proxies", "CUNJIE_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed", false},
	{"metrics-addr", "CUNJIE_METRICS_ADDR", "", "serve /metrics and /debug/pprof/ without a token on this (private) address; else only admins read /metrics", false},
	{"index-villages", "CUNJIE_INDEX_VILLAGES", "64", "villages whose features are kept in memory (LRU)", false},
	{"snapshot-every", "CUNJIE_SNAPSHOT_EVERY", "10s", "how often the changed village with the oldest snapshot has its features saved as one, for quick starts", false},
	{"tile-url", "CUNJIE_TILE_URL", "", "map tile URL template with {s} {x} {y} {z}; empty shows no tiles", false},
	{"tile-gcj02", "CUNJIE_TILE_GCJ02", "", "true when the tiles are in GCJ-02 (AMap/Gaode)", false},
	{"tile-attribution", "CUNJIE_TILE_ATTRIBUTION", "", "attribution shown on the map", false},
	{"tile-subdomains", "CUNJIE_TILE_SUBDOMAINS", "", "values of {s}, e.g. 01234567 for Tianditu", false},
}

// parseConfig reads flags from args over the environment, then validates.
func parseConfig(name string, args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	vals := map[string]*string{}
	bools := map[string]*bool{}
	for _, v := range configVars {
		def := v.def
		if e := getenv(v.env); e != "" {
			def = e
		}
		// MONGODB_URI and the password may also come from a file, so that
		// secrets need not sit in the environment.
		if f := getenv(v.env + "_FILE"); f != "" && v.secret {
			b, err := os.ReadFile(f)
			if err != nil {
				return Config{}, fmt.Errorf("%s_FILE: %w", v.env, err)
			}
			def = strings.TrimSpace(string(b))
		}
		if v.def == "false" {
			b := fs.Bool(v.flag, false, v.usage+" ($"+v.env+")")
			bools[v.flag] = b
			vals[v.flag] = &def
			continue
		}
		vals[v.flag] = fs.String(v.flag, def, v.usage+" ($"+v.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	demo, err := strconv.ParseBool(*vals["demo"])
	if err != nil {
		return Config{}, fmt.Errorf("--demo / CUNJIE_DEMO: %q is not true or false", *vals["demo"])
	}
	demo = demo || *bools["demo"]
	gcj := false
	if v := *vals["tile-gcj02"]; v != "" {
		if gcj, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("--tile-gcj02 / CUNJIE_TILE_GCJ02: %q is not true or false", v)
		}
	}
	idx, err := strconv.Atoi(*vals["index-villages"])
	if err != nil || idx < 1 || idx > 100000 {
		return Config{}, fmt.Errorf("--index-villages / CUNJIE_INDEX_VILLAGES: %q is not a number from 1 to 100000", *vals["index-villages"])
	}
	snap, err := time.ParseDuration(*vals["snapshot-every"])
	if err != nil || snap < 100*time.Millisecond || snap > time.Hour {
		return Config{}, fmt.Errorf("--snapshot-every / CUNJIE_SNAPSHOT_EVERY: %q is not a duration from 100ms to 1h (e.g. 10s)", *vals["snapshot-every"])
	}
	c := Config{
		Addr: *vals["addr"], DataDir: *vals["data-dir"], MongoURI: *vals["mongodb-uri"], DB: *vals["db"],
		AdminPassword: *vals["admin-password"], LogFormat: *vals["log-format"], LogLevel: *vals["log-level"], Demo: demo,
		IndexVillages: idx, SnapshotEvery: snap, TileURL: *vals["tile-url"], TileGCJ02: gcj, TileAttribution: *vals["tile-attribution"],
		TileSubdomains: *vals["tile-subdomains"], MetricsAddr: *vals["metrics-addr"],
		TLSCert: *vals["tls-cert"], TLSKey: *vals["tls-key"],
	}
	for _, p := range strings.Split(*vals["trusted-proxies"], ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	return c, c.validate()
}

var dbNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)

func (c Config) validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr / CUNJIE_ADDR: %q is not host:port (e.g. :8080)", c.Addr))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("--addr / CUNJIE_ADDR: port %q is not 0–65535", port))
	}
	if c.MongoURI == "" && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir / CUNJIE_DATA_DIR: needed when MONGODB_URI is empty"))
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		errs = append(errs, errors.New("MONGODB_URI: must start with mongodb:// or mongodb+srv://"))
	}
	if !dbNameRe.MatchString(c.DB) {
		errs = append(errs, fmt.Errorf("--db / CUNJIE_DB: %q must be 1–63 letters, digits, '_' or '-'", c.DB))
	}
	if c.AdminPassword != "" && (len(c.AdminPassword) < cunjie.MinPasswordLen || len(c.AdminPassword) > cunjie.MaxPasswordBytes) {
		errs = append(errs, fmt.Errorf("CUNJIE_ADMIN_PASSWORD: %d to %d bytes (a Chinese character takes 3)", cunjie.MinPasswordLen, cunjie.MaxPasswordBytes))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format / CUNJIE_LOG_FORMAT: %q is not text or json", c.LogFormat))
	}
	if c.TileURL != "" && (!strings.HasPrefix(c.TileURL, "https://") && !strings.HasPrefix(c.TileURL, "http://") ||
		!strings.Contains(c.TileURL, "{x}") || !strings.Contains(c.TileURL, "{y}") || !strings.Contains(c.TileURL, "{z}")) {
		errs = append(errs, fmt.Errorf("--tile-url / CUNJIE_TILE_URL: %q must be an http(s) URL with {x}, {y} and {z}", c.TileURL))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key: give both or neither"))
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("--trusted-proxies / CUNJIE_TRUSTED_PROXIES: %q is not an address or CIDR", p))
			}
		}
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		errs = append(errs, fmt.Errorf("--log-level / CUNJIE_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// String masks secrets so the config can be logged whole.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	uri := c.MongoURI
	if i := strings.Index(uri, "@"); i > 0 {
		uri = uri[:strings.Index(uri, "://")+3] + "***" + uri[i:]
	}
	return fmt.Sprintf("addr=%s data-dir=%s mongodb-uri=%s db=%s admin-password=%s log-format=%s demo=%v",
		c.Addr, c.DataDir, uri, c.DB, mask(c.AdminPassword), c.LogFormat, c.Demo)
}
