package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A private test cluster outlives the test binary that started it (pg_ctl
// detaches the server), and a package's tests have no hook that runs when
// the binary ends, let alone when it is killed. So each private cluster has
// a watchdog: this same test binary, re-executed with watchdogEnv set, which
// holds the read end of a pipe whose write end only the test process has.
// When the test process ends, however it ends, the kernel closes that end;
// the watchdog reads EOF, stops the cluster and removes its temp dir.

// watchdogEnv, set only in a watchdog's environment, names the temp dir
// holding the cluster it guards.
const watchdogEnv = "CONVENE_TESTENV_WATCHDOG_DIR"

// watchdogStopTimeout bounds each shutdown mode of the guarded cluster.
const watchdogStopTimeout = 30 * time.Second

// watchdogStartupGrace is how long the watchdog waits before looking
// again for a server that was being started when the test process died.
const watchdogStartupGrace = time.Second

// init turns this process into a watchdog when it was started as one; it
// runs before the test binary's own tests would.
func init() {
	if dir := os.Getenv(watchdogEnv); dir != "" {
		runWatchdog(dir, os.NewFile(3, "test process"))
		os.Exit(0)
	}
}

// startWatchdog starts the watchdog of the cluster under dir and returns
// the pipe end the test process keeps open for as long as it lives (it
// must stay referenced: closing it, or its finalizer, stops the cluster).
func startWatchdog(dir string) (*os.File, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the test binary for the cluster watchdog: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("cluster watchdog pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), watchdogEnv+"="+dir)
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{r} // fd 3 in the watchdog
	// Its own process group, so a Ctrl-C meant for the tests does not
	// kill it before it has cleaned up. No stdout or stderr: holding the
	// test's output pipes open would make `go test` wait for it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start cluster watchdog: %w", err)
	}
	_ = cmd.Process.Release()
	return w, nil
}

// runWatchdog waits until the test process has gone, then stops the
// cluster under dir and removes dir.
func runWatchdog(dir string, testProcess *os.File) {
	_, _ = io.Copy(io.Discard, testProcess) // EOF: the test process is gone
	dataDir := filepath.Join(dir, "pg")
	stopCluster(dataDir)
	// A test process that died while pg_ctl was starting the server leaves
	// pg_ctl running (in its own process group); the server it launches
	// writes its PID file a moment later.
	time.Sleep(watchdogStartupGrace)
	stopCluster(dataDir)
	_ = os.RemoveAll(dir)
}

// stopCluster asks the postmaster of dataDir for a fast shutdown (open
// sessions roll back), then an immediate one if it lingers: the data is
// thrown away anyway. It signals the postmaster directly, as pg_ctl stop
// does, so it needs neither the server binaries nor, as root, to switch to
// the postgres user.
func stopCluster(dataDir string) {
	pid, err := postmasterPID(dataDir)
	if err != nil {
		return // never started, or already stopped
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT} {
		if err := syscall.Kill(pid, sig); errors.Is(err, syscall.ESRCH) {
			return
		}
		if waitStopped(dataDir, pid, watchdogStopTimeout) {
			return
		}
	}
}

// postmasterPID reads the server's PID from postmaster.pid, which the
// server removes when it shuts down.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// waitStopped reports whether the server stopped within timeout: its PID
// file is gone, or its process is.
func waitStopped(dataDir string, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
			return true
		}
		if !processRunning(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// processRunning reports whether pid is a live process (not gone, not a
// zombie waiting to be reaped, whose command line is empty).
func processRunning(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && syscall.Kill(pid, 0) == nil
	}
	return len(cmdline) > 0
}
