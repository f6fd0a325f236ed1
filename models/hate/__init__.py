"""hate."""
