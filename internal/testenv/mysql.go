package testenv

import (
	"os"
	"testing"
)

// MySQLURL returns the URL of a MySQL or MariaDB server tests may use freely
// (ARCA_TEST_MYSQL_URL, such as mysql://arca:arca@127.0.0.1:53306/arca_test;
// `scripts/services.sh mysql` starts one). Its user may create databases.
func MySQLURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ARCA_TEST_MYSQL_URL")
	if u == "" {
		missing(t, "mysql", "ARCA_TEST_MYSQL_URL")
	}
	return u
}
