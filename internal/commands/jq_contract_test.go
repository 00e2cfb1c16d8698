package commands

import "testing"

// --jq works "on every command that prints JSON", and -o jsonl prints
// JSON: one value a line, which the filter takes one at a time as jq
// takes a stream, so `-o jsonl --jq .name` is a name a line.
func TestJQOverJSONLFiltersEachLine(t *testing.T) {
	c := newCLITest(t)
	c.create("b --resource /acme")
	c.create("a --resource /acme/x --role editor")
	if out := c.ok("keys list -o jsonl --jq .name"); out != "a\nb\n" {
		t.Errorf("list -o jsonl --jq .name = %q", out)
	}
	if out := c.ok("keys list --limit 0 -o jsonl --jq .grants[0]"); out != `{"resource":"/acme/x","role":"editor"}`+"\n"+`{"resource":"/acme","role":"viewer"}`+"\n" {
		t.Errorf("list --limit 0 -o jsonl --jq .grants[0] = %q", out)
	}
	if out := c.ok("keys get a -o jsonl --jq .name"); out != "a\n" {
		t.Errorf("get -o jsonl --jq .name = %q", out)
	}
}

// KEYWARD_OUTPUT=jsonl is -o jsonl from the environment: --jq keeps it
// (and filters each line), as it keeps the flag; a table from the
// environment still gives way to JSON.
func TestJQKeepsJSONLFromTheEnvironment(t *testing.T) {
	c := newCLITest(t)
	c.create("b --resource /acme")
	c.create("a --resource /acme/x")
	t.Setenv("KEYWARD_OUTPUT", "jsonl")
	if out := c.ok("keys list --jq .name"); out != "a\nb\n" {
		t.Errorf("KEYWARD_OUTPUT=jsonl list --jq .name = %q", out)
	}
	t.Setenv("KEYWARD_OUTPUT", "table")
	if out := c.ok("keys list --jq .[].name"); out != "a\nb\n" {
		t.Errorf("KEYWARD_OUTPUT=table list --jq .[].name = %q", out)
	}
}
