//go:build !unix

package config

import "os"

// checkPrivate has no mode bits or owner to check outside unix; the
// file's folder is the user's own profile folder there.
func checkPrivate(string, os.FileInfo) error { return nil }
