package warden

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCheckDepth bounds the walk of checkUTF8: a value nested deeper (or a cycle) is left
// to json.Marshal, which reports it.
const maxCheckDepth = 10000

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// checkUTF8 refuses a request holding a string or map key that is not valid UTF-8:
// json.Marshal would silently replace its bad bytes with U+FFFD, and the verdict would be
// about another string. The error is an *Error with code invalid_input at the value's path.
func checkUTF8(v any) error {
	if path, bad := invalidUTF8(reflect.ValueOf(v), "", 0); bad {
		return &Error{Code: "invalid_input", Path: path,
			Message: "the string is not valid UTF-8 (it would not reach Warden as written)"}
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

// invalidUTF8 walks v as json.Marshal would and returns the path of the first string or
// map key that is not valid UTF-8.
func invalidUTF8(v reflect.Value, path string, depth int) (string, bool) {
	if !v.IsValid() || depth > maxCheckDepth {
		return "", false
	}
	// Types that encode themselves (json.RawMessage, time.Time, ...) are theirs to check;
	// the module refuses text that is not UTF-8 at path "".
	if v.Kind() != reflect.Interface && v.Kind() != reflect.Pointer &&
		(v.Type().Implements(jsonMarshaler) || v.Type().Implements(textMarshaler)) {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path, true
		}
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			return invalidUTF8(v.Elem(), path, depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			return "", false
		}
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			key := ""
			if k.Kind() == reflect.String {
				key = k.String()
				if !utf8.ValidString(key) {
					return childPath(path, key), true
				}
			} else {
				key = strings.Trim(strconv.Quote(k.String()), `"`)
				if k.CanInt() {
					key = strconv.FormatInt(k.Int(), 10)
				} else if k.CanUint() {
					key = strconv.FormatUint(k.Uint(), 10)
				}
			}
			if p, bad := invalidUTF8(iter.Value(), childPath(path, key), depth+1); bad {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // []byte: base64
		}
		for i := range v.Len() {
			if p, bad := invalidUTF8(v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); bad {
				return p, true
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
			if p, bad := invalidUTF8(v.Field(i), here, depth+1); bad {
				return p, true
			}
		}
	}
	return "", false
}
