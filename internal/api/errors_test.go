package api

import (
	"net/http"
	"testing"

	"github.com/keyward/keyward/internal/keys"
)

// Every code the server writes is read back as itself from its body, and
// from its status alone as the same code, except no_route, whose 404 is
// not_found's too: only the body tells them apart.
func TestCodesSurviveTheWire(t *testing.T) {
	for _, code := range []keys.Code{keys.Invalid, keys.Unauthorized, keys.Forbidden, keys.NotFound, keys.NoRoute,
		keys.Conflict, keys.TooLarge, keys.RateLimited, keys.Unavailable, keys.Internal} {
		if !Known(code) {
			t.Errorf("%s is not known", code)
		}
		byStatus := CodeOf(Status(code))
		if byStatus != code && !(code == keys.NoRoute && byStatus == keys.NotFound) {
			t.Errorf("%s: status %d reads back as %s", code, Status(code), byStatus)
		}
	}
	for _, s := range []int{http.StatusBadGateway, http.StatusGatewayTimeout} {
		if CodeOf(s) != keys.Unavailable {
			t.Errorf("a proxy's %d reads as %s", s, CodeOf(s))
		}
	}
	if Status("brand_new") != http.StatusInternalServerError || Known("brand_new") || CodeOf(418) != keys.Internal {
		t.Error("unknown codes and statuses")
	}
	if d, ok := ReadError([]byte(`{"error":{"code":"no_route","message":"m"}}`)); !ok || d.Code != keys.NoRoute || d.Message != "m" {
		t.Errorf("ReadError = %+v, %v", d, ok)
	}
	for _, body := range []string{"", "<html>", `{"error":null}`, `{"error":{"message":"m"}}`} {
		if _, ok := ReadError([]byte(body)); ok {
			t.Errorf("ReadError(%q) took it for keyward's", body)
		}
	}
}
