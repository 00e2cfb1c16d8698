// Package config resolves keyward's settings — flags, KEYWARD_* environment
// variables, the profiles of the config file, defaults, in that order — and
// reads and writes that config file.
package config

import (
	"os"
	"os/user"
	"path/filepath"
)

// xdgDir returns $env, or ~/fallback when it is unset or not absolute (as
// the XDG Base Directory spec says to ignore relative paths).
func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(homeDir(), fallback)
}

// homeDir is $HOME, else the account's home folder (cron and some service
// managers run without HOME), else the working directory.
func homeDir() string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return home
	}
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		return u.HomeDir
	}
	return "."
}

// DefaultDBPath is the database used when no --db, server or profile says
// otherwise: $XDG_DATA_HOME/keyward/keyward.db (~/.local/share/keyward/keyward.db).
func DefaultDBPath() string {
	return filepath.Join(xdgDir("XDG_DATA_HOME", filepath.Join(".local", "share")), "keyward", "keyward.db")
}

// ConfigEnv names another config file, as KUBECONFIG does for kubectl:
// one per project, or a throwaway one for a script.
const ConfigEnv = "KEYWARD_CONFIG"

// Path is the config file: $KEYWARD_CONFIG, else
// $XDG_CONFIG_HOME/keyward/config.yaml (~/.config/keyward/config.yaml).
func Path() string {
	if p := os.Getenv(ConfigEnv); p != "" {
		if abs, err := filepath.Abs(p); err == nil {
			return abs // relative paths in it resolve against its folder
		}
		return p
	}
	return filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "keyward", "config.yaml")
}
