package keys

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAuditJSONOrgRowHasNullKey(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	org := AuditEvent{ID: 1, At: at, Org: "/acme", Actor: "local:alice", Action: ActionOrgCreate, Details: map[string]any{}}
	b, err := json.Marshal(org)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"at":"2026-01-02T03:04:05Z","org":"/acme","actor":"local:alice","actor_name":null,"action":"org_create","key_id":null,"key_name":null,"details":{}}`
	if string(b) != want {
		t.Fatalf("org row:\n got %s\nwant %s", b, want)
	}
	key := org
	key.Action, key.KeyID, key.KeyName = ActionCreate, "key_x", "ci"
	b, _ = json.Marshal(&key)
	if !strings.Contains(string(b), `"key_id":"key_x","key_name":"ci"`) {
		t.Fatalf("key row: %s", b)
	}
	var back AuditEvent
	if err := json.Unmarshal(b, &back); err != nil || back.KeyID != "key_x" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}
