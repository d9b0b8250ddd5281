package warden

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCheckDepth bounds the walk of checkEncodable: a value nested deeper (or a cycle) is left
// to json.Marshal, which reports it.
const maxCheckDepth = 10000

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// Why checkEncodable refuses a value.
const (
	whyUTF8      = "the string is not valid UTF-8 (it would not reach Warden as written)"
	whyNonFinite = "the number is not finite (NaN and infinities have no JSON form)"
	whyBytes     = "a byte slice is not JSON (encoding/json would send it as base64 text): pass a string"
)

// whyType is the refusal of a value json.Marshal cannot write at all (a channel, a func, a
// complex number): named at its path, where json.Marshal would fail on the whole request.
func whyType(t reflect.Type) string {
	return "a value of type " + t.String() + " is not JSON"
}

// writableKey tells whether json.Marshal can write a map key of type t: a string, an
// integer, or a type that marshals itself as text.
func writableKey(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return t.Implements(textMarshaler)
}

// checkEncodable refuses a request holding what JSON cannot carry as written: a string or
// map key that is not valid UTF-8 (json.Marshal would silently replace its bad bytes with
// U+FFFD, and the verdict would be about another string), a []byte (json.Marshal would send
// its base64 text: a password given as bytes would be judged on that), a float that is NaN
// or infinite, a channel, func or complex number, or a map whose key type JSON has no form
// for (json.Marshal fails on these without saying where). The error is an *Error with code
// invalid_input at the value's path (the map's, for its key type).
func checkEncodable(v any) error {
	if path, why := unencodable(reflect.ValueOf(v), "", 0); why != "" {
		return &Error{Code: "invalid_input", Path: path, Message: why}
	}
	return nil
}

func childPath(path, key string) string {
	if !utf8.ValidString(key) {
		key = strings.Trim(strconv.QuoteToASCII(key), `"`)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// unencodable walks v as json.Marshal would and returns the path of the first string or
// map key that is not valid UTF-8, or of the first float that is not finite, with why ("":
// none).
func unencodable(v reflect.Value, path string, depth int) (string, string) {
	if !v.IsValid() || depth > maxCheckDepth {
		return "", ""
	}
	// Types that encode themselves (json.RawMessage, time.Time, ...) are theirs to check;
	// the module refuses text that is not UTF-8 at path "".
	if v.Kind() != reflect.Interface && v.Kind() != reflect.Pointer &&
		(v.Type().Implements(jsonMarshaler) || v.Type().Implements(textMarshaler)) {
		return "", ""
	}
	switch v.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return path, whyType(v.Type())
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path, whyUTF8
		}
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return path, whyNonFinite
		}
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			return unencodable(v.Elem(), path, depth+1)
		}
	case reflect.Map:
		if !writableKey(v.Type().Key()) {
			return path, "a key of type " + v.Type().Key().String() + " cannot be a JSON key"
		}
		if v.IsNil() {
			return "", ""
		}
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			key := ""
			if k.Kind() == reflect.String {
				key = k.String()
				if !utf8.ValidString(key) {
					return childPath(path, key), whyUTF8
				}
			} else {
				key = strings.Trim(strconv.Quote(k.String()), `"`)
				if k.CanInt() {
					key = strconv.FormatInt(k.Int(), 10)
				} else if k.CanUint() {
					key = strconv.FormatUint(k.Uint(), 10)
				}
			}
			if p, why := unencodable(iter.Value(), childPath(path, key), depth+1); why != "" {
				return p, why
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 &&
			!v.Type().Elem().Implements(jsonMarshaler) && !v.Type().Elem().Implements(textMarshaler) {
			return path, whyBytes // json.Marshal writes it as base64 text, nil as null
		}
		for i := range v.Len() {
			if p, why := unencodable(v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); why != "" {
				return p, why
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && !strings.HasPrefix(f.Tag.Get("json"), "-,") {
				continue
			}
			here := path
			switch {
			case name != "":
				here = childPath(path, name)
			case !f.Anonymous:
				here = childPath(path, f.Name)
			}
			if p, why := unencodable(v.Field(i), here, depth+1); why != "" {
				return p, why
			}
		}
	}
	return "", ""
}
