// Command floor is the floor for keyward's reading and writing commands on
// a SQLite file: cobra and go-sqlite3 and nothing else, doing what keyward
// does for `keys list --limit N -o json`, `keys get ID -o json` and
// `keys create` (one fsynced WAL transaction: the key, its grant and an
// audit row), with none of keyward's checks. Any Go binary on keyward's
// stack pays at least this; bench/cli.sh compares keyward with it.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/spf13/cobra"
)

const columns = `k.id, k.name, k.org, k.type, k.start, k.created_at, k.expires_at, k.enabled,
	k.last_used_at, k.meta, k.created_by,
	(SELECT json_group_array(json_object('resource', g.resource, 'role', g.role)) FROM grants g WHERE g.key_id = k.id)`

type key struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Org       string          `json:"org"`
	Type      string          `json:"type"`
	Start     string          `json:"start"`
	CreatedAt int64           `json:"created_at"`
	ExpiresAt *int64          `json:"expires_at"`
	Enabled   bool            `json:"enabled"`
	LastUsed  *int64          `json:"last_used_at"`
	Meta      json.RawMessage `json:"meta"`
	CreatedBy string          `json:"created_by"`
	Grants    json.RawMessage `json:"grants"`
}

func scan(rows *sql.Rows) (*key, error) {
	var k key
	var meta, grants string
	err := rows.Scan(&k.ID, &k.Name, &k.Org, &k.Type, &k.Start, &k.CreatedAt, &k.ExpiresAt,
		&k.Enabled, &k.LastUsed, &meta, &k.CreatedBy, &grants)
	k.Meta, k.Grants = json.RawMessage(meta), json.RawMessage(grants)
	return &k, err
}

func query(db *sql.DB, q string, args ...any) ([]*key, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*key
	for rows.Next() {
		k, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func main() {
	var path string
	var db *sql.DB
	open := func(write bool) (err error) {
		dsn := "file:" + path + "?_busy_timeout=5000&mode=ro"
		if write {
			dsn = "file:" + path + "?_busy_timeout=5000&_txlock=immediate&_journal_mode=WAL&_synchronous=FULL"
		}
		db, err = sql.Open("sqlite3", dsn)
		return err
	}
	print := func(v any) error { return json.NewEncoder(os.Stdout).Encode(v) }
	root := &cobra.Command{Use: "floor", SilenceUsage: true}
	root.PersistentFlags().StringVar(&path, "db", "", "SQLite file")
	root.AddCommand(&cobra.Command{
		Use:  "list LIMIT",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return err
			}
			if err := open(false); err != nil {
				return err
			}
			ks, err := query(db, "SELECT "+columns+" FROM keys k ORDER BY k.name, k.id LIMIT ?", n)
			if err != nil {
				return err
			}
			return print(ks)
		},
	}, &cobra.Command{
		Use:  "get ID",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := open(false); err != nil {
				return err
			}
			ks, err := query(db, "SELECT "+columns+" FROM keys k WHERE k.id = ?", args[0])
			if err != nil || len(ks) == 0 {
				return fmt.Errorf("not found: %v", err)
			}
			return print(ks[0])
		},
	}, &cobra.Command{
		Use:  "create NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := open(true); err != nil {
				return err
			}
			var b [24]byte
			_, _ = rand.Read(b[:])
			id := "key_" + hex.EncodeToString(b[:8])
			h := sha256.Sum256(b[8:])
			now := time.Now().Unix()
			tx, err := db.Begin()
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.Exec(`INSERT INTO keys (id, name, org, type, prefix, start, created_at, meta, created_by, secret_hash)
				VALUES (?, ?, '/acme', 'secret', 'sk', 'sk_abcd', ?, '{}', 'local:floor', ?)`, id, args[0], now, hex.EncodeToString(h[:])); err != nil {
				return err
			}
			// key_name as keyward writes it (migration 0010's triggers then
			// have nothing to do).
			if _, err := tx.Exec(`INSERT INTO grants (key_id, resource, role, key_name) VALUES (?, '/acme/prod', 2, ?)`, id, args[0]); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO audit (at, org, actor, action, key_id, key_name, grants, details)
				VALUES (?, '/acme', 'local:floor', 'create', ?, ?, '[]', '{}')`, now, id, args[0]); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			return print(map[string]string{"id": id, "secret": hex.EncodeToString(b[8:])})
		},
	})
	err := root.Execute()
	if db != nil {
		db.Close()
	}
	if err != nil {
		os.Exit(1)
	}
}
