package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/config"
	"github.com/keyward/keyward/internal/keys"
)

// jqFilter is --jq EXPR: gojq (what gh uses) over the JSON a command
// prints. The expression is compiled before the command runs, so a bad
// one is a usage error that changes nothing; the command then prints JSON
// into a buffer, and the results go out as gh prints them: strings raw,
// anything else as one line of JSON.
type jqFilter struct {
	code *gojq.Code
	out  io.Writer // the real standard output
	buf  bytes.Buffer
}

// startJQ compiles expr and points the command's output into a buffer,
// as JSON. -o jsonl (or KEYWARD_OUTPUT=jsonl) stays jsonl, its lines
// filtered one by one as jq filters a stream; -o table (or wide) beside
// --jq is a usage error, while a table from the environment gives way.
func startJQ(f *Factory, cmd *cobra.Command, expr string) (*jqFilter, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, usageErrorf("--jq: %s", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, usageErrorf("--jq: %s", err)
	}
	o := cmd.Flags().Lookup(config.FlagOutput)
	explicit := o != nil && o.Changed
	if explicit && !strings.EqualFold(o.Value.String(), "json") && !strings.EqualFold(o.Value.String(), "jsonl") {
		return nil, usageErrorf("--jq works on JSON: drop -o %s", o.Value.String())
	}
	// -q prints a bare secret, not JSON: refused before a create or roll
	// runs, rather than after it made a key and then exited 2.
	if q := cmd.Flags().Lookup("quiet"); q != nil && q.Changed && q.Value.String() == "true" {
		return nil, usageErrorf("--jq works on JSON: drop -q (--jq .secret prints only the secret)")
	}
	fromEnv := strings.EqualFold(os.Getenv(config.EnvName(config.FlagOutput)), "jsonl")
	if !explicit && !fromEnv {
		if err := cmd.Flags().Set(config.FlagOutput, "json"); err != nil {
			return nil, err
		}
	}
	j := &jqFilter{code: code, out: f.IO.Out}
	f.IO.Out = &j.buf
	return j, nil
}

// finish runs the filter over what the command printed. When the filter
// fails (the output is not JSON, or the expression fails on it), nothing
// goes to standard output, as with gh, so a script never takes unfiltered
// JSON for its answer — unless the output carries a secret: a create or
// roll has happened by now, and its secret is shown only this once.
func (j *jqFilter) finish() error {
	raw := j.buf.Bytes()
	if len(raw) == 0 {
		return nil
	}
	var out bytes.Buffer
	if err := j.run(raw, &out); err != nil {
		if !keys.ContainsSecret(string(raw)) {
			return keys.Errorf(keys.Invalid, "--jq: %s", err)
		}
		// gojq's messages quote the value they failed on (its first 25
		// characters, or all of it through `error`): here that would be
		// the secret, in the error line CI logs keep. Withheld.
		msg := "the expression failed on output that holds a secret, so its message (which quotes values) is withheld"
		if errors.Is(err, errNotJSON) {
			msg = err.Error()
		}
		_, _ = j.out.Write(raw)
		return keys.Errorf(keys.Invalid, "--jq: %s; the output follows unfiltered, as it holds a secret shown only once", msg)
	}
	_, err := j.out.Write(out.Bytes())
	return err
}

var errNotJSON = errors.New("this command does not print JSON")

// run filters every JSON value in raw into out: strings raw, anything
// else as one line of JSON. Its errors are the bare reason; finish says
// it is --jq's.
func (j *jqFilter) run(raw []byte, out io.Writer) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			return nil
		} else if err != nil {
			return errNotJSON
		}
		iter := j.code.Run(normalizeNumbers(v))
		for {
			r, ok := iter.Next()
			if !ok {
				break
			}
			if err, isErr := r.(error); isErr {
				return err
			}
			if s, isString := r.(string); isString {
				fmt.Fprintln(out, s)
				continue
			}
			b, err := gojq.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s\n", b)
		}
	}
}

// normalizeNumbers turns json.Number into what gojq takes: an int when it
// is one, else a float64.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	}
	return v
}
