package policyjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/examples/internal/capped"
)

// DecodeStrict decodes the one JSON object in r into v, a pointer to a
// struct, strictly where encoding/json is lenient: a key must equal a
// field's json tag exactly (not "Return_Path" for "return_path"), appear
// once, and be known; a value must have the field's kind (null has none);
// nothing may follow the object. Errors name the value's path, such as
// "recipients[0].address", and JSON kinds, never a Go type.
func DecodeStrict(r io.Reader, v any) error {
	d := strictDecoder{json.NewDecoder(capped.Reader(r, MaxSize))}
	d.dec.UseNumber()
	if err := d.value(reflect.ValueOf(v).Elem(), ""); err != nil {
		return err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// MaxSize bounds a JSON input, which is held in memory whole.
const MaxSize = 64 << 20

// strictDecoder walks the tokens of one JSON value, filling a Go value.
type strictDecoder struct{ dec *json.Decoder }

// value decodes the next JSON value into v; path names it in errors.
func (d *strictDecoder) value(v reflect.Value, path string) error {
	tok, err := d.token()
	if err != nil {
		return err
	}
	// A pointer field tells a key given from one left out.
	if v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	ok := false
	switch v.Kind() {
	case reflect.Struct:
		if ok = tok == json.Delim('{'); ok {
			return d.object(v, path)
		}
	case reflect.Slice:
		if ok = tok == json.Delim('['); ok {
			return d.array(v, path)
		}
	case reflect.String:
		var s string
		if s, ok = tok.(string); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		var b bool
		if b, ok = tok.(bool); ok {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, _ := tok.(json.Number)
		i, err := strconv.ParseInt(string(n), 10, v.Type().Bits())
		if ok = err == nil; ok {
			v.SetInt(i)
		}
	default:
		panic("decodeStrict: no JSON kind for " + v.Type().String())
	}
	if !ok {
		return pathErrorf(path, "want %s, not %s", wantKind(v.Kind()), tokenKind(tok))
	}
	return nil
}

// object reads the members of an object, its "{" read, into the fields of
// the struct v.
func (d *strictDecoder) object(v reflect.Value, path string) error {
	seen := make(map[string]bool)
	for d.dec.More() {
		tok, err := d.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string) // json.Decoder gives object keys as strings
		f, known := field(v, key)
		switch {
		case seen[key]:
			return pathErrorf(path, "duplicate key %q", key)
		case !known:
			return pathErrorf(path, "unknown key %q", key)
		}
		seen[key] = true
		keyPath := key
		if path != "" {
			keyPath = path + "." + key
		}
		if err := d.value(f, keyPath); err != nil {
			return err
		}
	}
	_, err := d.token() // "}"
	return err
}

// array reads the elements of an array, its "[" read, into the slice v.
func (d *strictDecoder) array(v reflect.Value, path string) error {
	v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	for i := 0; d.dec.More(); i++ {
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		if err := d.value(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	_, err := d.token() // "]"
	return err
}

// token reads the next token; an error in the JSON text says where it is,
// in words.
func (d *strictDecoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return nil, fmt.Errorf("not JSON: %v (near byte %d)", err, syntax.Offset)
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errors.New("not JSON: unexpected end of input")
	}
	return tok, err
}

// field is the field of the struct v whose json tag names key; untagged
// fields take no key.
func field(v reflect.Value, key string) (reflect.Value, bool) {
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// pathErrorf is an error about the value at path ("" for the top).
func pathErrorf(path, format string, a ...any) error {
	if path != "" {
		format = path + ": " + format
	}
	return fmt.Errorf(format, a...)
}

// wantKind names the JSON kind a Go kind is decoded from.
func wantKind(k reflect.Kind) string {
	switch k {
	case reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	return "an integer"
}

// tokenKind names what a token is: its kind, or its text for a literal.
func tokenKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}
