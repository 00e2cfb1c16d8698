// Package iostreams is where keyward's commands read and write: stdin,
// stdout and stderr together with the facts about them that change
// behaviour (is this a terminal, may we prompt, may we colour).
package iostreams

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// maxSecretInput bounds what ReadSecret accepts from a pipe: a secret is
// about 60 bytes; anything near this size is a mistake, not a secret.
const maxSecretInput = 64 << 10

// IOStreams are a command's standard streams. Tests build them with Test
// and decide what counts as a terminal with SetTTY.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	// width is the terminal's width, for tests; 0 asks the terminal.
	width int
	// stdoutFd is the terminal stdout writes to, whose size width reads.
	stdoutFd int

	// readPassword reads a line without echo; nil off a real terminal.
	readPassword func() ([]byte, error)
	// lineReader is kept so that successive prompts share buffered input.
	lineReader *bufio.Reader
}

// System returns the process's streams with their real terminal facts.
func System() *IOStreams { return FromFiles(os.Stdin, os.Stdout, os.Stderr) }

// FromFiles returns streams over in, out and errOut with their real
// terminal facts (System's, or a pseudo-terminal's in a test).
func FromFiles(in, out, errOut *os.File) *IOStreams {
	ios := &IOStreams{
		In:        in,
		Out:       out,
		ErrOut:    errOut,
		stdinTTY:  isTerminal(in),
		stdoutTTY: isTerminal(out),
		stderrTTY: isTerminal(errOut),
		stdoutFd:  int(out.Fd()),
	}
	if ios.stdinTTY {
		fd := int(in.Fd())
		ios.readPassword = func() ([]byte, error) { return readPassword(fd) }
	}
	return ios
}

// Test returns streams over buffers, none of them a terminal. Declared a
// terminal (SetTTY), stdout is 80 columns wide, whatever COLUMNS says, so
// that tests do not depend on the shell that runs them.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: defaultWidth, stdoutFd: -1}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// readPassword reads a line without echo. An interrupt while it waits
// restores the terminal (so the shell does not go on without echo) and
// ends the read with an error instead of leaving the prompt hanging.
func readPassword(fd int) ([]byte, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-sig:
		_ = term.Restore(fd, state)
		return nil, errors.New("interrupted")
	}
}

// SetTTY declares, for tests, whether stdin and stdout are terminals. A
// simulated terminal stdin reads secrets from In like a pipe does.
func (s *IOStreams) SetTTY(stdin, stdout bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stdout
}

// SetTerminalWidth declares, for tests, the width of the terminal stdout
// writes to.
func (s *IOStreams) SetTerminalWidth(columns int) { s.width = columns }

// defaultWidth is the width of a terminal that does not say how wide it
// is (a serial console), as gh and kubectl assume.
const defaultWidth = 80

// TerminalWidth is how many columns stdout's terminal shows, to which
// tables are cut; 0 when stdout is not a terminal (nothing is cut). A
// positive COLUMNS overrides what the terminal says, as in gh.
func (s *IOStreams) TerminalWidth() int {
	if !s.stdoutTTY {
		return 0
	}
	if s.width > 0 {
		return s.width
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if w, _, err := term.GetSize(s.stdoutFd); err == nil && w > 0 {
		return w
	}
	return defaultWidth
}

// SetStderrTTY declares, for tests, whether stderr is a terminal.
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }

func (s *IOStreams) IsStdinTTY() bool  { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether a question can be asked and answered: both
// stdin and stdout are terminals. Scripts and CI never get a prompt (and
// so never hang on one).
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// ColorEnabled reports whether stdout may carry colour: a terminal, and
// NO_COLOR (https://no-color.org) unset or empty.
func (s *IOStreams) ColorEnabled() bool {
	return s.stdoutTTY && os.Getenv("NO_COLOR") == ""
}

// ReadSecret reads a secret: with a hidden prompt on stderr when stdin is
// a terminal, else all of stdin. Trailing whitespace (the newline of echo
// or a file) is removed. The secret never passes through argv.
func (s *IOStreams) ReadSecret(prompt string) (string, error) {
	if s.stdinTTY && s.readPassword != nil {
		fmt.Fprint(s.ErrOut, prompt)
		b, err := s.readPassword()
		fmt.Fprintln(s.ErrOut)
		if err != nil {
			return "", fmt.Errorf("reading the secret from the terminal: %w", err)
		}
		return strings.TrimRight(string(b), " \t\r\n"), nil
	}
	b, err := io.ReadAll(io.LimitReader(s.In, maxSecretInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the secret from stdin: %w", err)
	}
	if len(b) > maxSecretInput {
		return "", fmt.Errorf("stdin holds more than %d bytes: that is not a secret", maxSecretInput)
	}
	return strings.TrimRight(string(b), " \t\r\n"), nil
}

// Confirm asks a yes/no question on stderr and reads one line from stdin;
// only "y" or "yes" (any case) is yes. Callers ask only when CanPrompt.
func (s *IOStreams) Confirm(question string) (bool, error) {
	fmt.Fprintf(s.ErrOut, "%s [y/N] ", question)
	if s.lineReader == nil {
		s.lineReader = bufio.NewReader(s.In)
	}
	line, err := s.lineReader.ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	if err == io.EOF && line == "" {
		fmt.Fprintln(s.ErrOut)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
