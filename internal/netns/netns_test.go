package netns_test

import (
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
