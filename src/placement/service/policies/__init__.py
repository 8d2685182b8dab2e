"""The policies feature: models, schemas, service functions and API routes."""
