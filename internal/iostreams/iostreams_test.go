package iostreams

import "testing"

func TestReadSecretTrimsTrailingWhitespace(t *testing.T) {
	ios, in, _, _ := Test()
	in.WriteString("sk_abc \n\r\n")
	got, err := ios.ReadSecret("Secret: ")
	if err != nil || got != "sk_abc" {
		t.Fatalf("ReadSecret = %q, %v", got, err)
	}
}

func TestReadSecretRefusesHugeInput(t *testing.T) {
	ios, in, _, _ := Test()
	in.Write(make([]byte, maxSecretInput+10))
	if _, err := ios.ReadSecret(""); err == nil {
		t.Fatal("want an error for oversized stdin")
	}
}

func TestPromptAndColorFollowTTY(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	ios, _, _, _ := Test()
	if ios.CanPrompt() || ios.ColorEnabled() {
		t.Fatal("test streams are not terminals")
	}
	ios.SetTTY(true, true)
	if !ios.CanPrompt() || !ios.ColorEnabled() {
		t.Fatal("SetTTY(true, true) should allow prompts and colour")
	}
	t.Setenv("NO_COLOR", "1")
	if ios.ColorEnabled() {
		t.Fatal("NO_COLOR disables colour")
	}
	ios.SetTTY(false, true)
	if ios.CanPrompt() {
		t.Fatal("no prompt without a terminal stdin")
	}
}

func TestConfirm(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, "n\n": false, "\n": false, "": false} {
		ios, in, _, errOut := Test()
		in.WriteString(answer)
		got, err := ios.Confirm("Delete key x?")
		if err != nil || got != want {
			t.Errorf("Confirm(%q) = %v, %v; want %v", answer, got, err, want)
		}
		if errOut.String()[:len("Delete key x? [y/N] ")] != "Delete key x? [y/N] " {
			t.Errorf("prompt = %q", errOut.String())
		}
	}
}

// Off a terminal nothing is cut (width 0); on one, COLUMNS wins over what
// the terminal says, and a terminal that says nothing is 80 wide.
func TestTerminalWidth(t *testing.T) {
	t.Setenv("COLUMNS", "")
	ios, _, _, _ := Test()
	ios.SetTerminalWidth(120)
	if w := ios.TerminalWidth(); w != 0 {
		t.Fatalf("off a terminal: %d", w)
	}
	ios.SetTTY(false, true)
	if w := ios.TerminalWidth(); w != 120 {
		t.Fatalf("declared 120: %d", w)
	}
	ios.SetTerminalWidth(0) // ask the terminal: there is none (fd -1)
	if w := ios.TerminalWidth(); w != defaultWidth {
		t.Fatalf("unknown size: %d", w)
	}
	for env, want := range map[string]int{"95": 95, "0": defaultWidth, "wide": defaultWidth, "-3": defaultWidth} {
		t.Setenv("COLUMNS", env)
		if w := ios.TerminalWidth(); w != want {
			t.Errorf("COLUMNS=%q: %d, want %d", env, w, want)
		}
	}
}
