"""Thin Prefect wrappers over pipeline/: the monitoring flow and the annual award flow."""

from pipeline.core.config import setup_offline_env

# Prefect reads its settings when imported: analytics off and quiet logs before that.
setup_offline_env()
