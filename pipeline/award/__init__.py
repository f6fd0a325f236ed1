"""award."""
