package release

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/testenv"
)

// The Linux release binary (make build-static, the flags .goreleaser.yaml
// uses) has no dynamic dependencies and works in a root holding nothing
// but itself and /tmp: no libc, no /etc/passwd, no resolv.conf.
func TestStaticBinaryRunsInABareRoot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the static build is Linux's")
	}
	testenv.Require(t, os.Geteuid() == 0, "chroot needs root")
	for _, cmd := range []string{"make", "gcc", "file", "ldd"} {
		testenv.Command(t, "make deps", cmd)
	}
	bare := t.TempDir()
	bin := filepath.Join(bare, "keyward")
	run(t, "", exec.Command("make", "-C", root, "--no-print-directory", "-s", "build-static", "BIN="+bin))

	if out := run(t, "", exec.Command("file", "-L", bin)); !strings.Contains(out, "statically linked") {
		t.Errorf("file: %s", out)
	}
	ldd, _ := exec.Command("ldd", bin).CombinedOutput() // exits 1 on a static binary
	if !strings.Contains(string(ldd), "not a dynamic executable") && !strings.Contains(string(ldd), "statically linked") {
		t.Errorf("ldd: %s", ldd)
	}

	if err := os.Mkdir(filepath.Join(bare, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(bare, "tmp"), 0o1777)
	kw := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("chroot", append([]string{bare, "/keyward"}, args...)...)
		cmd.Env = []string{"HOME=/tmp", "XDG_CONFIG_HOME=/tmp/config", "XDG_DATA_HOME=/tmp/data", "PATH=/"}
		return run(t, stdin, cmd)
	}
	var v struct{ Version, Commit string }
	if err := json.Unmarshal([]byte(kw("", "version", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(run(t, "", exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD")))
	// On a tag, the tag; anywhere else, the commit's development version.
	dev := strings.HasPrefix(v.Version, "0.0.0-dev")
	if v.Commit != head || dev && !strings.HasPrefix(v.Version, "0.0.0-dev+"+head) {
		t.Errorf("version in the bare root: %+v, want the commit %s", v, head)
	}
	secret := strings.TrimSpace(kw("", "--db", "/tmp/keys.db", "keys", "create", "ci", "--resource", "/acme/prod", "--role", "editor", "-q"))
	var res struct{ Code string }
	if err := json.Unmarshal([]byte(kw(secret, "--db", "/tmp/keys.db", "keys", "verify", "--resource", "/acme/prod/robot-1", "-o", "json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Code != "VALID" {
		t.Errorf("verify in the bare root: %s", res.Code)
	}
	kw("", "--db", "/tmp/keys.db", "backup", "/tmp/backup.db")
	if fi, err := os.Stat(filepath.Join(bare, "tmp", "backup.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup in the bare root: %v %v", fi, err)
	}
}

// run runs cmd with stdin and returns its stdout, failing t on an error.
func run(t *testing.T, stdin string, cmd *exec.Cmd) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", strings.Join(cmd.Args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
