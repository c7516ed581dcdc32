"""Bearer tokens with roles (DESIGN.md section 7), stored hashed under the Wearhouse home."""
