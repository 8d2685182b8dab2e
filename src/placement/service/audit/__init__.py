"""The audit feature: models, schemas, service functions and API routes."""
