package commands

import (
	"context"
	"os"
	"os/user"
	"strings"
	"sync"

	"github.com/keyward/keyward/internal/keys"
)

// currentUser is os/user's lookup (a variable so that a test can count
// its calls).
var currentUser = user.Current

// osUser names the local principal: the OS account running keyward.
func osUser() string {
	if u, err := currentUser(); err == nil && u.Username != "" {
		name := u.Username
		if i := strings.LastIndexAny(name, `\`); i >= 0 { // DOMAIN\user on Windows
			name = name[i+1:]
		}
		return name
	}
	for _, env := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return "unknown"
}

// actAsLocalUser is svc acting as the local OS user. The user's name is
// looked up (nsswitch, /etc/passwd: about a millisecond, a twentieth of a
// `keys list`) once, and only by a call that records or shows it: a
// change (created_by, the audit row's actor), verify, whoami. Reads
// (get, list, audit) act as the local principal without the name: it
// reads everything, and a read records nothing.
func actAsLocalUser(svc keys.Service) keys.Service {
	who := sync.OnceValue(func() *keys.Principal { return keys.LocalPrincipal(osUser()) })
	return &localService{
		Service: keys.ActAsFunc(svc, func(context.Context) (*keys.Principal, error) { return who(), nil }),
		reads:   keys.ActAs(svc, keys.LocalPrincipal("")),
	}
}

// localService is a Service acting as the local user, whose reads skip
// the lookup of the user's name. Every other method, including any added
// to keys.Service later, acts with the name.
type localService struct {
	keys.Service
	reads keys.Service
}

func (l *localService) Get(ctx context.Context, ref string) (*keys.Key, error) {
	return l.reads.Get(ctx, ref)
}

func (l *localService) List(ctx context.Context, f keys.ListFilter) (*keys.KeyPage, error) {
	return l.reads.List(ctx, f)
}

func (l *localService) Audit(ctx context.Context, f keys.AuditFilter) (*keys.AuditPage, error) {
	return l.reads.Audit(ctx, f)
}
