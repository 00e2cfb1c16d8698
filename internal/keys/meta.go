package keys

// Limits on meta, so that one key cannot bloat every list page.
const (
	MaxMetaEntries  = 64
	MaxMetaKeyLen   = 128
	MaxMetaValueLen = 1024
)

// ValidateMeta checks a key's meta, or the entries a request merges in.
func ValidateMeta(m map[string]string) error {
	if len(m) > MaxMetaEntries {
		return Errorf(Invalid, "too many meta entries (%d): at most %d", len(m), MaxMetaEntries)
	}
	for k, v := range m {
		if ContainsSecret(k) || ContainsSecret(v) {
			// Meta is shown to every reader and kept in the audit log.
			return Errorf(Invalid, "invalid meta: it holds a keyward secret; secrets are stored only as hashes")
		}
		if k == "" {
			return Errorf(Invalid, "invalid meta: a key must not be empty (use k=v)")
		}
		if len(k) > MaxMetaKeyLen || len(v) > MaxMetaValueLen {
			return Errorf(Invalid, "meta %q is too long: keys at most %d bytes, values %d", truncate(k, 32), MaxMetaKeyLen, MaxMetaValueLen)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
