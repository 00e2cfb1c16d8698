package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/keyward/keyward/internal/iostreams"
	"github.com/keyward/keyward/internal/testenv"
)

// openPTY opens a pseudo-terminal cols columns wide: its controlling side
// (read what the program shows) and the terminal a program writes to.
// Plain syscalls, so no pty module joins the build.
func openPTY(t *testing.T, cols uint16) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		// Under CI a missing /dev/ptmx fails: the terminal-width tests
		// would otherwise pass by not running.
		testenv.Require(t, false, fmt.Sprintf("no pseudo-terminals here: %v", err))
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), req, uintptr(arg)); e != 0 {
			t.Fatalf("ioctl %#x: %v", req, e)
		}
	}
	var unlock int32
	ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	var n uint32
	ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n))
	ws := struct{ rows, cols, x, y uint16 }{24, cols, 0, 0}
	ioctl(syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// On a real terminal (a pseudo-terminal 90 columns wide, COLUMNS unset),
// keys list learns the width from the terminal and fits it; piped, the
// same command cuts nothing.
func TestKeysListOnPseudoTerminal(t *testing.T) {
	t.Setenv("COLUMNS", "")
	t.Setenv("NO_COLOR", "1")
	c := newCLITest(t)
	c.create("ci-deploy --resource /acme/prod --role editor")
	c.create("web-backend --resource /acme/web --role viewer")
	master, tty := openPTY(t, 90)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()

	ios := iostreams.FromFiles(devnull, tty, tty)
	if !ios.IsStdoutTTY() || ios.TerminalWidth() != 90 {
		t.Fatalf("pty: tty %v, width %d", ios.IsStdoutTTY(), ios.TerminalWidth())
	}
	shown := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once the terminal is closed
		shown <- b
	}()
	code := Run(context.Background(), ios, []string{"--db", c.db, "keys", "list"})
	tty.Close()
	out := strings.ReplaceAll(string(<-shown), "\r\n", "\n")
	if code != 0 {
		t.Fatalf("exit %d: %q", code, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(out, "…") || !strings.Contains(out, "never used") || !strings.Contains(out, "web-backend ") {
		t.Fatalf("on a 90-column terminal:\n%s", out)
	}
	for _, line := range lines {
		if n := len([]rune(line)); n > 90 {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	if piped := c.ok("keys list"); bytes.ContainsRune([]byte(piped), '…') {
		t.Errorf("piped:\n%s", piped)
	}
}
