"""The live feed (`WS /v1/live`): readings as they are committed, and alerts, fanned out to clients."""
