"""The scenarios feature: models, schemas, service functions and API routes."""
