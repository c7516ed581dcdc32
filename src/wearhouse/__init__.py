"""Wearhouse: an open-source lakehouse for wearable and IoT health data."""
