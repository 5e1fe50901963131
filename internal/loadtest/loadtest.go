// Package loadtest measures a Herald node under load over its real WebSocket protocol:
// how many idle logged-in connections it holds and what each costs (RunIdle), and how
// many one-to-one messages per second it carries end to end, with their latency
// (RunC2C). `herald bench` is its command line; it can start the node in-process.
package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/herald-im/herald/internal/auth"
)

// Target is the node under test.
type Target struct {
	// URL is the WebSocket endpoint, e.g. "ws://127.0.0.1:8080/v1/ws".
	URL string
	// SDKAppID and Key sign the UserSigs of the generated users.
	SDKAppID int64
	Key      string
	// Prefix starts every generated user ID, so that runs against one node do not share
	// users. Default: "b" and the current time in base 36.
	Prefix string
}

func (t *Target) parse() (*url.URL, error) {
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("url %q: use a ws:// URL", t.URL)
	}
	return u, nil
}

func (t *Target) prefix() string {
	if t.Prefix == "" {
		t.Prefix = "b" + strconv.FormatInt(time.Now().UnixNano()/1e6, 36)
	}
	return t.Prefix
}

func (t *Target) userSig(user string) (string, error) {
	return auth.GenUserSig(t.SDKAppID, t.Key, user, 24*time.Hour, time.Now())
}

// Memory is a snapshot of a process's memory.
type Memory struct {
	// HeapAlloc and StackInuse are from runtime.MemStats after a GC; zero when the
	// process is another one.
	HeapAlloc  uint64
	StackInuse uint64
	Goroutines int
	// RSS is VmRSS from /proc/<pid>/status, in bytes; zero when unreadable.
	RSS uint64
}

// ReadMemory returns this process's memory after a full GC.
func ReadMemory() Memory {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := ReadRSS(os.Getpid())
	return Memory{HeapAlloc: ms.HeapAlloc, StackInuse: ms.StackInuse, Goroutines: runtime.NumGoroutine(), RSS: rss}
}

// ReadRSS returns the resident set size of process pid from /proc/<pid>/status.
func ReadRSS(pid int) (uint64, error) { return readStatus(pid, "VmRSS") }

// ReadPeakRSS returns the peak resident set size of process pid since it started
// (VmHWM from /proc/<pid>/status): read from the node's own process, it is the node's
// peak, not the load generator's.
func ReadPeakRSS(pid int) (uint64, error) { return readStatus(pid, "VmHWM") }

// readStatus returns field (a size in kB) of /proc/<pid>/status, in bytes.
func readStatus(pid int, field string) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", field, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s %q: %w", field, v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("read %s: none in /proc/%d/status", field, pid)
}

// ReadCPU returns the user and system CPU time process pid has used, from fields 14
// and 15 of /proc/<pid>/stat (in clock ticks of 10 ms: USER_HZ is 100 on Linux).
func ReadCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read cpu: %w", err)
	}
	// The command name, field 2, is in parentheses and may hold spaces: count from
	// after its closing one, where field 3 starts.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("read cpu: no command name in /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("read cpu: %d fields in /proc/%d/stat", len(fields)+2, pid)
	}
	var ticks uint64
	for _, f := range fields[11:13] { // utime, stime
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read cpu: parse %q: %w", f, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

// MachineCPU is the machine's CPU time from the first line of /proc/stat, in clock
// ticks summed over every CPU: Busy is user, nice, system, irq and softirq; Steal is
// what the hypervisor gave to others while this machine wanted it.
type MachineCPU struct {
	Busy, Idle, Steal uint64
}

// ReadMachineCPU reads the machine's CPU time so far (zero when unreadable).
func ReadMachineCPU() MachineCPU {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return MachineCPU{}
	}
	v := make([]uint64, 8)
	for i := range v {
		v[i], _ = strconv.ParseUint(f[i+1], 10, 64)
	}
	// user nice system idle iowait irq softirq steal
	return MachineCPU{Busy: v[0] + v[1] + v[2] + v[5] + v[6], Idle: v[3] + v[4], Steal: v[7]}
}

// Shares returns the busy and stolen fractions of the time from m to later.
func (m MachineCPU) Shares(later MachineCPU) (busy, steal float64) {
	b, i, s := later.Busy-m.Busy, later.Idle-m.Idle, later.Steal-m.Steal
	total := float64(b + i + s)
	if total == 0 {
		return 0, 0
	}
	return float64(b) / total, float64(s) / total
}

// userHZ is the unit of /proc/<pid>/stat's times on Linux.
const userHZ = 100

// SelfCPU returns the user and system CPU time this process has used, in
// microseconds' precision (getrusage).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perConn returns (after-before)/n, or 0 when memory shrank or n is 0.
func perConn(before, after uint64, n int) uint64 {
	if n == 0 || after < before {
		return 0
	}
	return (after - before) / uint64(n)
}

// RaiseFileLimit raises this process's open-file limit to want, or as close as it can:
// a privileged process may raise the hard limit up to fs.nr_open. It returns the soft
// limit in force afterwards.
func RaiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("get rlimit: %w", err)
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want, nil
		}
		// Not privileged: settle for the hard limit.
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("set rlimit: %w", err)
	}
	return lim.Cur, nil
}

// Machine describes where a benchmark ran.
type Machine struct {
	Cores      int
	GOMAXPROCS int
	CPU        string
	MemTotal   string
	GoVersion  string
	OS         string
}

// ReadMachine describes this machine.
func ReadMachine() Machine {
	m := Machine{
		Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
	}
	return m
}

func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores (GOMAXPROCS %d), %s RAM, %s, %s", m.CPU, m.Cores, m.GOMAXPROCS, m.MemTotal, m.GoVersion, m.OS)
}

// percentile returns the p-th percentile (0-100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func sortDurations(d []time.Duration) []time.Duration {
	slices.Sort(d)
	return d
}

// MiB formats bytes as mebibytes.
func MiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// KiB formats bytes as kibibytes.
func KiB(b uint64) string { return fmt.Sprintf("%.1f KiB", float64(b)/1024) }
