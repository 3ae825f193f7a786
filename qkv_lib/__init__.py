"""qkv_lib."""
