package keys

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestCreateRequestNormalize(t *testing.T) {
	got, org, err := CreateRequest{
		Name:   "ci-deploy",
		Grants: []Grant{{Resource: "/acme/prod", Role: Viewer}, {Resource: "/acme/prod", Role: Editor}, {Resource: "/acme/dev"}},
		Meta:   map[string]string{"team": "platform", "gone": ""},
	}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	want := CreateRequest{
		Name:   "ci-deploy",
		Type:   Secret,
		Prefix: "sk",
		Grants: []Grant{{Resource: "/acme/dev", Role: Viewer}, {Resource: "/acme/prod", Role: Editor}},
		Meta:   map[string]string{"team": "platform"},
		Format: FormatOpaque,
	}
	if org != "/acme" || !reflect.DeepEqual(got, want) {
		t.Fatalf("Normalize = %+v, %q; want %+v, /acme", got, org, want)
	}
	pub, _, err := CreateRequest{Name: "web", Type: Public, Grants: []Grant{{Resource: "/acme/web"}}}.Normalize()
	if err != nil || pub.Prefix != "pk" {
		t.Fatalf("public key: %+v %v", pub, err)
	}

	for name, req := range map[string]CreateRequest{
		"bad name":           {Name: "", Grants: []Grant{{Resource: "/a"}}},
		"bad type":           {Name: "k", Type: "private", Grants: []Grant{{Resource: "/a"}}},
		"bad prefix":         {Name: "k", Prefix: "SK", Grants: []Grant{{Resource: "/a"}}},
		"no grant":           {Name: "k"},
		"two organizations":  {Name: "k", Grants: []Grant{{Resource: "/a/x"}, {Resource: "/b/y"}}},
		"public editor":      {Name: "k", Type: Public, Grants: []Grant{{Resource: "/a", Role: Editor}}},
		"bad resource":       {Name: "k", Grants: []Grant{{Resource: "a/b"}}},
		"bad meta key":       {Name: "k", Grants: []Grant{{Resource: "/a"}}, Meta: map[string]string{"": "v"}},
		"role out of bounds": {Name: "k", Grants: []Grant{{Resource: "/a", Role: Role(9)}}},
	} {
		if _, _, err := req.Normalize(); ErrorCode(err) != Invalid {
			t.Errorf("%s: %v, want %s", name, err, Invalid)
		}
	}
}

func TestUpdateRequestValidate(t *testing.T) {
	d := Duration(time.Hour)
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, ok := range []UpdateRequest{
		{Name: ptr("new-name")},
		{TTL: &d},
		{ExpiresAt: &at},
		{NoExpiry: true},
		{Enabled: ptr(false)},
		{Meta: map[string]string{"team": ""}},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for want, bad := range map[string]UpdateRequest{
		"at most one":       {TTL: &d, NoExpiry: true},
		"nothing to update": {},
		"name":              {Name: ptr("bad name with spaces")},
		"meta":              {Meta: map[string]string{"": "x"}},
	} {
		err := bad.Validate()
		if ErrorCode(err) != Invalid || (want == "at most one" || want == "nothing to update") && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

func TestRollRequestNormalize(t *testing.T) {
	got, err := RollRequest{}.Normalize()
	if err != nil || got.Grace == nil || time.Duration(*got.Grace) != DefaultGrace {
		t.Fatalf("default grace: %+v %v", got, err)
	}
	zero := Duration(0)
	if got, err := (RollRequest{Grace: &zero}).Normalize(); err != nil || *got.Grace != 0 {
		t.Fatalf("grace 0 must end the old secret at once: %+v %v", got, err)
	}
	neg, none := Duration(-time.Second), Duration(0)
	for name, bad := range map[string]RollRequest{"negative grace": {Grace: &neg}, "zero ttl": {TTL: &none}} {
		if _, err := bad.Normalize(); ErrorCode(err) != Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerifyRequestNormalize(t *testing.T) {
	res, role := Resource("/acme/prod/"), Editor
	got, err := VerifyRequest{Secret: "not checked here", Resource: &res, Role: &role}.Normalize()
	if err != nil || *got.Resource != "/acme/prod" || *got.Role != Editor {
		t.Fatalf("Normalize = %+v %v", got, err)
	}
	bad, badRole := Resource("acme"), Role(7)
	if _, err := (VerifyRequest{Resource: &bad}).Normalize(); ErrorCode(err) != Invalid {
		t.Errorf("bad resource: %v", err)
	}
	if _, err := (VerifyRequest{Role: &badRole}).Normalize(); ErrorCode(err) != Invalid {
		t.Errorf("bad role: %v", err)
	}
}

func TestFilterPageSizes(t *testing.T) {
	for limit, want := range map[int]int{0: DefaultPageSize, 1: 1, MaxPageSize: MaxPageSize} {
		if f, err := (ListFilter{Limit: limit}).Normalize(); err != nil || f.Limit != want {
			t.Errorf("list limit %d: %d %v", limit, f.Limit, err)
		}
		if f, err := (AuditFilter{Limit: limit}).Normalize(); err != nil || f.Limit != want {
			t.Errorf("audit limit %d: %d %v", limit, f.Limit, err)
		}
	}
	for _, limit := range []int{-1, MaxPageSize + 1} {
		if _, err := (ListFilter{Limit: limit}).Normalize(); ErrorCode(err) != Invalid {
			t.Errorf("list limit %d: %v", limit, err)
		}
		if _, err := (AuditFilter{Limit: limit}).Normalize(); ErrorCode(err) != Invalid {
			t.Errorf("audit limit %d: %v", limit, err)
		}
	}
	if _, err := (ListFilter{UnusedFor: Duration(-time.Hour)}).Normalize(); ErrorCode(err) != Invalid {
		t.Errorf("negative unused-for: %v", err)
	}
	res := Resource("/acme//prod")
	if _, err := (ListFilter{Resource: &res}).Normalize(); ErrorCode(err) != Invalid {
		t.Errorf("bad resource: %v", err)
	}
}
