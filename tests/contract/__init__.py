"""Contract tests of the authentik stand-in (a package, so its helper modules cannot clash with other test trees)."""
