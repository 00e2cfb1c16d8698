package server_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keys"
	"github.com/keyward/keyward/internal/server"
	"github.com/keyward/keyward/internal/testenv"
)

// The API document is for tools as much as for people: these tests run the
// tools people point at it (a Go client generator, two linters), pinned
// and installed outside the repository by scripts/install-api-tools.sh.

// toolsDir is where scripts/install-api-tools.sh installs.
func toolsDir(t *testing.T) string {
	if d := os.Getenv("KEYWARD_TOOLS"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	testenv.Require(t, err == nil, "no cache folder for the API tools: set KEYWARD_TOOLS")
	return filepath.Join(cache, "keyward-tools")
}

// apiTool is the path of an installed tool, or skips t (fails it under
// CI=true) without it.
func apiTool(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(toolsDir(t), rel)
	_, err := os.Stat(p)
	testenv.Require(t, err == nil, p+" is not installed: scripts/install-api-tools.sh (make api-tools) installs it")
	return p
}

// runTool runs a tool in dir and returns its output; ctx guards against a
// hang, it times nothing.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// generatedClientMain fetches the key named by its argument with the
// generated client, as a program using it would, and prints what it got.
const generatedClientMain = `package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
)

func main() {
	bearer := func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+os.Getenv("KEYWARD_TOKEN"))
		return nil
	}
	c, err := NewClientWithResponses(os.Getenv("KEYWARD_SERVER"), WithRequestEditorFn(bearer))
	if err != nil {
		panic(err)
	}
	r, err := c.GetKeyWithResponse(context.Background(), os.Args[1])
	if err != nil {
		panic(err)
	}
	if r.JSON200 == nil {
		fmt.Println(r.StatusCode(), string(r.Body))
		return
	}
	fmt.Println(r.StatusCode(), r.JSON200.Org, r.JSON200.Name)
}
`

// TestOpenAPIGeneratesAGoClient generates a Go client from the document
// with oapi-codegen, builds it in a module of its own (without the
// network: scripts/install-api-tools.sh fetched its modules), and has it
// fetch a key named org/name, as its example writes it, from a server.
func TestOpenAPIGeneratesAGoClient(t *testing.T) {
	gen := apiTool(t, "bin/oapi-codegen")
	module := apiTool(t, "client")
	goCmd := testenv.Command(t, "install Go", "go")
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(module, f))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, f), string(b))
	}
	writeTestFile(t, filepath.Join(dir, "openapi.json"), string(server.OpenAPI()))
	writeTestFile(t, filepath.Join(dir, "oapi-codegen.yaml"), "package: main\noutput: client.gen.go\ngenerate:\n  models: true\n  client: true\n")
	writeTestFile(t, filepath.Join(dir, "main.go"), generatedClientMain)
	if out, err := runTool(t, dir, nil, gen, "-config", "oapi-codegen.yaml", "openapi.json"); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, out)
	}
	offline := []string{"GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off", "GOTOOLCHAIN=local"}
	if out, err := runTool(t, dir, offline, goCmd, "build", "-o", "client", "."); err != nil {
		t.Fatalf("building the generated client: %v\n%s", err, out)
	}

	// The parameter's example, acme/ci-deploy, is what a caller passes:
	// the generated client escapes it (acme%2Fci-deploy) itself.
	e := newEnv(t, server.Options{})
	e.local("ci-deploy", "/acme/prod", keys.Editor)
	e.local("ci-deploy", "/globex", keys.Editor)
	env := []string{"KEYWARD_SERVER=" + e.srv.URL, "KEYWARD_TOKEN=" + e.root}
	out, err := runTool(t, dir, env, filepath.Join(dir, "client"), "acme/ci-deploy")
	if err != nil || strings.TrimSpace(out) != "200 /acme ci-deploy" {
		t.Fatalf("the generated client fetching acme/ci-deploy: %v: %s", err, out)
	}
}

// TestOpenAPILints lints the document with Redocly's recommended rules and
// Spectral's OpenAPI rules: no warning, no hint.
func TestOpenAPILints(t *testing.T) {
	testenv.Command(t, "install Node.js (Debian: nodejs, npm)", "node")
	redocly := apiTool(t, "npm/node_modules/.bin/redocly")
	spectral := apiTool(t, "npm/node_modules/.bin/spectral")
	cfg, err := filepath.Abs("../../scripts/api-tools")
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(t.TempDir(), "openapi.json")
	writeTestFile(t, doc, string(server.OpenAPI()))
	dir := filepath.Dir(doc)

	t.Run("redocly", func(t *testing.T) {
		quiet := []string{"REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1"}
		out, err := runTool(t, dir, quiet, redocly, "lint", "--config", filepath.Join(cfg, "redocly.yaml"), "--format", "json", doc)
		if err != nil {
			t.Fatalf("redocly lint: %v\n%s", err, out)
		}
		var res struct {
			Totals struct{ Errors, Warnings int } `json:"totals"`
		}
		// The JSON report is the output's one object; notices may surround it.
		start, end := strings.Index(out, "{"), strings.LastIndex(out, "}")
		if start < 0 || end < start || json.Unmarshal([]byte(out[start:end+1]), &res) != nil {
			t.Fatalf("redocly lint printed no JSON report:\n%s", out)
		}
		if res.Totals.Errors+res.Totals.Warnings != 0 {
			t.Errorf("redocly lint: %d errors, %d warnings:\n%s", res.Totals.Errors, res.Totals.Warnings, out)
		}
	})
	t.Run("spectral", func(t *testing.T) {
		out, err := runTool(t, dir, []string{"NO_COLOR=1"}, spectral, "lint", "--ruleset", filepath.Join(cfg, ".spectral.yaml"), "--fail-severity", "hint", doc)
		if err != nil {
			t.Errorf("spectral lint (spectral:oas): %v\n%s", err, out)
		}
	})
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPIForTools holds, without the tools, what they tripped on: a
// name used by two kinds of component (oapi-codegen: "duplicate typename"),
// an operation without a default (error) response, and a path parameter's
// example escaped already (generated clients and mock servers escape it
// again).
func TestOpenAPIForTools(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, kind := range []string{"schemas", "parameters", "responses", "requestBodies"} {
		for name := range doc.Components[kind] {
			if other, ok := seen[name]; ok {
				t.Errorf("components %s and %s both name %q: generated types clash", other, kind, name)
			}
			seen[name] = kind
		}
	}
	for name, raw := range doc.Components["parameters"] {
		var p struct{ In, Example string }
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if p.In == "path" && strings.Contains(p.Example, "%") {
			t.Errorf("parameter %s: example %q is escaped already; clients escape it themselves", name, p.Example)
		}
	}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			switch method {
			case "parameters", "summary", "description", "servers":
				continue
			}
			var op struct{ Responses map[string]json.RawMessage }
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			if _, ok := op.Responses["default"]; !ok {
				t.Errorf("%s %s has no default response", strings.ToUpper(method), path)
			}
		}
	}
	if _, ok := doc.Paths["/v1/auth"]["head"]; !ok {
		t.Error("HEAD /v1/auth, which gateways use, is not documented")
	}
}
