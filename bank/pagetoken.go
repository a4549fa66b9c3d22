package bank

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
)

// A page token is opaque to clients: base64url of a small JSON cursor that
// holds the last key returned and a hash of the request's filter. A token
// used with a different filter is refused, as AIP-158 requires, because its
// position means nothing in another result set. Tokens carry no secret: a
// forged one can only position the caller inside data it may list anyway.
type pageCursor struct {
	After  string `json:"a"`
	Filter string `json:"f"`
}

// filterKey hashes the parts of a list request that define its result set.
func filterKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func encodePageToken(after, filter string) string {
	b, _ := json.Marshal(pageCursor{After: after, Filter: filter})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodePageToken returns the cursor position of tok, "" for an empty token.
func decodePageToken(v *Violations, tok, filter string) string {
	if tok == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	var c pageCursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	switch {
	case err != nil || c.After == "":
		v.Add("page_token", "not a page token returned by this method")
	case c.Filter != filter:
		v.Add("page_token", "belongs to a list request with other parameters: keep the filters of the first page")
	default:
		return c.After
	}
	return ""
}

// pageOf ends a keyset list: items were read with limit n+1, so one item
// more than the page means another page follows. It returns the page and
// the token of the next one ("" on the last page), whose cursor is the
// key of the page's last item.
func pageOf[T any](items []T, n int, filter string, key func(T) string) ([]T, string) {
	if len(items) <= n {
		return items, ""
	}
	items = items[:n]
	return items, encodePageToken(key(items[n-1]), filter)
}
