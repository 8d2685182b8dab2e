"""The appeals feature: models, schemas, service functions and API routes."""
