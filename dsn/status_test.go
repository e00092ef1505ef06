package dsn

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5; subject and
// detail 1 to 3 digits without leading zeros.
func TestParseStatusRFC3463Section2(t *testing.T) {
	valid := map[string]Status{
		"2.0.0":     {2, 0, 0},
		"4.4.1":     {4, 4, 1},
		"5.1.1":     {5, 1, 1},
		"5.7.26":    {5, 7, 26},
		"4.999.999": {4, 999, 999},
		"5.10.100":  {5, 10, 100},
	}
	for in, want := range valid {
		got, err := ParseStatus(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, in, got.String(), "String round-trips %q", in)
	}
	invalid := []string{
		"", "5", "5.1", "5.1.", "5..1", ".1.1", "3.1.1", "1.0.0", "0.0.0", "6.1.1",
		"5.01.1", "5.1.01", "5.1000.1", "5.1.1000", "5.1.1.1", "55.1.1", "5.1.1 ",
		" 5.1.1", "5.a.1", "5.1.-1", "5.+1.1", "5,1,1", "5.1.1\n", "x.y.z",
	}
	for _, in := range invalid {
		_, err := ParseStatus(in)
		require.Error(t, err, "%q", in)
		assert.True(t, errors.Is(err, ErrInvalidField), "%q: %v", in, err)
		assert.Contains(t, err.Error(), "RFC 3463 §2")
	}
}

func TestStatusZero(t *testing.T) {
	assert.True(t, Status{}.IsZero())
	assert.Equal(t, "", Status{}.String())
	assert.False(t, Status{Class: 5}.IsZero())
	assert.Equal(t, "5.0.0", Status{Class: 5}.String())
}

// TestStatusTriple: a status as the [3]int SMTP server libraries take.
func TestStatusTriple(t *testing.T) {
	for in, want := range map[string][3]int{"5.1.1": {5, 1, 1}, "4.7.26": {4, 7, 26}, "2.0.0": {2, 0, 0}} {
		st, err := ParseStatus(in)
		require.NoError(t, err)
		assert.Equal(t, want, st.Triple(), in)
	}
	assert.Equal(t, [3]int{}, Status{}.Triple())
}
