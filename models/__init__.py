"""Xenowatch models: encoders, trained heads, model cards and lexicons."""
