package commands

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keys"
)

// policyFlags are the key policy flags of `keys create` and `keys
// update`: --allow-ip (repeatable; ” alone removes the list) and
// --rate-limit (” removes it), and on update --clear-allow-ip and
// --clear-rate-limit.
type policyFlags struct {
	allowIP        []string
	rateLimit      string
	clearAllowIP   bool
	clearRateLimit bool
}

func (p *policyFlags) register(cmd *cobra.Command, update bool) {
	allowUsage := "only these addresses may present the key (CIDR or address, repeatable), e.g. 10.0.0.0/8"
	limitUsage := "verifications a server allows the key, N/DURATION, e.g. 100/1s or 5000/1h"
	if update {
		allowUsage = "replace the IP allow-list (CIDR or address, repeatable); '' removes it"
		limitUsage += "; '' removes it"
		cmd.Flags().BoolVar(&p.clearAllowIP, "clear-allow-ip", false, "remove the key's IP allow-list")
		cmd.Flags().BoolVar(&p.clearRateLimit, "clear-rate-limit", false, "remove the key's rate limit")
	}
	cmd.Flags().StringArrayVar(&p.allowIP, "allow-ip", nil, allowUsage)
	cmd.Flags().StringVar(&p.rateLimit, "rate-limit", "", limitUsage)
	if update {
		// Issue 13's spelling of "remove": exempt from the refusal of
		// empty values (emptyFlagValues); parse warns, since an unset
		// variable then removes a restriction.
		for _, n := range []string{"allow-ip", "rate-limit"} {
			_ = cmd.Flags().SetAnnotation(n, emptyRemoves, []string{"true"})
		}
	}
	noFileFlags(cmd, "allow-ip", "rate-limit")
}

// emptyRemoves marks a flag whose empty value removes something, which
// emptyFlagValues lets through.
const emptyRemoves = "keyward_empty_removes"

// changed reports whether any policy flag was given.
func (p *policyFlags) changed(cmd *cobra.Command) bool {
	for _, n := range []string{"allow-ip", "rate-limit", "clear-allow-ip", "clear-rate-limit"} {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed {
			return true
		}
	}
	return false
}

// parse reads the flags: nil for a policy not asked about, an empty list
// or the zero limit for one to remove.
func (p *policyFlags) parse(cmd *cobra.Command) (*keys.AllowList, *keys.RateLimit, error) {
	if err := exclusive(cmd, "allow-ip", "clear-allow-ip"); err != nil {
		return nil, nil, err
	}
	if err := exclusive(cmd, "rate-limit", "clear-rate-limit"); err != nil {
		return nil, nil, err
	}
	warn := func(flag, what string) {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: --%s '' removes the key's %s (--clear-%s says so explicitly)\n", flag, what, flag)
	}
	var allow *keys.AllowList
	switch entries := slices.DeleteFunc(slices.Clone(p.allowIP), func(s string) bool { return s == "" }); {
	case p.clearAllowIP:
		allow = &keys.AllowList{}
	case len(entries) > 0 && len(entries) < len(p.allowIP):
		return nil, nil, usageErrorf("--allow-ip '' removes the allow-list: do not give it with addresses")
	case cmd.Flags().Changed("allow-ip"):
		if len(entries) == 0 {
			warn("allow-ip", "IP allow-list")
		}
		l, err := keys.ParseAllowList(entries)
		if err != nil {
			return nil, nil, err
		}
		allow = &l
	}
	var limit *keys.RateLimit
	switch {
	case p.clearRateLimit:
		limit = &keys.RateLimit{}
	case cmd.Flags().Changed("rate-limit"):
		if p.rateLimit == "" {
			warn("rate-limit", "rate limit")
		}
		rl, err := keys.ParseRateLimit(p.rateLimit)
		if err != nil {
			return nil, nil, err
		}
		limit = &rl
	}
	return allow, limit, nil
}
