"""The review workbench: a FastAPI app for monitors, leads, authorities and media councils."""
