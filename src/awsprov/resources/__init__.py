"""Resource types: one file per type, each registered under its spec section."""
