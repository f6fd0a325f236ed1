"""misinfo."""
