"""The rounds feature: models, schemas, service functions and API routes."""
