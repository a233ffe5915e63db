package rpc

import "fmt"

// Enum maps the values of a proto enum to the strings the database stores,
// both ways, from one table. Values missing from the table (UNSPECIFIED)
// have no name; names missing from it convert to the zero value.
type Enum[E comparable] struct {
	names  map[E]string
	values map[string]E
}

// NewEnum builds an Enum from its table. It panics if two values share a
// name: the table is then wrong, which is a programming error.
func NewEnum[E comparable](names map[E]string) Enum[E] {
	values := make(map[string]E, len(names))
	for v, name := range names {
		if other, dup := values[name]; dup {
			panic(fmt.Sprintf("rpc.NewEnum: %v and %v are both named %q", other, v, name))
		}
		values[name] = v
	}
	return Enum[E]{names: names, values: values}
}

// Name is the stored string of v, "" when v is not in the table.
func (e Enum[E]) Name(v E) string { return e.names[v] }

// NameOr is the stored string of v, def when v is not in the table (e.g.
// an UNSPECIFIED that the contract reads as a default).
func (e Enum[E]) NameOr(v E, def string) string {
	if name, ok := e.names[v]; ok {
		return name
	}
	return def
}

// Names converts each of vs.
func (e Enum[E]) Names(vs []E) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, e.names[v])
	}
	return out
}

// Value is the enum value stored as name, the zero value when unknown.
func (e Enum[E]) Value(name string) E { return e.values[name] }

// ValueOr is the enum value stored as name, def when unknown.
func (e Enum[E]) ValueOr(name string, def E) E {
	if v, ok := e.values[name]; ok {
		return v
	}
	return def
}
