package testenv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// helperEnv makes TestHelperPrivateCluster act instead of skipping.
const helperEnv = "CONVENE_TESTENV_HELPER_CLUSTER"

// clusterDirPrefix starts the line on which the helper reports its cluster.
const clusterDirPrefix = "cluster dir: "

func TestPrivateCluster_StoppedAndRemovedWhenTheTestProcessIsKilled(t *testing.T) {
	t.Parallel()
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperPrivateCluster$", "-test.v")
	helper.Env = append(os.Environ(), helperEnv+"=1")
	stdin, err := helper.StdinPipe() // the helper exits if we die first
	require.NoError(t, err)
	defer stdin.Close()
	stdout, err := helper.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, helper.Start())

	dir := readClusterDir(t, stdout)
	pid, err := postmasterPID(filepath.Join(dir, "pg"))
	require.NoError(t, err, "the helper's cluster is running")
	require.True(t, processRunning(pid))

	require.NoError(t, helper.Process.Kill()) // no cleanup code of its own runs
	_ = helper.Wait()

	Eventually(t, 2*watchdogStopTimeout, func() bool {
		_, err := os.Stat(dir)
		return os.IsNotExist(err)
	}, "cluster dir %s still there after the test process was killed", dir)
	require.False(t, processRunning(pid), "postmaster %d still running", pid)
}

// TestHelperPrivateCluster is not a test: the test above runs it in a
// child process, which starts a private cluster, reports its dir and
// waits to be killed.
func TestHelperPrivateCluster(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process of TestPrivateCluster_StoppedAndRemovedWhenTheTestProcessIsKilled")
	}
	c, err := startPrivateCluster()
	require.NoError(t, err)
	fmt.Println(clusterDirPrefix + c.dir)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent kills us, or goes
}

func readClusterDir(t *testing.T, stdout io.Reader) string {
	t.Helper()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if dir, ok := strings.CutPrefix(lines.Text(), clusterDirPrefix); ok {
			return dir
		}
	}
	t.Fatalf("the helper reported no cluster dir (scan error: %v)", lines.Err())
	return ""
}
