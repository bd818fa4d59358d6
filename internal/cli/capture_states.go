package cli

import (
	"context"
	"errors"
)

func (s *captureSession) loopStates(ctx context.Context, o *captureOpts) error {
	return errors.New("capture: -states is not available yet")
}
