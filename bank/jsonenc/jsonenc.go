package jsonenc

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// htmlSafe[b] reports whether ASCII byte b is written as itself inside a
// JSON string by encoding/json, which escapes control characters, the
// quote, the backslash and (by default) the HTML characters <, > and &.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// String appends s as a JSON string, as encoding/json.Marshal writes a Go
// string: invalid UTF-8 becomes U+FFFD, and U+2028, U+2029, <, > and & are
// escaped.
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ErrUnsupportedFloat is returned for NaN and infinities, which JSON
// cannot represent (encoding/json refuses them too).
var ErrUnsupportedFloat = errors.New("jsonenc: NaN or infinite number")

// Float appends f as encoding/json writes a float64: the shortest decimal
// that reads back as f, in exponent form below 1e-6 and from 1e21 up.
func Float(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, ErrUnsupportedFloat
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as in encoding/json.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// Int appends n.
func Int(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// ErrUnsupportedTime is returned for times whose year is outside
// 0000-9999, which RFC 3339 cannot write (time.Time.MarshalJSON refuses
// them too).
var ErrUnsupportedTime = errors.New("jsonenc: year outside 0000-9999")

// Time appends t as time.Time.MarshalJSON writes it: an RFC 3339 string
// with nanoseconds, trailing zeros dropped.
func Time(dst []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, ErrUnsupportedTime
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}

// Object appends the members of a JSON object one at a time, writing the
// braces and commas. The methods named OmitEmpty skip zero values as
// encoding/json's omitempty does. The first value JSON cannot hold (NaN,
// a year past 9999) stops further writes and is reported by Err.
type Object struct {
	Buf   []byte
	empty bool
	err   error
}

// Begin starts an object in dst.
func Begin(dst []byte) Object { return Object{Buf: append(dst, '{'), empty: true} }

// Key writes the next member's key; the caller appends its value to Buf.
// key must need no escaping (it is written as is).
func (o *Object) Key(key string) {
	if !o.empty {
		o.Buf = append(o.Buf, ',')
	}
	o.empty = false
	o.Buf = append(o.Buf, '"')
	o.Buf = append(o.Buf, key...)
	o.Buf = append(o.Buf, '"', ':')
}

// String writes a string member.
func (o *Object) String(key, val string) {
	o.Key(key)
	o.Buf = String(o.Buf, val)
}

// StringOmitEmpty writes a string member unless val is "".
func (o *Object) StringOmitEmpty(key, val string) {
	if val != "" {
		o.String(key, val)
	}
}

// FloatOmitEmpty writes a number member unless f is 0.
func (o *Object) FloatOmitEmpty(key string, f float64) {
	if f != 0 {
		o.float(key, f)
	}
}

// OptionalFloat writes a number member unless f is nil.
func (o *Object) OptionalFloat(key string, f *float64) {
	if f != nil {
		o.float(key, *f)
	}
}

func (o *Object) float(key string, f float64) {
	if o.err != nil {
		return
	}
	o.Key(key)
	o.Buf, o.err = Float(o.Buf, f)
}

// IntOmitEmpty writes an integer member unless n is 0.
func (o *Object) IntOmitEmpty(key string, n int64) {
	if n != 0 {
		o.Key(key)
		o.Buf = Int(o.Buf, n)
	}
}

// Time writes a time member (never omitted: omitempty ignores structs).
func (o *Object) Time(key string, t time.Time) {
	if o.err != nil {
		return
	}
	o.Key(key)
	o.Buf, o.err = Time(o.Buf, t)
}

// End closes the object and returns the buffer.
func (o *Object) End() []byte { return append(o.Buf, '}') }

// Err is the first value the object could not hold, or nil.
func (o *Object) Err() error { return o.err }
