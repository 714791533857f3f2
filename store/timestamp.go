package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timestamp is a moment stored the same way on both backends: TIMESTAMPTZ in PostgreSQL, and
// RFC 3339 text in UTC in SQLite (STRICT tables have no time type, so the driver would hand back
// a string). The zero time is NULL.
type timestamp time.Time

func (t timestamp) Value() (driver.Value, error) {
	if time.Time(t).IsZero() {
		return nil, nil
	}
	return time.Time(t).UTC().Format(time.RFC3339Nano), nil
}

func (t *timestamp) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = timestamp{}
	case time.Time:
		*t = timestamp(v.UTC())
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("scan timestamp: unsupported type %T", src)
	}
	return nil
}

func (t *timestamp) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = timestamp(v.UTC())
			return nil
		}
	}
	return fmt.Errorf("scan timestamp: cannot read %q", s)
}
