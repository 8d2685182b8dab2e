"""The accounts feature: models, schemas, service functions and API routes."""
