package keys

import (
	"encoding/json"
	"strings"
)

// Role is a level of rights on a resource; higher includes lower.
type Role int

const (
	RoleNone Role = iota // no rights: never stored, the answer of RoleOn when nothing covers
	Viewer
	Editor
	Admin
)

var roleNames = [...]string{"none", "viewer", "editor", "admin"}

// ParseRole reads a role name; "owner" is admin and "operator" editor.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(s) {
	case "viewer":
		return Viewer, nil
	case "editor", "operator":
		return Editor, nil
	case "admin", "owner":
		return Admin, nil
	}
	return RoleNone, Errorf(Invalid, "invalid role %q: use %s", s, RoleChoices)
}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return "none"
	}
	return roleNames[r]
}

// Set and Type make *Role a pflag.Value.
func (r *Role) Set(s string) error {
	v, err := ParseRole(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}
func (r *Role) Type() string { return "role" }

func (r Role) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
func (r *Role) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(Invalid, "a role must be a string: %s", RoleChoices)
	}
	return r.Set(s)
}

// check refuses a role a caller built by hand (Role(7), RoleNone): only
// viewer, editor and admin are given.
func (r Role) check() error {
	if r < Viewer || r > Admin {
		return Errorf(Invalid, "invalid role: use %s", RoleChoices)
	}
	return nil
}

// RoleChoices names the roles a user may write, aliases included: they are
// accepted, so help and errors say so.
const RoleChoices = "viewer, editor or admin (owner = admin, operator = editor)"
