package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/keyward/keyward/internal/keys"
)

// writeVerifyResult answers POST /v1/verify: the bytes writeJSON would
// write, appended without reflection into a pooled buffer and written at
// once. encoding/json was a quarter of the handler's time (each grant's
// role through its MarshalJSON, an encoder per answer). An answer the
// appender cannot reproduce exactly (an expiry encoding/json refuses) goes
// through writeJSON, so the two never differ.
func writeVerifyResult(w http.ResponseWriter, res *keys.VerifyResult) {
	bp := answerBufs.Get().(*[]byte)
	defer putAnswerBuf(bp)
	b, ok := appendVerifyResult((*bp)[:0], res)
	if !ok {
		writeJSON(w, http.StatusOK, res)
		return
	}
	*bp = b[:0]
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // a failed write means the client left; nothing to do
}

// answerBufs hold verify answers while they are written; one with grants
// enough to outgrow the first size keeps its capacity for the next.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// putAnswerBuf returns a buffer to the pool unless a key with very many
// grants grew it past 8 KiB: the pool should not keep that much for each
// such answer once written.
func putAnswerBuf(bp *[]byte) {
	if cap(*bp) <= 8<<10 {
		answerBufs.Put(bp)
	}
}

// appendVerifyResult appends res as encoding/json's Encoder writes it
// (members in VerifyResult's order, HTML characters escaped, a newline
// after), or reports false for an answer it would refuse.
func appendVerifyResult(b []byte, res *keys.VerifyResult) ([]byte, bool) {
	b = append(b, `{"valid":`...)
	b = strconv.AppendBool(b, res.Valid)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, string(res.Code))
	b = append(b, `,"key_id":`...)
	b = appendStringPtr(b, res.KeyID)
	b = append(b, `,"name":`...)
	b = appendStringPtr(b, res.Name)
	b = append(b, `,"org":`...)
	b = appendStringPtr(b, res.Org)
	b = append(b, `,"grants":`...)
	if res.Grants == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, g := range res.Grants {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"resource":`...)
			b = appendJSONString(b, string(g.Resource))
			b = append(b, `,"role":`...)
			b = appendJSONString(b, g.Role.String()) // as Role.MarshalJSON
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"expires_at":`...)
	if t := res.ExpiresAt; t == nil {
		b = append(b, "null"...)
	} else if !rfc3339Encodable(*t) {
		return b, false
	} else {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano) // as Time.MarshalJSON
		b = append(b, '"')
	}
	b = append(b, `,"account":`...)
	b = appendStringPtr(b, res.Account)
	b = append(b, `,"rate_limit":`...)
	if res.RateLimit == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, res.RateLimit.String()) // as its MarshalText
	}
	b = append(b, `,"retry_after":`...)
	if res.RetryAfter == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *res.RetryAfter, 10)
	}
	return append(b, "}\n"...), true
}

// rfc3339Encodable reports whether Time.MarshalJSON accepts t: a four-digit
// year and a zone offset under a day.
func rfc3339Encodable(t time.Time) bool {
	_, off := t.Zone()
	y := t.Year()
	return y >= 0 && y <= 9999 && off > -24*3600 && off < 24*3600
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString appends s quoted. What every ID, name, resource and code
// is made of (printable ASCII with nothing to escape) is copied; anything
// else is left to encoding/json, whose escaping (HTML characters, U+2028,
// invalid UTF-8) is then the answer's.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
