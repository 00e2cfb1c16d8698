package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/config"
)

// profile list, use, show and delete work on the config file as kubectl's
// contexts do: use switches without a new login, list marks the current
// one (--profile and KEYWARD_PROFILE included), delete removes it.
func TestProfileCommands(t *testing.T) {
	c := newCLITest(t)
	if err := config.Update(config.Path(), func(f *config.File) error {
		f.SetProfile("dev", config.Profile{DB: filepath.Join(t.TempDir(), "dev.db")})
		f.SetProfile("prod", config.Profile{Server: "https://keys.example.com"})
		f.CurrentProfile = "prod"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type info struct {
		Name       string  `json:"name"`
		Server     *string `json:"server"`
		DB         *string `json:"db"`
		Current    bool    `json:"current"`
		Credential *string `json:"credential"`
	}
	list := func(extra string) []info {
		t.Helper()
		var got []info
		if err := json.Unmarshal([]byte(c.ok("profile list -o json"+extra)), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := list("")
	if len(got) != 2 || got[0].Name != "dev" || got[0].DB == nil || got[0].Server != nil || got[0].Current ||
		got[1].Name != "prod" || got[1].Server == nil || !got[1].Current {
		t.Fatalf("profile list: %+v", got)
	}
	if got := list(" --profile dev"); !got[0].Current || got[1].Current {
		t.Errorf("--profile dev is not the current one: %+v", got)
	}
	if r := c.run("profile use nope"); r.code != ExitNotFound || !strings.Contains(r.err, "dev, prod") {
		t.Errorf("use of a missing profile: exit %d, stderr %q", r.code, r.err)
	}
	c.ok("profiles use dev") // the alias
	if got := list(""); !got[0].Current {
		t.Errorf("use dev did not make it current: %+v", got)
	}
	var shown info
	if err := json.Unmarshal([]byte(c.ok("profile show -o json")), &shown); err != nil || shown.Name != "dev" || shown.Credential != nil {
		t.Errorf("profile show of a database profile: %+v %v", shown, err)
	}
	if out := c.ok("profile show --profile prod -o json"); !strings.Contains(out, `"credential": "none: run keyward login --profile prod"`) {
		t.Errorf("profile show of a server profile without a credential: %s", out)
	}
	t.Setenv(config.TokenEnv, "sk_x")
	if out := c.ok("profile show --profile prod -o json"); !strings.Contains(out, `"credential": "`+config.SourceEnv+`"`) || strings.Contains(out, "sk_x") {
		t.Errorf("profile show names where the credential comes from, never the credential: %s", out)
	}
	os.Unsetenv(config.TokenEnv)
	c.ok("profile delete dev")
	if got := list(""); len(got) != 1 || got[0].Name != "prod" || got[0].Current {
		t.Errorf("after deleting the current profile: %+v", got)
	}
	if r := c.run("profile show"); r.code != ExitNotFound {
		t.Errorf("show with no current profile: exit %d, stderr %q", r.code, r.err)
	}
	if r := c.run("profile delete dev"); r.code != ExitNotFound {
		t.Errorf("delete of a missing profile: exit %d", r.code)
	}
}

// A `profile use` that fails changes nothing on disk: without a config
// file it leaves no config folder and no lock file behind.
func TestProfileUseOfAMissingProfileCreatesNothing(t *testing.T) {
	c := newCLITest(t)
	if r := c.run("profile use nope"); r.code != ExitNotFound {
		t.Fatalf("use of a missing profile: exit %d, stderr %q", r.code, r.err)
	}
	dir := filepath.Dir(config.Path())
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("a failed profile use made %s (%v): %v", dir, err, entries)
	}
}
