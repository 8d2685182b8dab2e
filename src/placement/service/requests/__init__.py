"""The requests feature: models, schemas, service functions and API routes."""
