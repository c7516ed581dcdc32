"""The `wearhouse` command line."""
