package keys

import (
	"encoding/json"
	"time"
)

// MarshalJSON writes an audit row with key_id and key_name null for a row
// about no key (an organization's: org_create, org_delete), as DESIGN.md
// says: absent values are null, never an empty string that reads as an id.
// The fields are spelled out in AuditEvent's order (a contract, pinned by
// golden files): a field added to AuditEvent is added here too. Decoding
// needs nothing of its own: null leaves the strings empty.
func (e AuditEvent) MarshalJSON() ([]byte, error) {
	v := struct {
		ID        int64          `json:"id"`
		At        time.Time      `json:"at"`
		Org       string         `json:"org"`
		Actor     string         `json:"actor"`
		ActorName *string        `json:"actor_name"`
		Action    string         `json:"action"`
		KeyID     *string        `json:"key_id"`
		KeyName   *string        `json:"key_name"`
		Details   map[string]any `json:"details"`
	}{e.ID, e.At, e.Org, e.Actor, e.ActorName, e.Action, nil, nil, e.Details}
	if e.KeyID != "" {
		v.KeyID = &e.KeyID
	}
	if e.KeyName != "" {
		v.KeyName = &e.KeyName
	}
	return json.Marshal(v)
}
